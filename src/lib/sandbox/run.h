/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting and removing a sandbox (engine container + agent connection). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "hutch/hutch.h"
#include "spec/spec.h"

#define SANDBOX_ID_MAX 32
/* Exit code when the command ran past its timeout (as timeout(1)). */
#define SANDBOX_EXIT_TIMEOUT 124
/* Exit code when the disk reserve guard killed the command (a writable file system filled). */
#define SANDBOX_EXIT_DISK_RESERVE 123

/* A fresh random id "sb-xxxxxxxxxxxx". */
void sandbox_new_id(char ret[SANDBOX_ID_MAX]);

/*
 * Creates and starts sandbox id under root from spec (built by sandbox_build_spec), and
 * connects to its agent. On failure nothing is left behind.
 * one_shot: the sandbox dies with the calling thread (hutch run), so a killed caller leaves
 * no running sandbox behind (its state dir is then stale, for prune).
 * The agent's listening socket is handed over as fd 3: whatever the caller had on fd 3 is
 * closed (keep your own fds above it).
 */
/*
 * The connection to the agent is made first, before the sandbox exists (its listening socket
 * does): early (may be NULL) is called with it, and what it sends waits in the socket until
 * the agent starts and reads it, so a one-shot command starts as soon as the agent does
 * instead of after a round trip more.
 */
typedef int (*sandbox_early_fn)(struct hutch_agent *agent, void *userdata, struct hutch_err *err);
struct sandbox_started {
	struct hutch_agent *agent;
	bool no_limits; /* unprivileged without delegated cgroups: limits not enforced */
	pid_t init;	/* the agent, in our pid namespace (our child when one_shot) */
};
int sandbox_start(const char *root, const char *id, struct spec *spec, bool one_shot,
		  sandbox_early_fn early, void *userdata, struct sandbox_started *ret,
		  struct hutch_err *err);

/* Stops and removes a sandbox: every process killed, cgroups and state removed. */
void sandbox_cleanup(const char *root, const char *id);
/* The same for a one-shot sandbox whose command has ended: its agent (s->init) is killed
 * first, so the kernel tears the sandbox down while the state is read. */
void sandbox_cleanup_one_shot(const char *root, const char *id, const struct sandbox_started *s);

/* Shell-style exit code of a finished command: code, 128+signal, 124 on timeout, 123 when the
 * disk reserve guard killed it. */
int sandbox_exit_code(const struct hutch_exit *e);
