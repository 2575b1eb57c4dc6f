/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disk reserve: free space (and inodes) hutch keeps on every host file system a sandbox can write
 * (the workspace, rw --mounts, --rootfs-changes). The agent watches it (hutch-agent --reserve)
 * and kills the sandbox's processes when free space falls below it, and starts none while it
 * is. Without this, a default sandbox could fill the host's disk through /work.
 *
 * Setting `disk_reserve` / --disk-reserve:
 *   auto    5% of the file system's size, at most 2 GiB (the default)
 *   N%      N percent of its size (0 < N < 100)
 *   SIZE    bytes, with k/m/g/t suffixes
 *   0       no guard
 */
#pragma once

#include <stdint.h>

#include "hutch/hutch.h"
#include "spec/spec.h"

#define DISK_RESERVE_DEFAULT "auto"
#define DISK_RESERVE_AUTO_PERCENT 5.0
#define DISK_RESERVE_AUTO_MAX (2LL << 30)
#define DISK_RESERVE_INODES_MAX 1000000

struct disk_reserve {
	enum { DISK_RESERVE_AUTO, DISK_RESERVE_PERCENT, DISK_RESERVE_BYTES } kind;
	double percent;
	uint64_t bytes; /* 0 with DISK_RESERVE_BYTES: no guard */
};

/* Parses the setting; -EINVAL on anything else. NULL means the default. */
int disk_reserve_parse(const char *text, struct disk_reserve *ret);

/* The reserve in bytes on a file system of fs_size bytes. */
uint64_t disk_reserve_bytes(const struct disk_reserve *r, uint64_t fs_size);
/* The inodes kept free with it on a file system of fs_inodes inodes (0 when the reserve is
 * off): the percentage given, else 5%; at most 1M. */
uint64_t disk_reserve_inodes(const struct disk_reserve *r, uint64_t fs_inodes);

#define DISK_GUARDS_MAX 16 /* hutch-agent's own limit */

/* What the agent is asked to keep free, and where it looks (a path in the sandbox). */
struct disk_guards {
	size_t n;
	struct {
		char *dst;
		uint64_t bytes, inodes;
	} g[DISK_GUARDS_MAX];
};
void disk_guards_release(struct disk_guards *g);

/*
 * Plans a guard for every writable host file system among the spec's bind mounts (and the
 * --rootfs-changes dir), one per file system, from the layout before path rules change it.
 * skip_dst: a destination guarded otherwise (the workspace under --workspace-quota), or NULL.
 */
int disk_reserve_plan(const struct spec *s, const char *setting, const char *rootfs_changes,
		      const char *skip_dst, struct disk_guards *ret, struct hutch_err *err);

/*
 * Adds the agent's --reserve arguments for the planned guards, once every mount is in place:
 * a destination a path rule hid under an empty tmpfs is not writable any more, and its
 * statfs would be the tmpfs's, so it gets no guard.
 */
int disk_reserve_apply(struct spec *s, const struct disk_guards *g);
