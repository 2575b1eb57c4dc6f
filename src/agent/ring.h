/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bounded byte ring addressed by absolute stream offsets (cursors). Writers never block:
 * once `max` bytes are held, the oldest are overwritten and a reader whose cursor fell behind
 * learns how many bytes it lost. Memory grows on demand (4 KiB, doubling) up to `max`, so
 * an idle process costs nothing.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct ring {
	uint8_t *buf;
	size_t cap;    /* allocated */
	size_t max;    /* never allocate more */
	size_t head;   /* index of the oldest byte */
	size_t len;    /* bytes held */
	uint64_t total; /* bytes ever written: the cursor just past the newest byte */
};

void ring_init(struct ring *r, size_t max);
void ring_release(struct ring *r);
/* Appends; returns 0 or -ENOMEM (then the bytes are counted as written and lost). */
int ring_write(struct ring *r, const void *data, size_t n);
/* Cursor of the oldest byte still held. */
uint64_t ring_start(const struct ring *r);
/*
 * Copies up to n bytes starting at `cursor` (clamped into [start, total]). Returns the count;
 * *ret_offset is where they start, *ret_dropped how many bytes before them were lost.
 */
size_t ring_read(const struct ring *r, uint64_t cursor, void *out, size_t n, uint64_t *ret_offset,
		 uint64_t *ret_dropped);
