/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Processes through the agent: spawn, wait, signal, stdin, resize, list, attach, and the
 * composite calls exec (spawn with the caller's fds + wait) and run (spawn with pipes this
 * library owns, read here: the agent relays nothing, nothing is lost to a full buffer).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "macro.h"

void client_put_spawn_opts(struct proto_enc *e, const struct hutch_spawn_opts *o)
{
	for (size_t i = 0; o->argv && o->argv[i]; i++)
		proto_put_str(e, T_ARGV, o->argv[i]);
	for (size_t i = 0; o->env && o->env[i]; i++)
		proto_put_str(e, T_ENV, o->env[i]);
	if (o->env_clear)
		proto_put_u32(e, T_ENV_CLEAR, 1);
	if (o->cwd)
		proto_put_str(e, T_CWD, o->cwd);
	if (o->set_user) {
		proto_put_u32(e, T_UID, o->uid);
		proto_put_u32(e, T_GID, o->gid);
		for (size_t i = 0; i < o->n_groups; i++)
			proto_put_u32(e, T_GROUPS, o->groups[i]);
	}
	for (size_t i = 0; i < o->n_rlimits; i++) {
		size_t m = proto_put_msg_begin(e, T_RLIMIT);
		proto_put_u32(e, T_RL_RESOURCE, (uint32_t)o->rlimits[i].resource);
		proto_put_u64(e, T_RL_SOFT, o->rlimits[i].soft);
		proto_put_u64(e, T_RL_HARD, o->rlimits[i].hard);
		proto_put_msg_end(e, m);
	}
	static const uint16_t tags[3] = { T_STDIN_MODE, T_STDOUT_MODE, T_STDERR_MODE };
	for (int i = 0; i < 3; i++)
		if (o->stdio[i])
			proto_put_u32(e, tags[i], (uint32_t)o->stdio[i]);
	if (o->pty_rows)
		proto_put_u32(e, T_PTY_ROWS, o->pty_rows);
	if (o->pty_cols)
		proto_put_u32(e, T_PTY_COLS, o->pty_cols);
	if (o->pty_return)
		proto_put_u32(e, T_PTY_RETURN, 1);
	if (o->tag)
		proto_put_str(e, T_TAG, o->tag);
	if (o->detached)
		proto_put_u32(e, T_DETACHED, 1);
	if (o->output_cap)
		proto_put_u32(e, T_OUTPUT_CAP, o->output_cap);
	if (o->timeout_ms)
		proto_put_u32(e, T_TIMEOUT_MS, o->timeout_ms);
}

void client_read_exit(const struct proto_fields *f, struct hutch_exit *ret)
{
	uint32_t v = 0;
	*ret = (struct hutch_exit){ 0 };
	if (proto_get_u32(f, T_PID, &v) == 0)
		ret->pid = v;
	if (proto_get_u32(f, T_EXITED, &v) == 0)
		ret->exited = v != 0;
	if (proto_get_u32(f, T_EXIT_CODE, &v) == 0)
		ret->code = (int)v;
	if (proto_get_u32(f, T_EXIT_SIGNAL, &v) == 0)
		ret->signal = (int)v;
	if (proto_get_u32(f, T_CORE_DUMPED, &v) == 0)
		ret->core_dumped = v != 0;
	if (proto_get_u32(f, T_TIMED_OUT, &v) == 0)
		ret->timed_out = v != 0;
	if (proto_get_u32(f, T_RESERVE_KILLED, &v) == 0)
		ret->reserve_killed = v != 0;
	proto_get_u64(f, T_WALL_NS, &ret->wall_ns);
	proto_get_u64(f, T_UTIME_US, &ret->utime_us);
	proto_get_u64(f, T_STIME_US, &ret->stime_us);
	proto_get_u64(f, T_MAXRSS_KB, &ret->maxrss_kb);
}

/* The caller's fds for the FD-mode streams, in stdin, stdout, stderr order. */
static unsigned stdio_fds(const struct hutch_spawn_opts *o, int fds[3])
{
	unsigned n = 0;
	for (int i = 0; i < 3; i++)
		if (o->stdio[i] == HUTCH_STDIO_FD)
			fds[n++] = o->stdio_fd[i];
	return n;
}

/* Sends a SPAWN; with wait_exit (protocol 2) its one reply is the exit. */
static int spawn_request(struct hutch_agent *a, const struct hutch_spawn_opts *o, bool wait_exit,
			 uint32_t *ret_req, struct hutch_err *err)
{
	if (!o || !o->argv || !o->argv[0])
		return err_set(err, EINVAL, "spawn: argv is empty");
	int fds[3];
	unsigned nfds = stdio_fds(o, fds);
	struct proto_enc e;
	*ret_req = client_begin(a, &e, PROTO_SPAWN);
	client_put_spawn_opts(&e, o);
	if (wait_exit)
		proto_put_u32(&e, T_WAIT_EXIT, 1);
	int r = client_send(a, &e, fds, nfds, err);
	proto_enc_release(&e);
	return r < 0 ? err_prefix(err, "spawn '%s'", o->argv[0]) : 0;
}

int client_spawn_send(struct hutch_agent *a, const struct hutch_spawn_opts *o, uint32_t *ret_req,
		      struct hutch_err *err)
{
	return spawn_request(a, o, false, ret_req, err);
}

/* A failed spawn's error, with the command named once: the agent's own names it already. */
static int spawn_failed(int r, const char *argv0, struct hutch_err *err)
{
	if (err && strncmp(err->msg, "agent: spawn ", 13) == 0)
		return r;
	return err_prefix(err, "spawn '%s'", argv0);
}

int client_spawn_reply(struct hutch_agent *a, uint32_t req, const char *argv0, uint32_t *ret_id,
		       int *ret_pty, struct hutch_err *err)
{
	struct client_msg m;
	int r = client_wait_reply(a, req, NULL, NULL, &m, err);
	if (r < 0)
		return spawn_failed(r, argv0, err);
	uint32_t pid_id = 0;
	if (proto_get_u32(&m.f, T_PROC_ID, &pid_id) < 0) {
		client_msg_release(&m);
		return err_set(err, EBADMSG, "spawn '%s': reply without process id", argv0);
	}
	*ret_id = pid_id;
	if (ret_pty) {
		*ret_pty = m.nfds > 0 ? m.fds[0] : -1;
		if (m.nfds > 0)
			m.fds[0] = -1;
	}
	client_msg_release(&m);
	return 0;
}

static int spawn_send(struct hutch_agent *a, const struct hutch_spawn_opts *o, uint32_t *ret_id,
		      int *ret_pty, struct hutch_err *err)
{
	uint32_t req;
	int r = client_spawn_send(a, o, &req, err);
	return r < 0 ? r : client_spawn_reply(a, req, o->argv[0], ret_id, ret_pty, err);
}

_public_ int hutch_agent_spawn(struct hutch_agent *a, const struct hutch_spawn_opts *opts,
			       uint32_t *ret_id, int *ret_pty, struct hutch_err *err)
{
	return spawn_send(a, opts, ret_id, ret_pty, err);
}

_public_ int hutch_agent_wait(struct hutch_agent *a, uint32_t id, struct hutch_exit *ret,
			      struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = client_begin(a, &e, PROTO_WAIT);
	proto_put_u32(&e, T_PROC_ID, id);
	struct client_msg m;
	int r = client_call(a, &e, req, NULL, 0, NULL, NULL, &m, err);
	if (r < 0)
		return err_prefix(err, "wait for process %u", id);
	if (ret)
		client_read_exit(&m.f, ret);
	client_msg_release(&m);
	return 0;
}

/* Spawn and wait in one round trip (protocol 2): the reply is the exit. */
static int exec_one_trip(struct hutch_agent *a, const struct hutch_spawn_opts *o,
			 struct hutch_exit *ret, struct hutch_err *err)
{
	uint32_t req;
	int r = spawn_request(a, o, true, &req, err);
	if (r < 0)
		return r;
	struct client_msg m;
	if ((r = client_wait_reply(a, req, NULL, NULL, &m, err)) < 0)
		return spawn_failed(r, o->argv[0], err);
	if (ret)
		client_read_exit(&m.f, ret);
	client_msg_release(&m);
	return 0;
}

_public_ int hutch_agent_exec(struct hutch_agent *a, const struct hutch_spawn_opts *opts,
			      struct hutch_exit *ret, struct hutch_err *err)
{
	if (opts && opts->argv && opts->argv[0] && !opts->pty_return && !opts->detached &&
	    !a->hello_id && a->version >= 2)
		return exec_one_trip(a, opts, ret, err);
	uint32_t id;
	int r = spawn_send(a, opts, &id, NULL, err);
	if (r < 0)
		return r;
	return hutch_agent_wait(a, id, ret, err);
}

/* Sends a request about one process and expects a plain REPLY. */
static int simple(struct hutch_agent *a, struct proto_enc *e, uint32_t req, const char *what,
		  uint32_t id, struct hutch_err *err)
{
	int r = client_call(a, e, req, NULL, 0, NULL, NULL, NULL, err);
	return r < 0 ? err_prefix(err, "%s process %u", what, id) : 0;
}

_public_ int hutch_agent_signal(struct hutch_agent *a, uint32_t id, int sig,
				enum hutch_signal_scope scope, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = client_begin(a, &e, PROTO_SIGNAL);
	proto_put_u32(&e, T_PROC_ID, id);
	proto_put_u32(&e, T_SIGNAL, (uint32_t)sig);
	proto_put_u32(&e, T_SCOPE, (uint32_t)scope);
	return simple(a, &e, req, "signal", id, err);
}

static int stdin_req(struct hutch_agent *a, uint32_t id, const void *data, size_t len, bool cl,
		     struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = client_begin(a, &e, PROTO_STDIN);
	proto_put_u32(&e, T_PROC_ID, id);
	if (len)
		proto_put_bytes(&e, T_DATA, data, len);
	if (cl)
		proto_put_u32(&e, T_CLOSE, 1);
	return simple(a, &e, req, "stdin of", id, err);
}

_public_ int hutch_agent_stdin_write(struct hutch_agent *a, uint32_t id, const void *data,
				     size_t len, struct hutch_err *err)
{
	if (len > PROTO_MAX_PAYLOAD / 2)
		return err_set(err, E2BIG, "stdin of process %u: write of %zu bytes too large", id, len);
	return stdin_req(a, id, data, len, false, err);
}

_public_ int hutch_agent_stdin_close(struct hutch_agent *a, uint32_t id, struct hutch_err *err)
{
	return stdin_req(a, id, NULL, 0, true, err);
}

_public_ int hutch_agent_resize(struct hutch_agent *a, uint32_t id, unsigned rows, unsigned cols,
				struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = client_begin(a, &e, PROTO_RESIZE);
	proto_put_u32(&e, T_PROC_ID, id);
	proto_put_u32(&e, T_PTY_ROWS, rows);
	proto_put_u32(&e, T_PTY_COLS, cols);
	return simple(a, &e, req, "resize", id, err);
}

_public_ int hutch_agent_release(struct hutch_agent *a, uint32_t id, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = client_begin(a, &e, PROTO_RELEASE);
	proto_put_u32(&e, T_PROC_ID, id);
	return simple(a, &e, req, "release", id, err);
}

_public_ void hutch_proc_info_free(struct hutch_proc_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].tag);
	free(v);
}

_public_ int hutch_agent_list(struct hutch_agent *a, struct hutch_proc_info **ret, size_t *ret_n,
			      struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = client_begin(a, &e, PROTO_LIST);
	struct client_msg m;
	int r = client_call(a, &e, req, NULL, 0, NULL, NULL, &m, err);
	if (r < 0)
		return err_prefix(err, "list processes");
	size_t n = proto_count(&m.f, T_PROC), k = 0;
	struct hutch_proc_info *v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		client_msg_release(&m);
		return err_set(err, ENOMEM, "list processes");
	}
	for (size_t i = 0; i < m.f.n && r == 0; i++) {
		const struct proto_field *x = &m.f.f[i];
		if (x->tag != T_PROC || x->type != PROTO_T_MSG)
			continue;
		struct proto_fields sub;
		r = proto_decode(x->val, x->len, &sub);
		if (r < 0)
			break;
		struct hutch_proc_info *p = &v[k++];
		uint32_t u = 0;
		client_read_exit(&sub, &p->exit);
		proto_get_u32(&sub, T_PROC_ID, &p->id);
		proto_get_u32(&sub, T_PID, &p->pid);
		p->running = proto_get_u32(&sub, T_RUNNING, &u) == 0 && u;
		p->detached = proto_get_u32(&sub, T_DETACHED, &u) == 0 && u;
		proto_get_u64(&sub, T_START_NS, &p->start_ns);
		proto_get_u64(&sub, T_CURSOR_OUT, &p->cursor_out);
		proto_get_u64(&sub, T_CURSOR_ERR, &p->cursor_err);
		if (proto_get_str(&sub, T_TAG, &p->tag) == -ENOMEM)
			r = -ENOMEM;
		proto_fields_release(&sub);
	}
	client_msg_release(&m);
	if (r < 0) {
		hutch_proc_info_free(v, k);
		return err_set_errno(err, -r, "list processes: bad reply");
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

struct attach_ctx {
	hutch_output_fn fn;
	void *userdata;
	uint64_t *cursor;
};

static void on_attach_data(void *userdata, const struct client_msg *m)
{
	struct attach_ctx *ctx = userdata;
	uint32_t stream = 0;
	uint64_t off = 0, dropped = 0;
	const uint8_t *data = NULL;
	size_t len = 0;
	if (proto_get_u32(&m->f, T_STREAM, &stream) < 0 || stream < 1 || stream > 2 ||
	    proto_get_u64(&m->f, T_OFFSET, &off) < 0)
		return;
	proto_get_u64(&m->f, T_DROPPED, &dropped);
	proto_get_bytes(&m->f, T_DATA, &data, &len);
	if (ctx->cursor)
		ctx->cursor[stream - 1] = off + len;
	if (ctx->fn)
		ctx->fn(ctx->userdata, (int)stream, data, len, dropped);
}

_public_ int hutch_agent_attach(struct hutch_agent *a, uint32_t id, uint64_t cursor[2], int follow,
				hutch_output_fn fn, void *userdata, struct hutch_exit *ret_exit,
				struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = client_begin(a, &e, PROTO_ATTACH);
	proto_put_u32(&e, T_PROC_ID, id);
	proto_put_u64(&e, T_CURSOR_OUT, cursor ? cursor[0] : 0);
	proto_put_u64(&e, T_CURSOR_ERR, cursor ? cursor[1] : 0);
	proto_put_u32(&e, T_FOLLOW, follow ? 1 : 0);
	struct attach_ctx ctx = { fn, userdata, cursor };
	struct client_msg m;
	int r = client_call(a, &e, req, NULL, 0, on_attach_data, &ctx, &m, err);
	if (r < 0)
		return err_prefix(err, "attach to process %u", id);
	uint32_t running = 1;
	proto_get_u32(&m.f, T_RUNNING, &running);
	if (cursor) {
		proto_get_u64(&m.f, T_CURSOR_OUT, &cursor[0]);
		proto_get_u64(&m.f, T_CURSOR_ERR, &cursor[1]);
	}
	if (!running && ret_exit)
		client_read_exit(&m.f, ret_exit);
	client_msg_release(&m);
	return running ? 0 : 1;
}
