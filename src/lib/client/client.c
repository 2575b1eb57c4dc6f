/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Connection to hutch-agent: connect, handshake, request/reply. Trust boundary: the agent
 * runs inside the sandbox and may be compromised, so its replies are decoded with the same
 * strict codec, sizes are capped, and fds it sends are only kept where a reply type allows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "macro.h"
#include "sockio.h"

void client_msg_release(struct client_msg *m)
{
	proto_fields_release(&m->f);
	free(m->payload);
	for (unsigned i = 0; i < m->nfds; i++)
		safe_close(m->fds[i]);
	*m = (struct client_msg){ 0 };
}

static int finish_hello(struct hutch_agent *a, struct hutch_err *err);

uint32_t client_begin(struct hutch_agent *a, struct proto_enc *e, uint16_t type)
{
	uint32_t id = a->next_id++;
	if (a->next_id == 0)
		a->next_id = 1;
	proto_enc_init(e);
	/* The negotiated version once known; 1 (what every agent speaks) before. */
	proto_enc_begin_v(e, a->version && !a->hello_id ? a->version : PROTO_VERSION_MIN, type, 0,
			  id);
	return id;
}

int client_send(struct hutch_agent *a, struct proto_enc *e, const int *fds, unsigned nfds,
		struct hutch_err *err)
{
	int r = proto_enc_end(e, nfds);
	if (r < 0)
		return err_set_errno(err, -r, "agent request");
	r = proto_send_all(a->fd, e->data, e->len, fds, nfds);
	if (r >= 0)
		return 0;
	/* An agent that refused a pipelined handshake closed the connection: its reply says why. */
	int h = a->hello_id ? finish_hello(a, err) : 0;
	return h < 0 ? h : err_set_errno(err, -r, "send to agent");
}

/* Reads exactly len bytes, collecting any fds that come with them. */
static int recv_exact(struct hutch_agent *a, uint8_t *buf, size_t len, struct client_msg *m)
{
	size_t got = 0;
	while (got < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS)];
			struct cmsghdr align;
		} cm;
		struct iovec iov = { buf + got, len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
				     .msg_controllen = sizeof(cm.buf) };
		ssize_t n = recvmsg_polled(a->fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0)
			return (int)n;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
			if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
				continue;
			size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
				if (m->nfds < PROTO_MAX_FDS)
					m->fds[m->nfds++] = fd;
				else
					close(fd);
			}
		}
		if (mh.msg_flags & MSG_CTRUNC)
			return -EBADMSG;
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

static int recv_one(struct hutch_agent *a, struct client_msg *ret, struct hutch_err *err)
{
	struct client_msg m = { 0 };
	uint8_t hb[PROTO_HDR_SIZE];
	int r = recv_exact(a, hb, sizeof(hb), &m);
	if (r == 0)
		r = proto_hdr_decode(hb, sizeof(hb), &m.h);
	if (r == 0 && m.nfds != m.h.nfds)
		r = -EBADMSG;
	if (r == 0 && m.h.len > 0) {
		m.payload = malloc(m.h.len);
		r = m.payload ? recv_exact(a, m.payload, m.h.len, &m) : -ENOMEM;
		/* fds only ever ride with the header: any here are a protocol violation */
		if (r == 0 && m.nfds != m.h.nfds)
			r = -EBADMSG;
	}
	if (r == 0)
		r = proto_decode(m.payload, m.h.len, &m.f);
	if (r < 0) {
		client_msg_release(&m);
		return err_set_errno(err, -r, "receive from agent");
	}
	*ret = m;
	return 0;
}

int client_recv(struct hutch_agent *a, struct client_msg *ret, struct hutch_err *err)
{
	int r = a->hello_id ? finish_hello(a, err) : 0;
	return r < 0 ? r : recv_one(a, ret, err);
}

int client_reply_status(const struct client_msg *m, struct hutch_err *err)
{
	if (m->h.type == PROTO_REPLY)
		return 0;
	if (m->h.type != PROTO_ERROR)
		return err_set(err, EBADMSG, "agent: unexpected reply type %u", m->h.type);
	uint32_t e = EIO;
	_cleanup_free_ char *msg = NULL;
	proto_get_u32(&m->f, T_ERRNO, &e);
	proto_get_str(&m->f, T_MESSAGE, &msg);
	if (e == 0 || e > 4095)
		e = EIO;
	return err_set(err, (int)e, "agent: %s", msg ? msg : "error");
}

int client_call(struct hutch_agent *a, struct proto_enc *e, uint32_t id, const int *fds,
		unsigned nfds, client_data_fn fn, void *userdata, struct client_msg *ret,
		struct hutch_err *err)
{
	int r = client_send(a, e, fds, nfds, err);
	proto_enc_release(e);
	return r < 0 ? r : client_wait_reply(a, id, fn, userdata, ret, err);
}

int client_wait_reply(struct hutch_agent *a, uint32_t id, client_data_fn fn, void *userdata,
		      struct client_msg *ret, struct hutch_err *err)
{
	for (;;) {
		struct client_msg m;
		int r = client_recv(a, &m, err);
		if (r < 0)
			return r;
		if (m.h.id != id) {
			/* A stale reply to a request we gave up on: not ours, drop it. */
			client_msg_release(&m);
			continue;
		}
		if (m.h.type == PROTO_DATA) {
			if (fn)
				fn(userdata, &m);
			client_msg_release(&m);
			continue;
		}
		r = client_reply_status(&m, err);
		if (r < 0 || !ret)
			client_msg_release(&m);
		else
			*ret = m;
		return r;
	}
}

static int hello_send(struct hutch_agent *a, const char *token, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t id = client_begin(a, &e, PROTO_HELLO);
	proto_put_u32(&e, T_VERSION_MIN, PROTO_VERSION_MIN);
	proto_put_u32(&e, T_VERSION_MAX, PROTO_VERSION_MAX);
	if (token)
		proto_put_bytes(&e, T_TOKEN, token, strlen(token));
	int r = client_send(a, &e, NULL, 0, err);
	proto_enc_release(&e);
	if (r >= 0)
		a->hello_id = id;
	return r;
}

/* Reads the handshake's reply (skipping stale ones to other ids, as client_wait_reply). */
static int finish_hello(struct hutch_agent *a, struct hutch_err *err)
{
	uint32_t id = a->hello_id;
	a->hello_id = 0;
	struct client_msg m;
	int r;
	while ((r = recv_one(a, &m, err)) == 0 && m.h.id != id)
		client_msg_release(&m);
	if (r < 0)
		return r;
	r = client_reply_status(&m, err);
	if (r < 0) {
		client_msg_release(&m);
		return r;
	}
	uint32_t v = 0;
	proto_get_u32(&m.f, T_VERSION, &v);
	proto_get_u32(&m.f, T_AGENT_PID, &a->agent_pid);
	client_msg_release(&m);
	if (v < PROTO_VERSION_MIN || v > PROTO_VERSION_MAX)
		return err_set(err, EPROTO, "agent chose protocol version %u", v);
	a->version = (uint16_t)v;
	return 0;
}

static struct hutch_agent *agent_new(int fd)
{
	struct hutch_agent *a = calloc(1, sizeof(*a));
	if (a) {
		a->fd = fd;
		a->next_id = 1;
	}
	return a;
}

int client_connect_pipelined(int fd, const char *token, struct hutch_agent **ret,
			     struct hutch_err *err)
{
	struct hutch_agent *a = agent_new(fd);
	if (!a) {
		safe_close(fd);
		return err_set(err, ENOMEM, "agent connection");
	}
	int r = hello_send(a, token, err);
	if (r < 0) {
		hutch_agent_close(a);
		return r;
	}
	*ret = a;
	return 0;
}

_public_ int hutch_agent_connect_fd(int fd, const char *token, struct hutch_agent **ret,
				    struct hutch_err *err)
{
	struct hutch_agent *a = NULL;
	int r = client_connect_pipelined(fd, token, &a, err);
	if (r >= 0)
		r = finish_hello(a, err);
	if (r < 0) {
		hutch_agent_close(a);
		return r;
	}
	*ret = a;
	return 0;
}

int client_connect_path(const char *path, const char *token, bool pipelined,
			struct hutch_agent **ret, struct hutch_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, ENAMETOOLONG, "agent socket '%s': path too long",
			       path ? path : "");
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set_errno(err, errno, "agent socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return err_set_errno(err, e, "connect to agent '%s'", path);
	}
	int r = pipelined ? client_connect_pipelined(fd, token, ret, err)
			  : hutch_agent_connect_fd(fd, token, ret, err);
	if (r < 0)
		return err_prefix(err, "agent '%s'", path);
	return 0;
}

_public_ int hutch_agent_connect(const char *path, const char *token, struct hutch_agent **ret,
				 struct hutch_err *err)
{
	return client_connect_path(path, token, false, ret, err);
}

_public_ void hutch_agent_close(struct hutch_agent *a)
{
	if (!a)
		return;
	safe_close(a->fd);
	free(a);
}

_public_ uint32_t hutch_agent_pid(const struct hutch_agent *a)
{
	return a ? a->agent_pid : 0;
}

_public_ int hutch_agent_shutdown(struct hutch_agent *a, uint32_t timeout_ms, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t id = client_begin(a, &e, PROTO_SHUTDOWN);
	proto_put_u32(&e, T_TIMEOUT_MS, timeout_ms);
	return client_call(a, &e, id, NULL, 0, NULL, NULL, NULL, err);
}
