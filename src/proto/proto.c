/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Exec-plane codec. Trust boundary: every byte handed to the decoders comes from a peer that
 * may be hostile (a workload that reached the socket, or a confused client). Each length is
 * checked against the bytes really present before it is used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "proto.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

void proto_hdr_encode(const struct proto_hdr *h, uint8_t out[PROTO_HDR_SIZE])
{
	put32(out, PROTO_MAGIC);
	put16(out + 4, h->version);
	put16(out + 6, h->type);
	put16(out + 8, h->flags);
	put16(out + 10, h->nfds);
	put32(out + 12, h->id);
	put32(out + 16, h->len);
}

int proto_hdr_decode(const uint8_t *buf, size_t len, struct proto_hdr *ret)
{
	if (!buf || len < PROTO_HDR_SIZE)
		return -EBADMSG;
	if (get32(buf) != PROTO_MAGIC)
		return -EBADMSG;
	struct proto_hdr h = {
		.version = get16(buf + 4),
		.type = get16(buf + 6),
		.flags = get16(buf + 8),
		.nfds = get16(buf + 10),
		.id = get32(buf + 12),
		.len = get32(buf + 16),
	};
	if (h.nfds > PROTO_MAX_FDS || h.len > PROTO_MAX_PAYLOAD || h.version == 0 ||
	    h.type == 0 || (h.flags & ~PROTO_F_MORE))
		return -EBADMSG;
	*ret = h;
	return 0;
}

/* Checks one field's type against its length and content. */
static int field_check(uint8_t type, const uint8_t *val, uint32_t len)
{
	switch (type) {
	case PROTO_T_U32:
		return len == 4 ? 0 : -EBADMSG;
	case PROTO_T_U64:
	case PROTO_T_I64:
		return len == 8 ? 0 : -EBADMSG;
	case PROTO_T_BYTES:
	case PROTO_T_MSG:
		return 0;
	case PROTO_T_STRING:
		return memchr(val, 0, len) ? -EBADMSG : 0;
	default:
		return -EBADMSG;
	}
}

/* Walks the payload once; fills out[] when non-NULL. Returns the field count or -EBADMSG. */
static long walk(const uint8_t *p, size_t len, struct proto_field *out)
{
	size_t off = 0, n = 0;
	while (off < len) {
		if (len - off < PROTO_FIELD_HDR_SIZE)
			return -EBADMSG;
		uint16_t tag = get16(p + off);
		uint8_t type = p[off + 2];
		uint8_t reserved = p[off + 3];
		uint32_t flen = get32(p + off + 4);
		off += PROTO_FIELD_HDR_SIZE;
		if (tag == 0 || reserved != 0 || flen > len - off)
			return -EBADMSG;
		if (field_check(type, p + off, flen) < 0)
			return -EBADMSG;
		if (n >= PROTO_MAX_FIELDS)
			return -EBADMSG;
		if (out)
			out[n] = (struct proto_field){ tag, type, flen, p + off };
		n++;
		off += flen;
	}
	return (long)n;
}

int proto_decode(const uint8_t *payload, size_t len, struct proto_fields *ret)
{
	*ret = (struct proto_fields){ 0 };
	if (len > PROTO_MAX_PAYLOAD || (len > 0 && !payload))
		return -EBADMSG;
	/* Two passes: the allocation is bounded by the fields really present. */
	long n = walk(payload, len, NULL);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return 0;
	struct proto_field *f = calloc((size_t)n, sizeof(*f));
	if (!f)
		return -ENOMEM;
	walk(payload, len, f);
	ret->n = (size_t)n;
	ret->f = f;
	return 0;
}

void proto_fields_release(struct proto_fields *f)
{
	free(f->f);
	*f = (struct proto_fields){ 0 };
}

/* The single field with `tag`: -ENOENT, -EBADMSG (duplicate or other type), or 0. */
static int find1(const struct proto_fields *f, uint16_t tag, uint8_t type,
		 const struct proto_field **ret)
{
	const struct proto_field *found = NULL;
	for (size_t i = 0; i < f->n; i++) {
		if (f->f[i].tag != tag)
			continue;
		if (found || f->f[i].type != type)
			return -EBADMSG;
		found = &f->f[i];
	}
	if (!found)
		return -ENOENT;
	*ret = found;
	return 0;
}

int proto_get_u32(const struct proto_fields *f, uint16_t tag, uint32_t *ret)
{
	const struct proto_field *x;
	int r = find1(f, tag, PROTO_T_U32, &x);
	if (r == 0)
		*ret = get32(x->val);
	return r;
}

int proto_get_u64(const struct proto_fields *f, uint16_t tag, uint64_t *ret)
{
	const struct proto_field *x;
	int r = find1(f, tag, PROTO_T_U64, &x);
	if (r == 0)
		*ret = get64(x->val);
	return r;
}

int proto_get_i64(const struct proto_fields *f, uint16_t tag, int64_t *ret)
{
	const struct proto_field *x;
	int r = find1(f, tag, PROTO_T_I64, &x);
	if (r == 0)
		*ret = (int64_t)get64(x->val);
	return r;
}

static int get_blob(const struct proto_fields *f, uint16_t tag, uint8_t type, const uint8_t **ret,
		    size_t *ret_len)
{
	const struct proto_field *x;
	int r = find1(f, tag, type, &x);
	if (r == 0) {
		*ret = x->val;
		*ret_len = x->len;
	}
	return r;
}

int proto_get_bytes(const struct proto_fields *f, uint16_t tag, const uint8_t **ret, size_t *ret_len)
{
	return get_blob(f, tag, PROTO_T_BYTES, ret, ret_len);
}

int proto_get_msg(const struct proto_fields *f, uint16_t tag, const uint8_t **ret, size_t *ret_len)
{
	return get_blob(f, tag, PROTO_T_MSG, ret, ret_len);
}

int proto_get_str(const struct proto_fields *f, uint16_t tag, char **ret)
{
	const struct proto_field *x;
	int r = find1(f, tag, PROTO_T_STRING, &x);
	if (r < 0)
		return r;
	char *s = malloc(x->len + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, x->val, x->len);
	s[x->len] = '\0';
	*ret = s;
	return 0;
}

uint32_t proto_u32_or(const struct proto_fields *f, uint16_t tag, uint32_t def, int *r)
{
	uint32_t v;
	int q = proto_get_u32(f, tag, &v);
	if (q == -ENOENT)
		return def;
	if (q < 0 && r && *r >= 0)
		*r = q;
	return q < 0 ? def : v;
}

size_t proto_count(const struct proto_fields *f, uint16_t tag)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->f[i].tag == tag;
	return n;
}

int proto_get_strv(const struct proto_fields *f, uint16_t tag, size_t max, char ***ret)
{
	size_t n = proto_count(f, tag);
	if (n > max)
		return -E2BIG;
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct proto_field *x = &f->f[i];
		if (x->tag != tag)
			continue;
		if (x->type != PROTO_T_STRING || !(v[k] = strndup((const char *)x->val, x->len))) {
			int r = x->type != PROTO_T_STRING ? -EBADMSG : -ENOMEM;
			for (size_t j = 0; j < k; j++)
				free(v[j]);
			free(v);
			return r;
		}
		k++;
	}
	*ret = v;
	return 0;
}

/* ---- encoder ---- */

void proto_enc_init(struct proto_enc *e)
{
	*e = (struct proto_enc){ 0 };
}

void proto_enc_release(struct proto_enc *e)
{
	free(e->data);
	*e = (struct proto_enc){ 0 };
}

static uint8_t *reserve(struct proto_enc *e, size_t n)
{
	if (e->error)
		return NULL;
	/* Hard cap: a buffer never grows past a few maximal messages. */
	if (n > 4 * (size_t)PROTO_MAX_PAYLOAD || e->len + n > 4 * (size_t)PROTO_MAX_PAYLOAD) {
		e->error = -E2BIG;
		return NULL;
	}
	if (e->len + n > e->cap) {
		size_t cap = e->cap ? e->cap : 256;
		while (cap < e->len + n)
			cap *= 2;
		uint8_t *d = realloc(e->data, cap);
		if (!d) {
			e->error = -ENOMEM;
			return NULL;
		}
		e->data = d;
		e->cap = cap;
	}
	uint8_t *p = e->data + e->len;
	e->len += n;
	return p;
}

void proto_enc_begin_v(struct proto_enc *e, uint16_t version, uint16_t type, uint16_t flags,
		       uint32_t id)
{
	size_t start = e->len;
	uint8_t *p = reserve(e, PROTO_HDR_SIZE);
	if (!p)
		return;
	e->start = start;
	struct proto_hdr h = { .version = version, .type = type, .flags = flags, .id = id };
	proto_hdr_encode(&h, p);
}

void proto_enc_begin(struct proto_enc *e, uint16_t type, uint16_t flags, uint32_t id)
{
	proto_enc_begin_v(e, PROTO_VERSION_MAX, type, flags, id);
}

int proto_enc_end(struct proto_enc *e, unsigned nfds)
{
	if (e->error)
		return e->error;
	size_t plen = e->len - e->start - PROTO_HDR_SIZE;
	if (plen > PROTO_MAX_PAYLOAD || nfds > PROTO_MAX_FDS)
		return e->error = -E2BIG;
	put16(e->data + e->start + 10, (uint16_t)nfds);
	put32(e->data + e->start + 16, (uint32_t)plen);
	return 0;
}

static uint8_t *put_field(struct proto_enc *e, uint16_t tag, uint8_t type, size_t len)
{
	if (len > PROTO_MAX_PAYLOAD) {
		if (!e->error)
			e->error = -E2BIG;
		return NULL;
	}
	uint8_t *p = reserve(e, PROTO_FIELD_HDR_SIZE + len);
	if (!p)
		return NULL;
	put16(p, tag);
	p[2] = type;
	p[3] = 0;
	put32(p + 4, (uint32_t)len);
	return p + PROTO_FIELD_HDR_SIZE;
}

void proto_put_u32(struct proto_enc *e, uint16_t tag, uint32_t v)
{
	uint8_t *p = put_field(e, tag, PROTO_T_U32, 4);
	if (p)
		put32(p, v);
}

void proto_put_u64(struct proto_enc *e, uint16_t tag, uint64_t v)
{
	uint8_t *p = put_field(e, tag, PROTO_T_U64, 8);
	if (p)
		put64(p, v);
}

void proto_put_i64(struct proto_enc *e, uint16_t tag, int64_t v)
{
	uint8_t *p = put_field(e, tag, PROTO_T_I64, 8);
	if (p)
		put64(p, (uint64_t)v);
}

void proto_put_bytes(struct proto_enc *e, uint16_t tag, const void *v, size_t len)
{
	uint8_t *p = put_field(e, tag, PROTO_T_BYTES, len);
	if (p && len)
		memcpy(p, v, len);
}

void proto_put_str(struct proto_enc *e, uint16_t tag, const char *s)
{
	if (!s)
		return;
	size_t len = strlen(s);
	uint8_t *p = put_field(e, tag, PROTO_T_STRING, len);
	if (p && len)
		memcpy(p, s, len);
}

void proto_put_strv(struct proto_enc *e, uint16_t tag, char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		proto_put_str(e, tag, v[i]);
}

size_t proto_put_msg_begin(struct proto_enc *e, uint16_t tag)
{
	size_t mark = e->len;
	put_field(e, tag, PROTO_T_MSG, 0);
	return mark;
}

void proto_put_msg_end(struct proto_enc *e, size_t mark)
{
	if (e->error)
		return;
	size_t len = e->len - mark - PROTO_FIELD_HDR_SIZE;
	if (len > PROTO_MAX_PAYLOAD) {
		e->error = -E2BIG;
		return;
	}
	put32(e->data + mark + 4, (uint32_t)len);
}

bool proto_token_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	/* Touch max(alen, blen) bytes whatever the contents, so timing reveals no prefix. */
	const volatile uint8_t *x = a, *y = b;
	size_t n = alen > blen ? alen : blen;
	uint8_t diff = alen != blen;
	for (size_t i = 0; i < n; i++) {
		uint8_t cx = i < alen ? x[i] : 0;
		uint8_t cy = i < blen ? y[i] : 0;
		diff |= cx ^ cy;
	}
	return diff == 0;
}

int proto_send_all(int sock, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	const uint8_t *p = buf;
	union {
		char buf[CMSG_SPACE(sizeof(int) * PROTO_MAX_FDS)];
		struct cmsghdr align;
	} cm;
	if (nfds > PROTO_MAX_FDS)
		return -E2BIG;
	while (len > 0) {
		struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (nfds > 0) {
			memset(&cm, 0, sizeof(cm));
			mh.msg_control = cm.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		}
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		nfds = 0; /* the fds went with the first byte */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
