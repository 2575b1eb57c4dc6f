/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sessions through the agent: a persistent shell, one command at a time (see session.c). */
#include <errno.h>
#include <string.h>

#include "client.h"
#include "macro.h"

#define SESSION_DEFAULT_MAX (16u << 20)

_public_ int hutch_agent_session_new(struct hutch_agent *a, const struct hutch_spawn_opts *opts,
				     uint32_t *ret_id, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = client_begin(a, &e, PROTO_SESSION_NEW);
	if (opts) {
		/* The shell is the agent's choice: argv and stdio of opts do not apply. */
		struct hutch_spawn_opts o = *opts;
		o.argv = NULL;
		memset(o.stdio, 0, sizeof(o.stdio));
		o.pty_return = 0;
		o.timeout_ms = 0;
		client_put_spawn_opts(&e, &o);
	}
	struct client_msg m;
	int r = client_call(a, &e, req, NULL, 0, NULL, NULL, &m, err);
	if (r < 0)
		return err_prefix(err, "new session");
	r = proto_get_u32(&m.f, T_SESSION_ID, ret_id);
	client_msg_release(&m);
	return r < 0 ? err_set(err, EBADMSG, "new session: reply without id") : 0;
}

static void on_data(void *userdata, const struct client_msg *m)
{
	struct collect *c = userdata;
	uint32_t stream = 0;
	uint64_t dropped = 0;
	const uint8_t *data = NULL;
	size_t len = 0;
	if (proto_get_u32(&m->f, T_STREAM, &stream) < 0 || stream < 1 || stream > 2)
		return;
	proto_get_u64(&m->f, T_DROPPED, &dropped);
	proto_get_bytes(&m->f, T_DATA, &data, &len);
	client_collector()(c, (int)stream, data, len, dropped);
}

_public_ int hutch_agent_session_exec(struct hutch_agent *a, uint32_t id, const char *command,
				      uint32_t timeout_ms, size_t max_output,
				      struct hutch_output *ret, struct hutch_err *err)
{
	*ret = (struct hutch_output){ 0 };
	if (!command)
		return err_set(err, EINVAL, "session %u: no command", id);
	struct proto_enc e;
	uint32_t req = client_begin(a, &e, PROTO_SESSION_EXEC);
	proto_put_u32(&e, T_SESSION_ID, id);
	proto_put_str(&e, T_COMMAND, command);
	if (timeout_ms)
		proto_put_u32(&e, T_TIMEOUT_MS, timeout_ms);
	struct collect c = { ret, max_output ? max_output : SESSION_DEFAULT_MAX };
	struct client_msg m;
	int r = client_call(a, &e, req, NULL, 0, on_data, &c, &m, err);
	if (r < 0) {
		hutch_output_release(ret);
		return err_prefix(err, "session %u", id);
	}
	uint32_t code = 0, to = 0;
	proto_get_u32(&m.f, T_EXIT_CODE, &code);
	proto_get_u32(&m.f, T_TIMED_OUT, &to);
	client_msg_release(&m);
	ret->exit.exited = 1;
	ret->exit.code = (int)code;
	ret->exit.timed_out = to != 0;
	return client_output_finish(ret, err);
}

_public_ int hutch_agent_session_close(struct hutch_agent *a, uint32_t id, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = client_begin(a, &e, PROTO_SESSION_CLOSE);
	proto_put_u32(&e, T_SESSION_ID, id);
	int r = client_call(a, &e, req, NULL, 0, NULL, NULL, NULL, err);
	return r < 0 ? err_prefix(err, "close session %u", id) : 0;
}
