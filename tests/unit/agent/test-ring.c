/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the agent's output ring: cursors, growth, overwrite, drop accounting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

static void test_empty(void **state)
{
	struct ring r;
	ring_init(&r, 8192);
	char buf[16];
	uint64_t off = 99, dropped = 99;
	assert_int_equal(ring_read(&r, 0, buf, sizeof(buf), &off, &dropped), 0);
	assert_int_equal(off, 0);
	assert_int_equal(dropped, 0);
	assert_null(r.buf); /* nothing allocated until something is written */
	ring_release(&r);
}

static void test_write_read(void **state)
{
	struct ring r;
	ring_init(&r, 8192);
	assert_int_equal(ring_write(&r, "hello ", 6), 0);
	assert_int_equal(ring_write(&r, "world", 5), 0);
	char buf[32] = "";
	uint64_t off, dropped;
	assert_int_equal(ring_read(&r, 0, buf, sizeof(buf), &off, &dropped), 11);
	assert_memory_equal(buf, "hello world", 11);
	assert_int_equal(ring_read(&r, 6, buf, 3, &off, &dropped), 3);
	assert_memory_equal(buf, "wor", 3);
	assert_int_equal(off, 6);
	/* a cursor past the end reads nothing and is clamped */
	assert_int_equal(ring_read(&r, 500, buf, sizeof(buf), &off, &dropped), 0);
	assert_int_equal(off, 11);
	ring_release(&r);
}

static void test_overwrite_and_dropped(void **state)
{
	struct ring r;
	ring_init(&r, 4096);
	char chunk[1000];
	for (int i = 0; i < 10; i++) {
		memset(chunk, 'a' + i, sizeof(chunk));
		assert_int_equal(ring_write(&r, chunk, sizeof(chunk)), 0);
	}
	assert_int_equal(r.total, 10000);
	assert_int_equal(r.len, 4096);
	assert_int_equal(ring_start(&r), 10000 - 4096);
	char *buf = malloc(8192);
	uint64_t off, dropped;
	size_t n = ring_read(&r, 0, buf, 8192, &off, &dropped);
	assert_int_equal(n, 4096);
	assert_int_equal(dropped, 10000 - 4096);
	assert_int_equal(off, 10000 - 4096);
	/* the oldest kept byte is from chunk 5 ('f'), the newest from chunk 9 ('j') */
	assert_int_equal(buf[0], 'f');
	assert_int_equal(buf[4095], 'j');
	assert_int_equal(buf[4096 - 1000], 'j');
	assert_int_equal(buf[4096 - 1001], 'i');
	free(buf);
	ring_release(&r);
}

static void test_write_larger_than_max(void **state)
{
	struct ring r;
	ring_init(&r, 4096);
	char *big = malloc(10000);
	for (int i = 0; i < 10000; i++)
		big[i] = (char)(i % 251);
	assert_int_equal(ring_write(&r, big, 10000), 0);
	char out[4096];
	uint64_t off, dropped;
	assert_int_equal(ring_read(&r, 0, out, sizeof(out), &off, &dropped), 4096);
	assert_int_equal(dropped, 10000 - 4096);
	assert_memory_equal(out, big + 10000 - 4096, 4096);
	free(big);
	ring_release(&r);
}

static void test_growth_keeps_order(void **state)
{
	/* Wrap inside a small buffer, then grow: the contents must come out in order. */
	struct ring r;
	ring_init(&r, 1 << 16);
	char *ref = malloc(70000);
	size_t total = 0;
	for (int i = 0; i < 700; i++) {
		char b[100];
		for (int k = 0; k < 100; k++)
			b[k] = (char)((total + k) % 253);
		memcpy(ref + total, b, 100);
		assert_int_equal(ring_write(&r, b, 100), 0);
		total += 100;
	}
	assert_true(r.cap <= (1 << 16));
	char *out = malloc(1 << 16);
	uint64_t off, dropped;
	size_t n = ring_read(&r, 0, out, 1 << 16, &off, &dropped);
	assert_int_equal(n, 1 << 16);
	assert_int_equal(off, total - (1 << 16));
	assert_memory_equal(out, ref + off, n);
	free(out);
	free(ref);
	ring_release(&r);
}

static void test_incremental_cursor(void **state)
{
	/* A reader following along with its cursor sees every byte exactly once. */
	struct ring r;
	ring_init(&r, 4096);
	uint64_t cur = 0, seen = 0;
	char buf[300];
	for (int i = 0; i < 100; i++) {
		memset(buf, 'x', 123);
		ring_write(&r, buf, 123);
		uint64_t off, dropped;
		size_t n;
		while ((n = ring_read(&r, cur, buf, sizeof(buf), &off, &dropped)) > 0) {
			assert_int_equal(dropped, 0);
			assert_int_equal(off, cur);
			cur = off + n;
			seen += n;
		}
	}
	assert_int_equal(seen, 12300);
	ring_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_write_read),
		cmocka_unit_test(test_overwrite_and_dropped),
		cmocka_unit_test(test_write_larger_than_max),
		cmocka_unit_test(test_growth_keeps_order),
		cmocka_unit_test(test_incremental_cursor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
