/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's filesystem view, built in the child inside its new mount namespace:
 *   check sysctl keys → root propagation (rslave unless rootfsPropagation says otherwise) →
 *   bind the rootfs onto itself → every spec mount in order (bind/rbind, tmpfs, proc, sysfs,
 *   devpts, mqueue, cgroup, overlay, idmapped binds) → /dev (default devices, linux.devices,
 *   symlinks, /dev/ptmx → pts/ptmx, /dev/console) → before_pivot → pivot_root (or chroot with
 *   no_pivot) → rootfsPropagation → sysctl → masked paths → read-only paths → read-only root.
 * (sysctl is written before the read-only paths, as runc does, since those usually hold
 * /proc/sys.)
 * Every mount target is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT), so a symlink in
 * an image cannot send a mount outside it; errors name the mount ("mount 'proc' on '/proc'").
 *
 * Behaviour worth knowing:
 *  - relative bind sources (and relative overlay dirs) are taken from the current working
 *    directory: the engine must chdir to the bundle before calling rootfs_setup;
 *  - the default devices and the /dev symlinks are made only when the spec mounts a
 *    filesystem (not a bind) on /dev; linux.devices and the console always;
 *  - mount attributes are set with mount_setattr, which only changes what the options name:
 *    "ro" on a bind keeps the source's nosuid/nodev (locked or not), and "rw"/"suid"/...
 *    clear explicitly;
 *  - idmapped mounts: host ids of the maps are read in the caller's user namespace; without
 *    uidMappings/gidMappings on the mount, linux.uidMappings/gidMappings are used;
 *  - "tmpcopyup" is refused (ENOTSUP); "cgroup"/"cgroup2" mounts go to cgroup_mount_in_rootfs;
 *  - needs Linux >= 5.12 (open_tree, move_mount, fsopen, mount_setattr, openat2).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* gnu11 predefines "linux" as 1, which would eat struct spec's "linux" member. */
#undef linux

#include "hutch/hutch.h"
#include "spec/spec.h"

struct cgroup;

#define ROOTFS_OVERLAY_ANNOTATION "run.hutch.rootfs.overlay"

struct rootfs_ctx {
	const struct spec *spec;
	const char *rootfs;	  /* absolute host path of root.path */
	struct cgroup *cgroup;	  /* for "cgroup" mounts; may be NULL (then they are skipped) */
	bool in_userns;		  /* we are in a new user namespace: devices are bind-mounted */
	bool no_pivot;		  /* --no-pivot: chroot (with MS_MOVE) instead of pivot_root */
	/*
	 * Copy-on-write root (sandboxes' --rootfs; the annotation ROOTFS_OVERLAY_ANNOTATION):
	 * "tmpfs:SIZE" makes the root an overlay whose lower layer is the rootfs and whose upper
	 * layer is a fresh tmpfs of SIZE, so writes vanish with the container's mount namespace;
	 * "dir:PATH" keeps the upper layer in the host directory PATH (PATH/upper, PATH/work).
	 */
	const char *overlay;
	/* With overlay: the rootfs as an idmapped detached mount made by the runtime (so the
	 * container's root owns what the host's root owns in it), or -1 for the plain dir. */
	int overlay_lower_fd;
	const char *console_path; /* host path of the pty slave to bind on /dev/console, or NULL */
	/*
	 * Called (if set) after every mount is in place and before pivot_root: the engine runs
	 * the createRuntime/createContainer hooks there, as the OCI spec orders them.
	 */
	int (*before_pivot)(void *userdata, struct hutch_err *err);
	void *userdata;
	/*
	 * Optional, one per spec mount: a detached copy (open_tree OPEN_TREE_CLONE) of a bind
	 * mount's source made by the runtime before the clone, -1 for other mounts. With a user
	 * namespace the child may not be able to reach the source path (a 0700 parent dir owned
	 * by the host's root); the runtime can.
	 */
	const int *source_fds;
};

/* Makes ctx->source_fds for a spec: detached trees of its bind sources (relative ones from
 * the current directory). *ret has spec->n_mounts entries; free with rootfs_source_fds_free. */
int rootfs_open_sources(const struct spec *s, int **ret, struct hutch_err *err);
/* Idmaps the sources whose maps are the container's with the new user namespace of child,
 * once its maps are written (before the child mounts them). */
int rootfs_idmap_sources(const struct spec *s, const int *fds, pid_t child, struct hutch_err *err);
void rootfs_source_fds_free(int *fds, size_t n);

/* A detached, idmapped (by the container's own id maps) recursive copy of the rootfs: the
 * lower layer of a copy-on-write root in a user namespace. Needs the host's root. */
int rootfs_open_idmapped(const struct spec *s, const char *rootfs, struct hutch_err *err);

/* Does everything above; on return the calling process's root is the container's. */
int rootfs_setup(const struct rootfs_ctx *ctx, struct hutch_err *err);

/* Parses mount options into flags/propagation/data; exposed for unit tests and fuzzing. */
struct mount_opts {
	unsigned long flags;	   /* MS_* to set */
	unsigned long clear;	   /* MS_* explicitly cleared ("rw", "suid", ...) */
	unsigned long propagation; /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE (| MS_REC) */
	bool bind;
	bool recursive; /* rbind, or r* propagation/attr options */
	bool idmap;	/* "idmap"/"ridmap" */
	char *data;	/* the rest, comma-joined, for the filesystem ("size=64m,mode=755") */
	/* Added: what the fields above cannot say. */
	bool rbind;	       /* "rbind": clone the whole tree (AT_RECURSIVE) */
	bool idmap_recursive;  /* "ridmap" */
	bool tmpcopyup;	       /* "tmpcopyup" (parsed; rootfs_setup rejects it as unsupported) */
	uint64_t rec_attr_set; /* MOUNT_ATTR_* from "rro", "rnosuid", ... (AT_RECURSIVE) */
	uint64_t rec_attr_clr; /* MOUNT_ATTR_* from "rrw", "rsuid", ...; has MOUNT_ATTR__ATIME
				* when an "r*atime" option chose the atime mode */
};
/* Hard limits on what one mount's options may ask for. */
#define MOUNT_OPTS_MAX 256
#define MOUNT_OPTS_DATA_MAX 4095 /* the kernel takes one page of mount data */
int mount_opts_parse(char *const *options, struct mount_opts *ret, struct hutch_err *err);
void mount_opts_release(struct mount_opts *o);
