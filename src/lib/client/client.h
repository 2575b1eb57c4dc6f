/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhutch's exec-plane client: one blocking connection to hutch-agent. A request is sent
 * whole; replies are read message by message (header, then exactly its payload, so the fds
 * that ride with a header are never mixed up with another message's).
 */
#pragma once

#include <stdbool.h>

#include "err.h"
#include "hutch/hutch.h"
#include "proto.h"

struct hutch_agent {
	int fd;
	uint32_t next_id;
	uint16_t version;
	uint32_t agent_pid;
	uint32_t hello_id; /* a handshake sent but not yet answered (pipelined), or 0 */
};

/* One received message: header, payload (owned), decoded fields (pointing into it), fds. */
struct client_msg {
	struct proto_hdr h;
	uint8_t *payload;
	struct proto_fields f;
	int fds[PROTO_MAX_FDS];
	unsigned nfds;
};
void client_msg_release(struct client_msg *m);

/* Called for each DATA message of a streaming request. */
typedef void (*client_data_fn)(void *userdata, const struct client_msg *m);

/* Starts a request: returns its id, and begins e with the header. */
uint32_t client_begin(struct hutch_agent *a, struct proto_enc *e, uint16_t type);
/* Sends the request in e with fds, then reads until its final reply: REPLY fills ret
 * (caller releases), ERROR becomes -errno with the agent's message in err. */
int client_call(struct hutch_agent *a, struct proto_enc *e, uint32_t id, const int *fds,
		unsigned nfds, client_data_fn fn, void *userdata, struct client_msg *ret,
		struct hutch_err *err);
/* Sends only (the reply is read later with client_finish). */
int client_send(struct hutch_agent *a, struct proto_enc *e, const int *fds, unsigned nfds,
		struct hutch_err *err);
/* Reads one message (blocking); a pipelined handshake's reply is read and checked first. */
int client_recv(struct hutch_agent *a, struct client_msg *ret, struct hutch_err *err);
/* Reads until the final reply to request id (DATA messages go to fn), as client_call. */
int client_wait_reply(struct hutch_agent *a, uint32_t id, client_data_fn fn, void *userdata,
		      struct client_msg *ret, struct hutch_err *err);

/*
 * A connection whose handshake is sent but not waited for: requests can follow at once, and
 * the handshake's reply (or its error) is read before the first reply. On a socket that is
 * connected before the agent even runs (its listening socket exists first), everything
 * sent waits in the socket until the agent accepts: `hutch run` sends its command that way.
 * Takes fd.
 */
int client_connect_pipelined(int fd, const char *token, struct hutch_agent **ret,
			     struct hutch_err *err);
/* hutch_agent_connect, optionally pipelined. */
int client_connect_path(const char *path, const char *token, bool pipelined,
			struct hutch_agent **ret, struct hutch_err *err);

/* A spawn in two halves, for pipelining: the request now, its reply later. */
int client_spawn_send(struct hutch_agent *a, const struct hutch_spawn_opts *o, uint32_t *ret_req,
		      struct hutch_err *err);
int client_spawn_reply(struct hutch_agent *a, uint32_t req, const char *argv0, uint32_t *ret_id,
		       int *ret_pty, struct hutch_err *err);
/* Turns a final reply into 0 / -errno (ERROR). */
int client_reply_status(const struct client_msg *m, struct hutch_err *err);

void client_put_spawn_opts(struct proto_enc *e, const struct hutch_spawn_opts *o);
void client_read_exit(const struct proto_fields *f, struct hutch_exit *ret);

/* Output collection shared by run and sessions: up to max bytes per stream into o. */
struct collect {
	struct hutch_output *o;
	size_t max;
};
hutch_output_fn client_collector(void);
/* Makes out/err non-NULL (empty strings) so callers can print them. */
int client_output_finish(struct hutch_output *o, struct hutch_err *err);
