/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch_agent_run(): spawn with pipes that this library creates and passes, so the output
 * flows from the process straight to us (the agent only sees the fds), then WAIT. The WAIT
 * request is sent right away and its reply is read in the same poll loop as the pipes; after
 * the exit, output still in flight gets RUN_DRAIN_MS to arrive (a daemonised grandchild could
 * hold the pipes open for ever).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "macro.h"

#define RUN_DEFAULT_MAX (16u << 20)
#define RUN_DRAIN_MS 200

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* write() without SIGPIPE: the library must not kill its caller when the child stops reading. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	bool was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ssize_t n = write(fd, buf, len);
	int e = errno;
	if (n < 0 && e == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return n;
}

struct run_state {
	int out, er, in;
	const uint8_t *in_data;
	size_t in_left;
	bool exited;
	uint64_t exit_ms;
};

static void pipes_close(int p[2])
{
	p[0] = safe_close(p[0]);
	p[1] = safe_close(p[1]);
}

static int read_stream(int *fd, int stream, hutch_output_fn fn, void *ud)
{
	char buf[65536];
	ssize_t n = read(*fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		*fd = safe_close(*fd);
		return 0;
	}
	fn(ud, stream, buf, (size_t)n, 0);
	return 0;
}

static void write_stdin(struct run_state *s)
{
	ssize_t n = write_nosigpipe(s->in, s->in_data, MIN(s->in_left, (size_t)65536));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		s->in_left = 0; /* the child stopped reading: that is its business */
	} else {
		s->in_data += n;
		s->in_left -= (size_t)n;
	}
	if (s->in_left == 0)
		s->in = safe_close(s->in);
}

static int run_loop(struct hutch_agent *a, struct run_state *s, uint32_t wait_req,
		    hutch_output_fn fn, void *ud, struct hutch_exit *ret, struct hutch_err *err)
{
	for (;;) {
		struct pollfd p[4] = { { s->out, POLLIN, 0 }, { s->er, POLLIN, 0 },
				       { s->in, POLLOUT, 0 }, { s->exited ? -1 : a->fd, POLLIN, 0 } };
		int timeout = -1;
		if (s->exited) {
			if (s->out < 0 && s->er < 0)
				return 0;
			uint64_t now = mono_ms();
			if (now >= s->exit_ms + RUN_DRAIN_MS)
				return 0;
			timeout = (int)(s->exit_ms + RUN_DRAIN_MS - now);
		}
		int n = poll(p, 4, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set_errno(err, errno, "poll");
		if (p[0].revents)
			read_stream(&s->out, 1, fn, ud);
		if (p[1].revents)
			read_stream(&s->er, 2, fn, ud);
		if (p[2].revents)
			write_stdin(s);
		if (p[3].revents) {
			struct client_msg m;
			int r = client_recv(a, &m, err);
			if (r < 0)
				return r;
			if (m.h.id == wait_req) {
				r = client_reply_status(&m, err);
				if (r == 0 && ret)
					client_read_exit(&m.f, ret);
				s->exited = true;
				s->exit_ms = mono_ms();
				s->in = safe_close(s->in);
			}
			client_msg_release(&m);
			if (r < 0)
				return r;
		}
	}
}

_public_ int hutch_agent_run_stream(struct hutch_agent *a, const struct hutch_spawn_opts *opts,
				    const void *stdin_data, size_t stdin_len, hutch_output_fn fn,
				    void *userdata, struct hutch_exit *ret, struct hutch_err *err)
{
	int out[2] = { -1, -1 }, er[2] = { -1, -1 }, in[2] = { -1, -1 };
	if (!opts || !fn)
		return err_set(err, EINVAL, "run: no options or callback");
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0 ||
	    (stdin_data && pipe2(in, O_CLOEXEC) < 0)) {
		int e = errno;
		pipes_close(out);
		pipes_close(er);
		return err_set_errno(err, e, "run: pipes");
	}
	struct hutch_spawn_opts o = *opts;
	o.stdio[0] = stdin_data ? HUTCH_STDIO_FD : HUTCH_STDIO_NULL;
	o.stdio[1] = o.stdio[2] = HUTCH_STDIO_FD;
	o.stdio_fd[0] = in[0];
	o.stdio_fd[1] = out[1];
	o.stdio_fd[2] = er[1];
	o.pty_return = 0;
	uint32_t id;
	int r = hutch_agent_spawn(a, &o, &id, NULL, err);
	/* The child has its copies now; ours of its ends must go, or EOF never comes. */
	in[0] = safe_close(in[0]);
	out[1] = safe_close(out[1]);
	er[1] = safe_close(er[1]);
	if (r < 0) {
		pipes_close(out);
		pipes_close(er);
		pipes_close(in);
		return r;
	}
	struct proto_enc e;
	uint32_t wait_req = client_begin(a, &e, PROTO_WAIT);
	proto_put_u32(&e, T_PROC_ID, id);
	r = client_send(a, &e, NULL, 0, err);
	proto_enc_release(&e);
	struct run_state s = { out[0], er[0], in[1], stdin_data, stdin_len, false, 0 };
	if (s.in >= 0 && stdin_len == 0)
		s.in = safe_close(s.in);
	for (int i = 0; i < 3; i++) {
		int fd = i == 0 ? s.out : i == 1 ? s.er : s.in;
		if (fd >= 0)
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	if (r == 0)
		r = run_loop(a, &s, wait_req, fn, userdata, ret, err);
	safe_close(s.out);
	safe_close(s.er);
	safe_close(s.in);
	return r < 0 ? err_prefix(err, "run '%s'", opts->argv[0]) : 0;
}

static void append(char **buf, size_t *len, int *trunc, size_t max, const void *data, size_t n)
{
	if (*len + n > max) {
		*trunc = 1;
		n = max - *len;
	}
	if (n == 0)
		return;
	char *nb = realloc(*buf, *len + n + 1);
	if (!nb) {
		*trunc = 1;
		return;
	}
	memcpy(nb + *len, data, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
}

static void on_collect(void *ud, int stream, const void *data, size_t len, uint64_t dropped)
{
	struct collect *c = ud;
	if (stream == 1)
		append(&c->o->out, &c->o->out_len, &c->o->out_truncated, c->max, data, len);
	else
		append(&c->o->err, &c->o->err_len, &c->o->err_truncated, c->max, data, len);
	if (dropped)
		*(stream == 1 ? &c->o->out_truncated : &c->o->err_truncated) = 1;
}

hutch_output_fn client_collector(void)
{
	return on_collect;
}

_public_ void hutch_output_release(struct hutch_output *o)
{
	if (!o)
		return;
	free(o->out);
	free(o->err);
	*o = (struct hutch_output){ 0 };
}

static int ensure_strings(struct hutch_output *o, struct hutch_err *err)
{
	if (!o->out)
		o->out = calloc(1, 1);
	if (!o->err)
		o->err = calloc(1, 1);
	if (!o->out || !o->err) {
		hutch_output_release(o);
		return err_set(err, ENOMEM, "collect output");
	}
	return 0;
}

_public_ int hutch_agent_run(struct hutch_agent *a, const struct hutch_spawn_opts *opts,
			     const void *stdin_data, size_t stdin_len, size_t max_output,
			     struct hutch_output *ret, struct hutch_err *err)
{
	*ret = (struct hutch_output){ 0 };
	struct collect c = { ret, max_output ? max_output : RUN_DEFAULT_MAX };
	int r = hutch_agent_run_stream(a, opts, stdin_data, stdin_len, on_collect, &c, &ret->exit,
				       err);
	if (r < 0) {
		hutch_output_release(ret);
		return r;
	}
	return ensure_strings(ret, err);
}

int client_output_finish(struct hutch_output *o, struct hutch_err *err)
{
	return ensure_strings(o, err);
}
