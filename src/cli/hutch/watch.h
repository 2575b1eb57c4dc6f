/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Waiting for a foreground process (hutch run, hutch exec) while its caller's signals are
 * forwarded to its whole tree and, for exec --timeout, the tree is killed at the deadline.
 * Forwarding goes over a second connection, made on the first signal (most runs get none;
 * a connection is not shared while a request on it waits).
 *
 * Without a pty the wait is single-threaded: one poll over the agent's connection and a
 * signalfd. With one (-t), the pty relay owns the main thread, so a thread does the
 * forwarding until the relay is done (watcher_start_thread).
 *
 * A second SIGINT, SIGTERM, SIGHUP or SIGQUIT means the user is done waiting (say the first
 * one could not end the process: a hung agent): it calls the force callback (hutch run kills
 * its sandbox, so that the wait ends), or without one stops waiting (not beside a pty relay,
 * where it is forwarded like the first); `forced` tells which signal did it.
 */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "hutch/hutch.h"

typedef int (*watcher_connect_fn)(void *arg, struct hutch_agent **ret);

struct watcher {
	int sfd, stop_fd;
	watcher_connect_fn connect;
	void *connect_arg;
	struct hutch_agent *conn; /* the second connection, once made */
	uint32_t id;              /* the process */
	uint64_t deadline_ms;     /* CLOCK_MONOTONIC; 0: none */
	bool timed_out;           /* the deadline passed: the tree got SIGKILL */
	unsigned n_term;          /* termination signals forwarded */
	void (*force)(void *arg); /* see above; NULL: stop waiting */
	void *force_arg;
	int forced;               /* the signal that gave up on the wait, or 0 */
	pthread_t th;
	bool started;
};

/* The signals in set must be blocked by the caller already (they are read from a signalfd).
 * timeout_ms 0: no deadline. */
void watcher_init(struct watcher *w, const sigset_t *set, uint32_t id, uint32_t timeout_ms,
		  watcher_connect_fn connect, void *connect_arg);
/* Forwards and enforces the deadline from a thread, until watcher_wait_exit. */
void watcher_start_thread(struct watcher *w);
/* Waits for the process's exit on agent (the connection it was spawned on), forwarding
 * meanwhile; then stops the thread if one runs, and releases the watcher. */
int watcher_wait_exit(struct watcher *w, struct hutch_agent *agent, struct hutch_exit *ret,
		      struct hutch_err *err);
