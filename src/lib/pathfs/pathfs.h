/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pathfs: the FUSE layer that enforces path rules the kernel cannot express with mounts
 * (none = ENOENT and unlisted, view = stat and list only, globs, paths that do not exist
 * yet). A host-side process serves one FUSE mount placed at `anchor` in the sandbox; it
 * passes operations through to `base_fd`, the tree the sandbox would see there without
 * rules (for the workspace: the same idmapped mount).
 *
 * Trust boundary: every request comes from the sandbox. The server only ever works with
 * one name component at a time relative to O_PATH fds it holds (never follows a symlink,
 * never builds a host path string), and performs each operation with the caller's fsuid
 * and fsgid, so the host kernel applies the same permission checks the sandbox would get
 * without the rules; the rules can only take access away.
 */
#pragma once

#include "err.h"
#include "rules/rules.h"

struct pathfs_config {
	const char *anchor;             /* sandbox path of the mount point, e.g. "/work" */
	int base_fd;                    /* O_PATH|O_DIRECTORY: what is served (not closed) */
	enum rule_access fallback;      /* access where no rule decides (layout's) */
	const struct rule_set *rules;   /* evaluated on anchor + relative path */
	uint64_t quota_bytes;           /* 0: none; else what the sandbox may add (ENOSPC) */
	int ctl_fd;                     /* -1, or a socket from the runtime (see below) */
};

/* The control socket's one message: fds (SCM_RIGHTS) of cgroup files opened by the runtime
 * once the sandbox's cgroups exist — v1 "tasks", or v2 "cgroup.procs" — into each of which
 * the server writes "0", joining the sandbox's cgroups (so its memory counts against the
 * sandbox's limits). At most PATHFS_JOIN_FDS fds. */
#define PATHFS_JOIN_FDS 16

/*
 * Serves FUSE requests read from fuse_fd (an open /dev/fuse already mounted) until the
 * connection ends (the mount is gone: returns 0) or an error. Single-threaded.
 */
int pathfs_serve(int fuse_fd, const struct pathfs_config *c, struct hutch_err *err);
