/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exec-plane wire codec, shared by hutch-agent and libhutch's client (docs/protocol.md is
 * the normative description). A message is a 20-byte header followed by a TLV payload; file
 * descriptors travel as SCM_RIGHTS with the first byte of the header.
 *
 * Invariants:
 *  - everything on the wire is little-endian;
 *  - every decoder returns -EBADMSG on malformed input and never reads out of bounds;
 *  - nothing is allocated in proportion to a size the peer declares, only to bytes it really
 *    sent, and never beyond PROTO_MAX_PAYLOAD / PROTO_MAX_FIELDS.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto-msg.h"

#define PROTO_MAGIC 0x48435448u /* bytes 'H' 'T' 'C' 'H' on the wire */
#define PROTO_VERSION_MIN 1
#define PROTO_VERSION_MAX 2 /* 2: SPAWN may carry T_WAIT_EXIT */
#define PROTO_HDR_SIZE 20
#define PROTO_FIELD_HDR_SIZE 8
#define PROTO_MAX_PAYLOAD (1u << 20)
#define PROTO_MAX_FDS 8
#define PROTO_MAX_FIELDS 16384
#define PROTO_MAX_NEST 2 /* a nested message may hold messages, no deeper */

enum proto_ftype {
	PROTO_T_U32 = 1,
	PROTO_T_U64 = 2,
	PROTO_T_I64 = 3,
	PROTO_T_BYTES = 4,
	PROTO_T_STRING = 5, /* no NUL byte inside, not NUL-terminated on the wire */
	PROTO_T_MSG = 6,    /* bytes that are themselves a TLV payload */
};

struct proto_hdr {
	uint16_t version;
	uint16_t type;
	uint16_t flags;
	uint16_t nfds;
	uint32_t id;
	uint32_t len;
};

/* A decoded field points into the caller's buffer. */
struct proto_field {
	uint16_t tag;
	uint8_t type;
	uint32_t len;
	const uint8_t *val;
};

struct proto_fields {
	size_t n;
	struct proto_field *f;
};

/* An encoder: a growing buffer; the first error sticks and is returned by proto_enc_end(). */
struct proto_enc {
	uint8_t *data;
	size_t len, cap;
	size_t start; /* where the current message's header begins */
	int error;
};

/* ---- header ---- */
void proto_hdr_encode(const struct proto_hdr *h, uint8_t out[PROTO_HDR_SIZE]);
/* Checks magic, fd count and length caps (not the version: that is the caller's business). */
int proto_hdr_decode(const uint8_t *buf, size_t len, struct proto_hdr *ret);

/* ---- payload decoding ---- */
int proto_decode(const uint8_t *payload, size_t len, struct proto_fields *ret);
void proto_fields_release(struct proto_fields *f);

/*
 * Accessors for a field that may appear at most once: 0 and the value if present, -ENOENT if
 * absent, -EBADMSG if it has the wrong type or appears twice.
 */
int proto_get_u32(const struct proto_fields *f, uint16_t tag, uint32_t *ret);
int proto_get_u64(const struct proto_fields *f, uint16_t tag, uint64_t *ret);
int proto_get_i64(const struct proto_fields *f, uint16_t tag, int64_t *ret);
int proto_get_bytes(const struct proto_fields *f, uint16_t tag, const uint8_t **ret, size_t *ret_len);
int proto_get_msg(const struct proto_fields *f, uint16_t tag, const uint8_t **ret, size_t *ret_len);
/* A NUL-terminated heap copy of a string field. */
int proto_get_str(const struct proto_fields *f, uint16_t tag, char **ret);
/* Like the above with a default for an absent field. */
uint32_t proto_u32_or(const struct proto_fields *f, uint16_t tag, uint32_t def, int *r);
/* Every string field with this tag, in order, as a NULL-terminated vector (at most max). */
int proto_get_strv(const struct proto_fields *f, uint16_t tag, size_t max, char ***ret);
/* Counts fields with a tag (of any type). */
size_t proto_count(const struct proto_fields *f, uint16_t tag);

/* ---- encoding ---- */
void proto_enc_init(struct proto_enc *e);
void proto_enc_release(struct proto_enc *e);
/* Starts a message (appends a header to the buffer, which may already hold messages). */
void proto_enc_begin(struct proto_enc *e, uint16_t type, uint16_t flags, uint32_t id);
/* The same, with the protocol version the header carries (proto_enc_begin: the highest). */
void proto_enc_begin_v(struct proto_enc *e, uint16_t version, uint16_t type, uint16_t flags,
		       uint32_t id);
/* Finishes it: fills in length and fd count. -E2BIG past PROTO_MAX_PAYLOAD. */
int proto_enc_end(struct proto_enc *e, unsigned nfds);
void proto_put_u32(struct proto_enc *e, uint16_t tag, uint32_t v);
void proto_put_u64(struct proto_enc *e, uint16_t tag, uint64_t v);
void proto_put_i64(struct proto_enc *e, uint16_t tag, int64_t v);
void proto_put_bytes(struct proto_enc *e, uint16_t tag, const void *v, size_t len);
void proto_put_str(struct proto_enc *e, uint16_t tag, const char *s);
void proto_put_strv(struct proto_enc *e, uint16_t tag, char *const *v);
/* Nested message: begin returns a mark to give to end. */
size_t proto_put_msg_begin(struct proto_enc *e, uint16_t tag);
void proto_put_msg_end(struct proto_enc *e, size_t mark);

/* ---- small helpers ---- */
/* Constant-time equality of two byte strings (time depends only on the longer length). */
bool proto_token_equal(const void *a, size_t alen, const void *b, size_t blen);
/* sendmsg() of a whole buffer, the fds attached to its first byte; retries on EINTR/short writes. */
int proto_send_all(int sock, const void *buf, size_t len, const int *fds, unsigned nfds);
