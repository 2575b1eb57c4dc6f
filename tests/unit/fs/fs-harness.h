/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Harness for the rootfs tests: each test builds a busybox rootfs in a temp dir and forks a
 * child that unshares a mount namespace (and, for some tests, user/pid/net namespaces), calls
 * rootfs_setup and checks from inside. The child reports through a pipe: exit 0 = pass,
 * 77 = skip (the pipe says why), anything else = fail. Mounts die with the child's
 * namespace; the host's mountinfo is compared before and after anyway.
 */
#pragma once

#include <stdbool.h>

#include "fs/fs-internal.h" /* first: it undoes the predefined "linux" macro */
#include "macro.h"

#define SKIP 77
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

/* Child side: note a failure (or skip reason) for the parent. */
_printf_(1, 2) void say(const char *fmt, ...);

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			say("%s:%d: %s: ", __FILE__, __LINE__, #cond);                             \
			say(__VA_ARGS__);                                                          \
			ok = false;                                                                \
		}                                                                                  \
	} while (0)

struct fixture {
	char dir[64];	  /* the temp dir */
	char rootfs[128]; /* <dir>/rootfs */
	char *mountinfo;  /* host mountinfo before */
};

enum ns_mode {
	NS_PLAIN = 0,
	NS_USER = 1, /* new user namespace (root mapped to root), pid namespace */
	NS_NET = 2,
};

/* What a test runs in the child: prepare (on the host view), rootfs_setup, then check. */
struct scenario {
	struct spec *spec;
	struct rootfs_ctx ctx;
	int ns;
	int (*prepare)(struct fixture *f); /* in the child, before unsharing the user ns */
	bool (*check)(struct fixture *f);
	const char *expect_error; /* rootfs_setup must fail with a message containing this */
};

#define OPTS(...) ((char *[]){__VA_ARGS__, NULL})
#define MNT(dst, typ, src, opts)                                                                   \
	{                                                                                          \
		.destination = (dst), .type = (typ), .source = (src), .options = (opts)            \
	}

/* proc, /dev tmpfs, devpts, /dev/shm, mqueue, sysfs (ro), /tmp (size=1m), as runc's spec */
extern struct spec_mount base_mounts[7];

int fixture_setup(void **state);
int fixture_teardown(void **state);
void mkpath(struct fixture *f, const char *rel);
int write_file(const char *path, const char *s);
void run(struct fixture *f, struct scenario *sc);
/* Skips the whole program (TAP plan 1..0) without root or busybox. */
void require_root_and_busybox(void);

/* Child side, after pivot_root. */
const char *mount_line(const char *mp);
bool has_opt(const char *line, const char *opt);
bool fs_is(const char *path, long magic);
int errno_of_write(const char *path);

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
