/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

#define RING_MIN 4096

void ring_init(struct ring *r, size_t max)
{
	*r = (struct ring){ .max = max ? max : RING_MIN };
}

void ring_release(struct ring *r)
{
	free(r->buf);
	ring_init(r, r->max);
}

uint64_t ring_start(const struct ring *r)
{
	return r->total - r->len;
}

/* Grows to hold `want` bytes (at most max), unwrapping the contents. */
static int grow(struct ring *r, size_t want)
{
	size_t cap = r->cap ? r->cap : RING_MIN;
	while (cap < want && cap < r->max)
		cap *= 2;
	if (cap > r->max)
		cap = r->max;
	if (cap <= r->cap)
		return 0;
	uint8_t *nb = malloc(cap);
	if (!nb)
		return -ENOMEM;
	size_t first = r->cap - r->head < r->len ? r->cap - r->head : r->len;
	if (r->len) {
		memcpy(nb, r->buf + r->head, first);
		memcpy(nb + first, r->buf, r->len - first);
	}
	free(r->buf);
	r->buf = nb;
	r->cap = cap;
	r->head = 0;
	return 0;
}

int ring_write(struct ring *r, const void *data, size_t n)
{
	const uint8_t *p = data;
	int ret = 0;
	if (r->len + n > r->cap && r->cap < r->max)
		ret = grow(r, r->len + n);
	r->total += n;
	if (r->cap == 0) {
		r->len = 0;
		return ret;
	}
	/* Only the newest cap bytes can survive. */
	if (n > r->cap) {
		p += n - r->cap;
		n = r->cap;
	}
	size_t over = r->len + n > r->cap ? r->len + n - r->cap : 0;
	r->head = (r->head + over) % r->cap;
	r->len -= over;
	size_t tail = (r->head + r->len) % r->cap;
	size_t first = r->cap - tail < n ? r->cap - tail : n;
	memcpy(r->buf + tail, p, first);
	memcpy(r->buf, p + first, n - first);
	r->len += n;
	return ret;
}

size_t ring_read(const struct ring *r, uint64_t cursor, void *out, size_t n, uint64_t *ret_offset,
		 uint64_t *ret_dropped)
{
	uint64_t start = ring_start(r);
	uint64_t dropped = 0;
	if (cursor < start) {
		dropped = start - cursor;
		cursor = start;
	}
	if (cursor > r->total)
		cursor = r->total;
	size_t avail = (size_t)(r->total - cursor);
	if (n > avail)
		n = avail;
	if (n > 0) {
		size_t idx = (r->head + (size_t)(cursor - start)) % r->cap;
		size_t first = r->cap - idx < n ? r->cap - idx : n;
		memcpy(out, r->buf + idx, first);
		memcpy((uint8_t *)out + first, r->buf, n - first);
	}
	if (ret_offset)
		*ret_offset = cursor;
	if (ret_dropped)
		*ret_dropped = dropped;
	return n;
}
