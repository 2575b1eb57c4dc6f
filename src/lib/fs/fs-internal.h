/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of src/lib/fs, shared between its files. Everything here runs in the container
 * child, in its own mount namespace, before privileges are dropped.
 *
 * Every mount is built with the new mount API: a detached mount (fsopen/fsmount for a
 * filesystem, open_tree(OPEN_TREE_CLONE) for a bind) gets its attributes with mount_setattr
 * and is then attached with move_mount onto an O_PATH fd of the target, which was resolved
 * with openat2(RESOLVE_IN_ROOT). No path inside the rootfs is ever walked by string, so a
 * symlink in an image cannot redirect a mount outside it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rootfs.h"

/* Marks the negated r*atime options in the option table ("ratime" = not noatime). */
#define REC_ATIME_NEGATED (1UL << 30)

/* True if s is an option mount_opts_parse understands (everything else is filesystem data). */
bool mount_opt_is_known(const char *s);

/* MS_* per-mount flags → MOUNT_ATTR_* (atime mode included) for mount_setattr/fsmount. */
uint64_t mount_flags_to_attr(unsigned long ms);
/* The attr_clr mask that "rw", "suid", ... (and a chosen atime mode) need. */
uint64_t mount_clear_to_attr(unsigned long set, unsigned long clear);

/*
 * Opens dest inside rootfd (O_PATH), creating it when missing: a directory, or an empty file
 * when dir is false (parents are created as directories). Returns an fd or -errno.
 */
int fs_open_target(int rootfd, const char *dest, bool dir);

/* move_mount of a detached mount onto an O_PATH target fd. Returns 0 or -errno. */
int fs_attach(int mfd, int targetfd);

/* Clones src (a host path, relative paths taken from the cwd) as a detached bind mount. */
int fs_clone_tree(int dirfd, const char *src, bool recursive);

/*
 * A user namespace fd with the given maps, for MOUNT_ATTR_IDMAP: a short-lived child
 * unshares into it, we write its maps from here and keep /proc/<pid>/ns/user.
 */
int fs_userns_fd(const struct spec_id_map *uid, size_t n_uid, const struct spec_id_map *gid,
		 size_t n_gid, struct hutch_err *err);

/* One spec mount, with errors "mount 'src' on '/dest': ...". */
int fs_mount_one(int rootfd, const struct rootfs_ctx *ctx, const struct spec_mount *m,
		 struct hutch_err *err);

/* Default devices, linux.devices, /dev symlinks, /dev/ptmx and /dev/console. */
int dev_setup(int rootfd, const struct rootfs_ctx *ctx, bool dev_is_mounted, struct hutch_err *err);

/* Checks every linux.sysctl key against the namespaces the spec asks for (runc's rules). */
int sysctl_validate(const struct spec *spec, struct hutch_err *err);
/* Writes linux.sysctl under <rootfd>/proc/sys (after pivot_root). */
int sysctl_apply(int rootfd, const struct spec *spec, struct hutch_err *err);

/* Masked paths, read-only paths and the read-only root, after pivot_root. */
int paths_mask(int rootfd, char *const *paths, struct hutch_err *err);
int paths_readonly(int rootfd, char *const *paths, struct hutch_err *err);
