/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the exec-plane codec: round trips, and every malformed input it must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "macro.h"
#include "proto.h"
#include "strv.h"

static void put_field_raw(uint8_t *p, uint16_t tag, uint8_t type, uint8_t reserved, uint32_t len)
{
	p[0] = (uint8_t)tag;
	p[1] = (uint8_t)(tag >> 8);
	p[2] = type;
	p[3] = reserved;
	for (int i = 0; i < 4; i++)
		p[4 + i] = (uint8_t)(len >> (8 * i));
}

static void test_roundtrip(void **state)
{
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_SPAWN, 0, 42);
	char *argv[] = { "sh", "-c", "echo hi", NULL };
	proto_put_strv(&e, T_ARGV, argv);
	proto_put_u32(&e, T_UID, 1000);
	proto_put_u64(&e, T_SIZE, 0x123456789abcdef0ull);
	proto_put_i64(&e, T_MTIME_NS, -5);
	proto_put_bytes(&e, T_DATA, "\0\1\2", 3);
	proto_put_bytes(&e, T_TOKEN, NULL, 0);
	size_t m = proto_put_msg_begin(&e, T_RLIMIT);
	proto_put_u32(&e, T_RL_RESOURCE, 7);
	proto_put_msg_end(&e, m);
	assert_int_equal(proto_enc_end(&e, 2), 0);

	struct proto_hdr h;
	assert_int_equal(proto_hdr_decode(e.data, e.len, &h), 0);
	assert_int_equal(h.type, PROTO_SPAWN);
	assert_int_equal(h.id, 42);
	assert_int_equal(h.nfds, 2);
	assert_int_equal(h.version, PROTO_VERSION_MAX);
	assert_int_equal(h.len, e.len - PROTO_HDR_SIZE);
	/* The magic is "HTCH" on the wire. */
	assert_memory_equal(e.data, "HTCH", 4);

	struct proto_fields f;
	assert_int_equal(proto_decode(e.data + PROTO_HDR_SIZE, h.len, &f), 0);
	_cleanup_strv_ char **v = NULL;
	assert_int_equal(proto_get_strv(&f, T_ARGV, 10, &v), 0);
	assert_int_equal(strv_length(v), 3);
	assert_string_equal(v[2], "echo hi");
	uint32_t u;
	uint64_t u64;
	int64_t i64;
	assert_int_equal(proto_get_u32(&f, T_UID, &u), 0);
	assert_int_equal(u, 1000);
	assert_int_equal(proto_get_u64(&f, T_SIZE, &u64), 0);
	assert_true(u64 == 0x123456789abcdef0ull);
	assert_int_equal(proto_get_i64(&f, T_MTIME_NS, &i64), 0);
	assert_true(i64 == -5);
	const uint8_t *b;
	size_t bl;
	assert_int_equal(proto_get_bytes(&f, T_DATA, &b, &bl), 0);
	assert_int_equal(bl, 3);
	assert_memory_equal(b, "\0\1\2", 3);
	assert_int_equal(proto_get_bytes(&f, T_TOKEN, &b, &bl), 0);
	assert_int_equal(bl, 0);
	assert_int_equal(proto_get_msg(&f, T_RLIMIT, &b, &bl), 0);
	struct proto_fields sub;
	assert_int_equal(proto_decode(b, bl, &sub), 0);
	assert_int_equal(proto_get_u32(&sub, T_RL_RESOURCE, &u), 0);
	assert_int_equal(u, 7);
	proto_fields_release(&sub);
	/* absent, wrong type, repeated-but-singular */
	assert_int_equal(proto_get_u32(&f, T_GID, &u), -ENOENT);
	assert_int_equal(proto_get_u64(&f, T_UID, &u64), -EBADMSG);
	char *s;
	assert_int_equal(proto_get_str(&f, T_ARGV, &s), -EBADMSG);
	assert_int_equal(proto_get_strv(&f, T_ARGV, 2, &v), -E2BIG);
	int r = 0;
	assert_int_equal(proto_u32_or(&f, T_GID, 9, &r), 9);
	assert_int_equal(r, 0);
	assert_int_equal(proto_u32_or(&f, T_SIZE, 9, &r), 9);
	assert_int_equal(r, -EBADMSG);
	proto_fields_release(&f);
	proto_enc_release(&e);
}

static void test_empty_payload(void **state)
{
	struct proto_fields f;
	assert_int_equal(proto_decode(NULL, 0, &f), 0);
	assert_int_equal(f.n, 0);
	uint32_t u;
	assert_int_equal(proto_get_u32(&f, T_UID, &u), -ENOENT);
	proto_fields_release(&f);
}

static void test_bad_headers(void **state)
{
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_HELLO, 0, 1);
	assert_int_equal(proto_enc_end(&e, 0), 0);
	struct proto_hdr h;
	uint8_t b[PROTO_HDR_SIZE];
	memcpy(b, e.data, sizeof(b));
	assert_int_equal(proto_hdr_decode(b, sizeof(b), &h), 0);
	assert_int_equal(proto_hdr_decode(b, sizeof(b) - 1, &h), -EBADMSG); /* short */
	assert_int_equal(proto_hdr_decode(NULL, 20, &h), -EBADMSG);
	b[0] = 'X'; /* magic */
	assert_int_equal(proto_hdr_decode(b, sizeof(b), &h), -EBADMSG);
	memcpy(b, e.data, sizeof(b));
	b[10] = PROTO_MAX_FDS + 1; /* too many fds */
	assert_int_equal(proto_hdr_decode(b, sizeof(b), &h), -EBADMSG);
	memcpy(b, e.data, sizeof(b));
	b[18] = 0x10; /* payload 1 MiB + 0: allowed; + 1 is not */
	assert_int_equal(proto_hdr_decode(b, sizeof(b), &h), 0);
	b[16] = 1;
	assert_int_equal(proto_hdr_decode(b, sizeof(b), &h), -EBADMSG);
	memcpy(b, e.data, sizeof(b));
	b[4] = b[5] = 0; /* version 0 */
	assert_int_equal(proto_hdr_decode(b, sizeof(b), &h), -EBADMSG);
	memcpy(b, e.data, sizeof(b));
	b[6] = b[7] = 0; /* type 0 */
	assert_int_equal(proto_hdr_decode(b, sizeof(b), &h), -EBADMSG);
	memcpy(b, e.data, sizeof(b));
	b[8] = 0x80; /* unknown flag */
	assert_int_equal(proto_hdr_decode(b, sizeof(b), &h), -EBADMSG);
	proto_enc_release(&e);
}

static void test_bad_fields(void **state)
{
	uint8_t p[64];
	struct proto_fields f;
	/* truncated field header */
	put_field_raw(p, T_UID, PROTO_T_U32, 0, 4);
	assert_int_equal(proto_decode(p, 7, &f), -EBADMSG);
	/* length past the end */
	put_field_raw(p, T_DATA, PROTO_T_BYTES, 0, 100);
	assert_int_equal(proto_decode(p, 16, &f), -EBADMSG);
	/* length near UINT32_MAX must not wrap */
	put_field_raw(p, T_DATA, PROTO_T_BYTES, 0, 0xffffffffu);
	assert_int_equal(proto_decode(p, 16, &f), -EBADMSG);
	/* fixed-size types with the wrong size */
	put_field_raw(p, T_UID, PROTO_T_U32, 0, 8);
	assert_int_equal(proto_decode(p, 16, &f), -EBADMSG);
	put_field_raw(p, T_SIZE, PROTO_T_U64, 0, 4);
	assert_int_equal(proto_decode(p, 12, &f), -EBADMSG);
	put_field_raw(p, T_SIZE, PROTO_T_I64, 0, 0);
	assert_int_equal(proto_decode(p, 8, &f), -EBADMSG);
	/* unknown type, type 0, tag 0, reserved byte set */
	put_field_raw(p, T_UID, 7, 0, 0);
	assert_int_equal(proto_decode(p, 8, &f), -EBADMSG);
	put_field_raw(p, T_UID, 0, 0, 0);
	assert_int_equal(proto_decode(p, 8, &f), -EBADMSG);
	put_field_raw(p, 0, PROTO_T_BYTES, 0, 0);
	assert_int_equal(proto_decode(p, 8, &f), -EBADMSG);
	put_field_raw(p, T_DATA, PROTO_T_BYTES, 1, 0);
	assert_int_equal(proto_decode(p, 8, &f), -EBADMSG);
	/* NUL inside a string */
	put_field_raw(p, T_PATH, PROTO_T_STRING, 0, 3);
	memcpy(p + 8, "a\0b", 3);
	assert_int_equal(proto_decode(p, 11, &f), -EBADMSG);
	/* a good field followed by trailing junk */
	put_field_raw(p, T_UID, PROTO_T_U32, 0, 4);
	memset(p + 8, 0, 4);
	p[12] = 1;
	assert_int_equal(proto_decode(p, 13, &f), -EBADMSG);
	assert_int_equal(proto_decode(p, 12, &f), 0);
	proto_fields_release(&f);
	/* payload over the cap */
	assert_int_equal(proto_decode(p, PROTO_MAX_PAYLOAD + 1, &f), -EBADMSG);
}

static void test_too_many_fields(void **state)
{
	size_t n = PROTO_MAX_FIELDS + 1;
	uint8_t *p = calloc(n, PROTO_FIELD_HDR_SIZE);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		put_field_raw(p + i * 8, T_ENV, PROTO_T_STRING, 0, 0);
	struct proto_fields f;
	assert_int_equal(proto_decode(p, n * 8, &f), -EBADMSG);
	assert_int_equal(proto_decode(p, (n - 1) * 8, &f), 0);
	assert_int_equal(f.n, n - 1);
	proto_fields_release(&f);
	free(p);
}

static void test_encoder_caps(void **state)
{
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_DATA, PROTO_F_MORE, 3);
	char *big = calloc(1, PROTO_MAX_PAYLOAD);
	assert_non_null(big);
	proto_put_bytes(&e, T_DATA, big, PROTO_MAX_PAYLOAD);
	assert_int_equal(proto_enc_end(&e, 0), -E2BIG); /* header of the field pushes it over */
	proto_enc_release(&e);
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_DATA, 0, 3);
	proto_put_bytes(&e, T_DATA, big, PROTO_MAX_PAYLOAD - PROTO_FIELD_HDR_SIZE);
	assert_int_equal(proto_enc_end(&e, 0), 0);
	assert_int_equal(proto_enc_end(&e, PROTO_MAX_FDS + 1), -E2BIG);
	proto_enc_release(&e);
	free(big);
}

static void test_token_equal(void **state)
{
	assert_true(proto_token_equal("secret", 6, "secret", 6));
	assert_false(proto_token_equal("secret", 6, "secreT", 6));
	assert_false(proto_token_equal("secret", 6, "secret2", 7));
	assert_false(proto_token_equal("", 0, "x", 1));
	assert_true(proto_token_equal("", 0, "", 0));
}

static void test_send_with_fds(void **state)
{
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(proto_send_all(sp[0], "abc", 3, &fd, 1), 0);
	char buf[3];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} cm;
	struct iovec iov = { buf, 3 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
			     .msg_controllen = sizeof(cm.b) };
	assert_int_equal(recvmsg(sp[1], &mh, MSG_CMSG_CLOEXEC), 3);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	assert_non_null(c);
	assert_int_equal(c->cmsg_type, SCM_RIGHTS);
	int got;
	memcpy(&got, CMSG_DATA(c), sizeof(int));
	assert_true(got >= 0);
	close(got);
	close(fd);
	close(sp[0]);
	close(sp[1]);
	assert_int_equal(proto_send_all(-1, "a", 1, NULL, PROTO_MAX_FDS + 1), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),     cmocka_unit_test(test_empty_payload),
		cmocka_unit_test(test_bad_headers),   cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_too_many_fields), cmocka_unit_test(test_encoder_caps),
		cmocka_unit_test(test_token_equal),   cmocka_unit_test(test_send_with_fds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
