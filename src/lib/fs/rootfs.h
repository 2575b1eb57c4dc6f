/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's filesystem view, built in the child inside its new mount namespace:
 *   root propagation (private/slave) → bind the rootfs onto itself → every spec mount in order
 *   (bind/rbind, tmpfs, proc, sysfs, devpts, mqueue, cgroup, overlay, idmapped binds) → /dev
 *   (default devices, linux.devices, symlinks, /dev/pts/ptmx, /dev/console) → pivot_root (or
 *   chroot with no_pivot) → rootfsPropagation → masked paths → read-only paths → read-only
 *   root → sysctl.
 * Every mount target is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT), so a symlink in
 * an image cannot send a mount outside it; errors name the mount ("mount 'proc' on '/proc'").
 */
#pragma once

#include <stdbool.h>

#include "hutch/hutch.h"
#include "spec/spec.h"

struct cgroup;

struct rootfs_ctx {
	const struct spec *spec;
	const char *rootfs;        /* absolute host path of root.path */
	struct cgroup *cgroup;     /* for "cgroup" mounts; may be NULL (then they are skipped) */
	bool in_userns;            /* we are in a new user namespace: devices are bind-mounted */
	bool no_pivot;             /* --no-pivot: chroot (with MS_MOVE) instead of pivot_root */
	const char *console_path;  /* host path of the pty slave to bind on /dev/console, or NULL */
};

/* Does everything above; on return the calling process's root is the container's. */
int rootfs_setup(const struct rootfs_ctx *ctx, struct hutch_err *err);

/* Parses mount options into flags/propagation/data; exposed for unit tests and fuzzing. */
struct mount_opts {
	unsigned long flags;       /* MS_* to set */
	unsigned long clear;       /* MS_* explicitly cleared ("rw", "suid", ...) */
	unsigned long propagation; /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE (| MS_REC) */
	bool bind;
	bool recursive;            /* rbind, or r* propagation/attr options */
	bool idmap;                /* "idmap"/"ridmap" */
	char *data;                /* the rest, comma-joined, for the filesystem ("size=64m,mode=755") */
};
int mount_opts_parse(char *const *options, struct mount_opts *ret, struct hutch_err *err);
void mount_opts_release(struct mount_opts *o);
