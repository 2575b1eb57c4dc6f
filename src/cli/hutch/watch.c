/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "macro.h"
#include "watch.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void watcher_init(struct watcher *w, const sigset_t *set, uint32_t id, uint32_t timeout_ms,
		  watcher_connect_fn connect, void *connect_arg)
{
	*w = (struct watcher){
		.sfd = signalfd(-1, set, SFD_CLOEXEC),
		.stop_fd = -1,
		.connect = connect,
		.connect_arg = connect_arg,
		.id = id,
		.deadline_ms = timeout_ms ? now_ms() + timeout_ms : 0,
	};
}

/*
 * Sends sig to the tree over the watcher's own connection, connecting first if needed. Sent,
 * not waited for (the connect is pipelined too): an agent that does not answer must not keep
 * us from the next signal. The replies stay unread on that connection, closed at the end.
 */
static void forward(struct watcher *w, int sig)
{
	if (!w->conn && w->connect(w->connect_arg, &w->conn) != 0)
		return;
	struct proto_enc e;
	client_begin(w->conn, &e, PROTO_SIGNAL);
	proto_put_u32(&e, T_PROC_ID, w->id);
	proto_put_u32(&e, T_SIGNAL, (uint32_t)sig);
	proto_put_u32(&e, T_SCOPE, HUTCH_SIGNAL_TREE);
	(void)client_send(w->conn, &e, NULL, 0, NULL);
	proto_enc_release(&e);
}

static bool is_termination(int sig)
{
	return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
}

/* A signal from our caller: forwarded, or the second termination signal (see watch.h).
 * False when the wait should end now. A thread (beside a pty relay, which owns the main
 * thread) cannot end the wait: without a force callback it only forwards. */
static bool on_signal(struct watcher *w, int sig)
{
	bool can_end = w->force || !w->started;
	if (!is_termination(sig) || w->n_term++ == 0 || w->forced || !can_end) {
		forward(w, sig);
		return true;
	}
	w->forced = sig;
	if (!w->force)
		return false;
	w->force(w->force_arg);
	return true;
}

/* Forwards signals and enforces the deadline until fd is readable (or poll fails). */
static void watch_until(struct watcher *w, int fd)
{
	for (;;) {
		int wait = -1;
		if (w->deadline_ms && !w->timed_out) {
			uint64_t now = now_ms();
			wait = now >= w->deadline_ms ? 0
						     : (int)MIN(w->deadline_ms - now, (uint64_t)INT32_MAX);
		}
		struct pollfd pf[2] = { { .fd = fd, .events = POLLIN },
					{ .fd = w->sfd, .events = POLLIN } };
		int n = poll(pf, 2, wait);
		if (n < 0 && errno != EINTR)
			return;
		if (pf[0].revents)
			return;
		if (n == 0 && wait >= 0) {
			w->timed_out = true;
			forward(w, SIGKILL);
			continue;
		}
		struct signalfd_siginfo si;
		if (pf[1].revents && read(w->sfd, &si, sizeof(si)) == sizeof(si) &&
		    !on_signal(w, (int)si.ssi_signo))
			return;
	}
}

static void *watch_thread(void *p)
{
	struct watcher *w = p;
	watch_until(w, w->stop_fd);
	return NULL;
}

void watcher_start_thread(struct watcher *w)
{
	if (w->sfd < 0 || (w->stop_fd = eventfd(0, EFD_CLOEXEC)) < 0)
		return;
	w->started = pthread_create(&w->th, NULL, watch_thread, w) == 0;
}

static void watcher_release(struct watcher *w)
{
	if (w->started) {
		uint64_t one = 1;
		(void)!write(w->stop_fd, &one, sizeof(one));
		pthread_join(w->th, NULL);
	}
	hutch_agent_close(w->conn);
	safe_close(w->sfd);
	safe_close(w->stop_fd);
}

/* The WAIT request goes out first; then we poll until its reply can be read. */
static int wait_polling(struct watcher *w, struct hutch_agent *agent, struct hutch_exit *ret,
			struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = client_begin(agent, &e, PROTO_WAIT);
	proto_put_u32(&e, T_PROC_ID, w->id);
	int r = client_send(agent, &e, NULL, 0, err);
	proto_enc_release(&e);
	if (r < 0)
		return err_prefix(err, "wait for process %u", w->id);
	watch_until(w, agent->fd);
	if (w->forced && !w->force)
		return err_set(err, EINTR, "gave up waiting for process %u: %s twice", w->id,
			       strsignal(w->forced));
	struct client_msg m;
	if ((r = client_wait_reply(agent, req, NULL, NULL, &m, err)) < 0)
		return err_prefix(err, "wait for process %u", w->id);
	client_read_exit(&m.f, ret);
	client_msg_release(&m);
	return 0;
}

int watcher_wait_exit(struct watcher *w, struct hutch_agent *agent, struct hutch_exit *ret,
		      struct hutch_err *err)
{
	int r = w->started || w->sfd < 0 ? hutch_agent_wait(agent, w->id, ret, err)
					 : wait_polling(w, agent, ret, err);
	watcher_release(w);
	return r;
}
