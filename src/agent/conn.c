/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Client connections: framing, fd passing, the handshake and request dispatch.
 *
 * Trust boundary: everything read here comes from a client. A bad header loses the framing,
 * so the connection is dropped; a bad payload only earns an ERROR reply. Received fds wait in
 * a bounded queue until a complete message claims them; stray or excess fds are closed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "macro.h"

#define IN_INITIAL 4096

static void *spare_conn, *spare_in; /* see spare_take() */

static void conn_io(struct watch *w, uint32_t events);

static void set_events(struct conn *c)
{
	uint32_t ev = c->closing ? 0 : EPOLLIN;
	if (c->out_head)
		ev |= EPOLLOUT;
	if (ev != c->events && watch_mod(&c->w, ev) == 0)
		c->events = ev;
}

void conn_accept(struct watch *w, uint32_t events)
{
	for (;;) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			/* Out of fds: a level-triggered listener would spin; pause it a moment. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				watch_mod(w, 0);
				agent.listen_paused_until = now_ns() + 100000000ull;
			}
			return;
		}
		/* Bounded: past the limit a client is refused at once. */
		if (agent.n_conns >= AGENT_MAX_CONNS || agent.stopping) {
			close(fd);
			continue;
		}
		struct conn *c = spare_take(&spare_conn, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->w = (struct watch){ conn_io, fd };
		c->accepted_ns = now_ns();
		c->events = EPOLLIN;
		if (watch_add(&c->w, EPOLLIN) < 0) {
			close(fd);
			spare_give(&spare_conn, c);
			continue;
		}
		c->next = agent.conns;
		agent.conns = c;
		agent.n_conns++;
	}
}

/* Marks the connection dead: its fd is closed now, the struct is freed by conns_sweep(). */
void conn_kill(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	watch_del(&c->w);
	for (unsigned i = 0; i < c->nfdq; i++)
		close(c->fdq[i]);
	c->nfdq = 0;
	while (c->out_head) {
		struct outmsg *m = c->out_head;
		c->out_head = m->next;
		for (unsigned i = 0; i < m->nfds; i++)
			close(m->fds[i]);
		free(m);
	}
	c->out_tail = NULL;
	c->out_bytes = 0;
	if (c->in_cap == IN_INITIAL)
		spare_give(&spare_in, c->in);
	else
		free(c->in);
	c->in = NULL;
	procs_conn_gone(c);
	sessions_conn_gone(c);
}

void conns_sweep(void)
{
	for (struct conn **pp = &agent.conns; *pp;) {
		struct conn *c = *pp;
		if (c->closing && !c->out_head && !c->dead)
			conn_kill(c);
		if (c->dead) {
			*pp = c->next;
			agent.n_conns--;
			spare_give(&spare_conn, c);
		} else {
			pp = &c->next;
		}
	}
}

void conns_timers(uint64_t now, uint64_t *next)
{
	if (agent.listen_paused_until && agent.listen_w.fd >= 0) {
		if (now >= agent.listen_paused_until) {
			agent.listen_paused_until = 0;
			watch_mod(&agent.listen_w, EPOLLIN);
		} else {
			*next = MIN(*next, agent.listen_paused_until);
		}
	}
	for (struct conn *c = agent.conns; c; c = c->next) {
		if (c->authed || c->dead)
			continue;
		uint64_t dl = c->accepted_ns + AGENT_HELLO_TIMEOUT_NS;
		if (now >= dl)
			conn_kill(c);
		else if (dl < *next)
			*next = dl;
	}
}

bool conn_can_pump(const struct conn *c)
{
	return !c->dead && !c->closing && c->out_bytes < AGENT_OUTQ_PUMP;
}

static void flush(struct conn *c)
{
	while (c->out_head) {
		struct outmsg *m = c->out_head;
		struct iovec iov = { m->data + m->off, m->len - m->off };
		union {
			char buf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS)];
			struct cmsghdr align;
		} cm;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (m->nfds) {
			memset(&cm, 0, sizeof(cm));
			mh.msg_control = cm.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->nfds);
			struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
			h->cmsg_level = SOL_SOCKET;
			h->cmsg_type = SCM_RIGHTS;
			h->cmsg_len = CMSG_LEN(sizeof(int) * m->nfds);
			memcpy(CMSG_DATA(h), m->fds, sizeof(int) * m->nfds);
		}
		ssize_t n = sendmsg(c->w.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn_kill(c);
			break;
		}
		/* The fds went with the first byte: ours can go. */
		for (unsigned i = 0; i < m->nfds; i++)
			close(m->fds[i]);
		m->nfds = 0;
		m->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (m->off == m->len) {
			c->out_head = m->next;
			if (!c->out_head)
				c->out_tail = NULL;
			free(m);
		}
	}
	if (!c->dead)
		set_events(c);
}

/* Every message we send carries the connection's version (1 until the handshake is done). */
static void stamp_version(const struct conn *c, uint8_t *data, size_t len)
{
	uint16_t v = c->authed ? c->version : PROTO_VERSION_MIN;
	struct proto_hdr h;
	for (size_t off = 0; proto_hdr_decode(data + off, len - off, &h) == 0;
	     off += PROTO_HDR_SIZE + h.len) {
		h.version = v;
		proto_hdr_encode(&h, data + off);
	}
}

/* Queues the encoded message(s) in e; takes the fds (closed on failure). */
int conn_send(struct conn *c, struct proto_enc *e, const int *fds, unsigned nfds)
{
	int r = e->error;
	if (r == 0 && (c->dead || c->out_bytes + e->len > AGENT_OUTQ_MAX))
		r = c->dead ? -EPIPE : -ENOBUFS;
	struct outmsg *m = r == 0 ? malloc(sizeof(*m) + e->len) : NULL;
	if (r == 0 && !m)
		r = -ENOMEM;
	if (r < 0) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		/* A client that does not read its replies loses its connection. */
		if (r == -ENOBUFS)
			conn_kill(c);
		return r;
	}
	*m = (struct outmsg){ .len = e->len, .nfds = nfds };
	if (nfds)
		memcpy(m->fds, fds, sizeof(int) * nfds);
	memcpy(m->data, e->data, e->len);
	stamp_version(c, m->data, e->len);
	if (c->out_tail)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	c->out_bytes += e->len;
	flush(c);
	return 0;
}

void reply_error(struct conn *c, uint32_t req, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_ERROR, 0, req);
	proto_put_u32(&e, T_ERRNO, err > 0 ? (uint32_t)err : (uint32_t)-err);
	proto_put_str(&e, T_MESSAGE, msg);
	if (proto_enc_end(&e, 0) == 0)
		conn_send(c, &e, NULL, 0);
	proto_enc_release(&e);
}

void reply_ok(struct conn *c, uint32_t req)
{
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, req);
	if (proto_enc_end(&e, 0) == 0)
		conn_send(c, &e, NULL, 0);
	proto_enc_release(&e);
}

static void h_hello(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
		    int *fds, unsigned nfds)
{
	uint32_t vmin = 0, vmax = 0;
	const uint8_t *tok = NULL;
	size_t toklen = 0;
	if (proto_get_u32(f, T_VERSION_MIN, &vmin) < 0 || proto_get_u32(f, T_VERSION_MAX, &vmax) < 0) {
		reply_error(c, h->id, EBADMSG, "hello: version range missing");
		c->closing = true;
		return;
	}
	int r = proto_get_bytes(f, T_TOKEN, &tok, &toklen);
	if (r == -EBADMSG) {
		reply_error(c, h->id, EBADMSG, "hello: bad token field");
		c->closing = true;
		return;
	}
	/* Constant-time: the comparison must not tell a guesser how much of a token was right.
	 * (Whether one was sent at all is no secret: the client knows.) */
	if (agent.token && !proto_token_equal(tok ? tok : (const uint8_t *)"", toklen, agent.token,
					      agent.token_len)) {
		reply_error(c, h->id, EACCES, tok ? "hello: wrong token"
						  : "hello: this agent needs a token (--token-file)");
		c->closing = true;
		return;
	}
	uint32_t v = MIN(vmax, (uint32_t)PROTO_VERSION_MAX);
	if (vmin > vmax || v < vmin || v < PROTO_VERSION_MIN) {
		reply_error(c, h->id, EPROTONOSUPPORT, "hello: no common protocol version (agent speaks %d-%d)",
			    PROTO_VERSION_MIN, PROTO_VERSION_MAX);
		c->closing = true;
		return;
	}
	c->authed = true;
	c->version = (uint16_t)v;
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, h->id);
	proto_put_u32(&e, T_VERSION, v);
	proto_put_str(&e, T_AGENT_VERSION, HUTCH_VERSION);
	proto_put_u32(&e, T_AGENT_PID, (uint32_t)getpid());
	if (proto_enc_end(&e, 0) == 0)
		conn_send(c, &e, NULL, 0);
	proto_enc_release(&e);
}

static void h_shutdown(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
		       int *fds, unsigned nfds)
{
	int r = 0;
	uint32_t ms = proto_u32_or(f, T_TIMEOUT_MS, 10000, &r);
	reply_ok(c, h->id);
	agent_stop((uint64_t)ms * 1000000ull);
}

static const handler_fn handlers[] = {
	[PROTO_HELLO] = h_hello,
	[PROTO_SPAWN] = h_spawn,
	[PROTO_WAIT] = h_wait,
	[PROTO_SIGNAL] = h_signal,
	[PROTO_STDIN] = h_stdin,
	[PROTO_RESIZE] = h_resize,
	[PROTO_LIST] = h_list,
	[PROTO_ATTACH] = h_attach,
	[PROTO_RELEASE] = h_release,
	[PROTO_OPEN] = h_open,
	[PROTO_STAT] = h_stat,
	[PROTO_READDIR] = h_readdir,
	[PROTO_MKDIR] = h_mkdir,
	[PROTO_REMOVE] = h_remove,
	[PROTO_RENAME] = h_rename,
	[PROTO_CHMOD] = h_chmod,
	[PROTO_CHOWN] = h_chown,
	[PROTO_WRITE_FILE] = h_write_file,
	[PROTO_READ_FILE] = h_read_file,
	[PROTO_SESSION_NEW] = h_session_new,
	[PROTO_SESSION_EXEC] = h_session_exec,
	[PROTO_SESSION_CLOSE] = h_session_close,
	[PROTO_SHUTDOWN] = h_shutdown,
};

static void dispatch(struct conn *c, const struct proto_hdr *h, const uint8_t *payload, int *fds)
{
	if (!c->authed && h->type != PROTO_HELLO) {
		reply_error(c, h->id, EACCES, "handshake required");
		c->closing = true;
		return;
	}
	if (c->authed && h->type == PROTO_HELLO) {
		reply_error(c, h->id, EALREADY, "handshake already done");
		return;
	}
	/* Any version up to the negotiated one: a client that pipelines sends version 1 before
	 * it knows what was negotiated. */
	if (c->authed && (h->version < PROTO_VERSION_MIN || h->version > c->version)) {
		reply_error(c, h->id, EPROTO, "message version %u, negotiated %u", h->version,
			    c->version);
		return;
	}
	handler_fn fn = h->type < ARRAY_SIZE(handlers) ? handlers[h->type] : NULL;
	if (!fn) {
		reply_error(c, h->id, EOPNOTSUPP, "unknown message type %u", h->type);
		return;
	}
	struct proto_fields f;
	int r = proto_decode(payload, h->len, &f);
	if (r < 0) {
		reply_error(c, h->id, -r, "malformed payload");
		return;
	}
	fn(c, h, &f, fds, h->nfds);
	proto_fields_release(&f);
}

/* Handles every complete message in the input buffer. */
static void parse(struct conn *c)
{
	size_t off = 0;
	while (!c->dead && !c->closing && c->in_len - off >= PROTO_HDR_SIZE) {
		struct proto_hdr h;
		if (proto_hdr_decode(c->in + off, c->in_len - off, &h) < 0) {
			conn_kill(c); /* framing lost */
			return;
		}
		size_t total = PROTO_HDR_SIZE + (size_t)h.len;
		if (c->in_len - off < total) {
			if (c->in_cap < total) {
				/* Bounded by PROTO_MAX_PAYLOAD, checked by proto_hdr_decode(). */
				memmove(c->in, c->in + off, c->in_len - off);
				c->in_len -= off;
				off = 0;
				uint8_t *nb = realloc(c->in, total);
				if (!nb) {
					conn_kill(c);
					return;
				}
				c->in = nb;
				c->in_cap = total;
			}
			break;
		}
		/* The message's fds arrived with its first byte, so they are queued by now. */
		if (h.nfds > c->nfdq) {
			conn_kill(c);
			return;
		}
		int fds[PROTO_MAX_FDS];
		memcpy(fds, c->fdq, sizeof(int) * h.nfds);
		memmove(c->fdq, c->fdq + h.nfds, sizeof(int) * (c->nfdq - h.nfds));
		c->nfdq -= h.nfds;
		dispatch(c, &h, c->in + off + PROTO_HDR_SIZE, fds);
		for (unsigned i = 0; i < h.nfds; i++)
			safe_close(fds[i]);
		off += total;
	}
	if (c->dead)
		return;
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	/* Give back the memory of a big message once it is handled. */
	if (c->in_cap > 64 * 1024 && c->in_len < IN_INITIAL) {
		uint8_t *nb = realloc(c->in, IN_INITIAL);
		if (nb) {
			c->in = nb;
			c->in_cap = IN_INITIAL;
		}
	}
}

/* Moves received fds to the queue; false if the peer sent more than it may. */
static bool take_fds(struct conn *c, struct msghdr *mh)
{
	bool ok = !(mh->msg_flags & MSG_CTRUNC);
	for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h; h = CMSG_NXTHDR(mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) {
			ok = false;
			continue;
		}
		size_t n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
			if (c->nfdq < ARRAY_SIZE(c->fdq))
				c->fdq[c->nfdq++] = fd;
			else {
				close(fd);
				ok = false;
			}
		}
	}
	return ok;
}

static void conn_read(struct conn *c)
{
	if (!c->in) {
		c->in = spare_take(&spare_in, IN_INITIAL);
		if (!c->in) {
			conn_kill(c);
			return;
		}
		c->in_cap = IN_INITIAL;
	}
	for (int rounds = 0; rounds < 16 && !c->dead && !c->closing; rounds++) {
		if (c->in_len == c->in_cap)
			break; /* parse() grows the buffer for a message that needs it */
		union {
			char buf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS * 2)];
			struct cmsghdr align;
		} cm;
		struct iovec iov = { c->in + c->in_len, c->in_cap - c->in_len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
				     .msg_controllen = sizeof(cm.buf) };
		ssize_t n = recvmsg(c->w.fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn_kill(c);
			return;
		}
		if (!take_fds(c, &mh)) {
			conn_kill(c);
			return;
		}
		if (n == 0) {
			conn_kill(c); /* peer closed */
			return;
		}
		c->in_len += (size_t)n;
		parse(c);
	}
}

static void conn_io(struct watch *w, uint32_t events)
{
	struct conn *c = (struct conn *)w; /* w is the first member */
	if (c->dead)
		return;
	if (events & EPOLLOUT)
		flush(c);
	if (!c->dead && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(c);
	if (!c->dead && c->closing && !c->out_head)
		conn_kill(c);
}

void conns_pump_all(void)
{
	for (struct proc *p = agent.procs; p; p = p->next)
		if (p->n_att)
			procs_pump(p);
}
