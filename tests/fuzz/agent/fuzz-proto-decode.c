/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: bytes -> the codec, as the agent sees them from a client. The input is a
 * stream of messages: each header is decoded, then its payload, then every accessor is run
 * over the fields (and nested messages one level down), as the request handlers would.
 */
#include <stdint.h>
#include <stdlib.h>

#include "proto.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void poke(const struct proto_fields *f, int depth)
{
	for (size_t i = 0; i < f->n; i++) {
		uint16_t tag = f->f[i].tag;
		uint32_t u;
		uint64_t u64;
		int64_t i64;
		const uint8_t *b;
		size_t bl;
		char *s = NULL;
		char **v = NULL;
		proto_get_u32(f, tag, &u);
		proto_get_u64(f, tag, &u64);
		proto_get_i64(f, tag, &i64);
		proto_get_bytes(f, tag, &b, &bl);
		if (proto_get_str(f, tag, &s) == 0)
			free(s);
		if (proto_get_strv(f, tag, 64, &v) == 0)
			strv_free(v);
		if (depth < PROTO_MAX_NEST && proto_get_msg(f, tag, &b, &bl) == 0) {
			struct proto_fields sub;
			if (proto_decode(b, bl, &sub) == 0) {
				poke(&sub, depth + 1);
				proto_fields_release(&sub);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	while (size >= PROTO_HDR_SIZE) {
		struct proto_hdr h;
		if (proto_hdr_decode(data, size, &h) < 0) {
			/* Also treat the whole input as a bare payload. */
			struct proto_fields f;
			if (proto_decode(data, size, &f) == 0) {
				poke(&f, 0);
				proto_fields_release(&f);
			}
			return 0;
		}
		data += PROTO_HDR_SIZE;
		size -= PROTO_HDR_SIZE;
		size_t len = h.len < size ? h.len : size;
		struct proto_fields f;
		if (proto_decode(data, len, &f) == 0) {
			poke(&f, 0);
			proto_fields_release(&f);
		}
		data += len;
		size -= len;
	}
	return 0;
}
