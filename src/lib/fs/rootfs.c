/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rootfs_setup: the order of the whole mount namespace build (see rootfs.h). Runs in the
 * container child, in its new mount namespace, single-threaded, still privileged.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "fs-internal.h"
#include "strv.h"

static int parse_propagation(const char *s, unsigned long *ret)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} t[] = {
	    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
	    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
	    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
	    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (strcmp(s, t[i].name) == 0) {
			*ret = t[i].flags;
			return 0;
		}
	return -EINVAL;
}

/* Undoes mountinfo's octal escapes ("\040" for a space) in place. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/*
 * Only with a shared root propagation: pivot_root refuses a new root whose parent mount is
 * shared, and a shared parent would also propagate our bind of the rootfs to the host. As
 * runc, make that one parent private. This is the only place that reads mountinfo, and only
 * for this rare case.
 */
static int parent_private(const char *rootfs, struct hutch_err *err)
{
	struct statx stx;
	if (statx(AT_FDCWD, rootfs, 0, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
		return err_set_errno(err, errno ? errno : ENOSYS, "mount id of '%s'", rootfs);
	_cleanup_free_ char *mi = NULL;
	int r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", 64u << 20, &mi, NULL);
	if (r < 0)
		return err_set_errno(err, -r, "read mountinfo");
	for (char *line = mi, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		unsigned long long id;
		char mp[4096];
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." */
		if (sscanf(line, "%llu %*u %*s %*s %4095s", &id, mp) != 2 || id != stx.stx_mnt_id)
			continue;
		unescape(mp);
		if (mount(NULL, mp, NULL, MS_PRIVATE, NULL) < 0)
			return err_set_errno(err, errno, "make '%s' private", mp);
		return 0;
	}
	return err_set(err, ENOENT, "mount of '%s' not in mountinfo", rootfs);
}

/* The rootfs becomes a mount of its own (a recursive bind onto itself): pivot_root needs a
 * mount point, and the fd we get is the root every later path is resolved from. */
static int bind_rootfs(const char *rootfs, struct hutch_err *err)
{
	int fd = fs_clone_tree(AT_FDCWD, rootfs, true);
	if (fd < 0)
		return err_set_errno(err, -fd, "bind rootfs '%s'", rootfs);
	if (move_mount(fd, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		int e = errno;
		safe_close(fd);
		return err_set_errno(err, e, "bind rootfs '%s'", rootfs);
	}
	return fd;
}

/* A new tmpfs mounted at path (stacked over what is there, in our private namespace). */
static int tmpfs_at(const char *path, const char *size, struct hutch_err *err)
{
	_cleanup_close_ int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0 || fsconfig(fsfd, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return err_set_errno(err, errno, "copy-on-write root: tmpfs of size '%s'", size);
	_cleanup_close_ int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0 || move_mount(mfd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return err_set_errno(err, errno, "copy-on-write root: mount tmpfs");
	return 0;
}

/*
 * The copy-on-write root: the rootfs dir is opened first (the lower layer), a tmpfs is put
 * over its path to hold the upper and work dirs, and the overlay goes on top of both. All of
 * it lives in the container's mount namespace: nothing to clean up on the host.
 */
static int overlay_rootfs(const char *rootfs, const char *how, int lower_fd, struct hutch_err *err)
{
	/* An idmapped lower is attached over the rootfs path first: overlay takes its layers
	 * by path, and the path then leads to the idmapped view. */
	if (lower_fd >= 0 && move_mount(lower_fd, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return err_set_errno(err, errno, "copy-on-write root: attach idmapped rootfs");
	_cleanup_close_ int lower = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (lower < 0)
		return err_set_errno(err, errno, "rootfs '%s'", rootfs);
	const char *upper_at = rootfs;
	if (strncmp(how, "tmpfs:", 6) == 0) {
		int r = tmpfs_at(rootfs, how + 6, err);
		if (r < 0)
			return r;
	} else if (strncmp(how, "dir:", 4) == 0 && how[4] == '/') {
		upper_at = how + 4;
	} else {
		return err_set(err, EINVAL, "%s: expected tmpfs:SIZE or dir:/PATH, got '%s'",
			       ROOTFS_OVERLAY_ANNOTATION, how);
	}
	_cleanup_close_ int tmp = open(upper_at, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tmp < 0 || (mkdirat(tmp, "upper", 0755) < 0 && errno != EEXIST) ||
	    (mkdirat(tmp, "work", 0755) < 0 && errno != EEXIST))
		return err_set_errno(err, errno, "copy-on-write root: upper dir in '%s'", upper_at);
	char lowerdir[64], upperdir[64], workdir[64];
	snprintf(lowerdir, sizeof(lowerdir), "/proc/self/fd/%d", lower);
	snprintf(upperdir, sizeof(upperdir), "/proc/self/fd/%d/upper", tmp);
	snprintf(workdir, sizeof(workdir), "/proc/self/fd/%d/work", tmp);
	_cleanup_close_ int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0 || fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir", lowerdir, 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upperdir, 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", workdir, 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return err_set_errno(err, errno, "copy-on-write root: overlay on '%s'", rootfs);
	_cleanup_close_ int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0 || move_mount(mfd, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return err_set_errno(err, errno, "copy-on-write root: mount overlay");
	int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? err_set_errno(err, errno, "copy-on-write root: open") : fd;
}

static bool is_dev_mount(const struct spec_mount *m)
{
	const char *d = m->destination;
	size_t n = strlen(d);
	while (n > 1 && d[n - 1] == '/')
		n--;
	if (n != 4 || strncmp(d, "/dev", 4) != 0)
		return false;
	if (m->type && strcmp(m->type, "bind") == 0)
		return false;
	return !strv_contains(m->options, "bind") && !strv_contains(m->options, "rbind");
}

/*
 * pivot_root(".", ".") stacks the old root on top of the new one, at "/"; it is then made a
 * slave (so unmounting it cannot propagate to the host) and detached. No directory for the
 * old root is needed in the image.
 */
static int do_pivot(int rootfd, struct hutch_err *err)
{
	if (fchdir(rootfd) < 0)
		return err_set_errno(err, errno, "pivot_root: chdir to rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_set_errno(err, errno, "pivot_root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return err_set_errno(err, errno, "pivot_root: make old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		return err_set_errno(err, errno, "pivot_root: detach old root");
	if (chdir("/") < 0)
		return err_set_errno(err, errno, "pivot_root: chdir to '/'");
	return 0;
}

/* --no-pivot: move the rootfs over "/" and chroot into it (the host tree stays below). */
static int do_chroot(int rootfd, struct hutch_err *err)
{
	if (fchdir(rootfd) < 0)
		return err_set_errno(err, errno, "chroot: chdir to rootfs");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return err_set_errno(err, errno, "chroot: move rootfs to '/'");
	if (chroot(".") < 0)
		return err_set_errno(err, errno, "chroot");
	if (chdir("/") < 0)
		return err_set_errno(err, errno, "chroot: chdir to '/'");
	return 0;
}

static int mounts_and_dev(int rootfd, const struct rootfs_ctx *ctx, struct hutch_err *err)
{
	const struct spec *s = ctx->spec;
	bool dev_mounted = false;
	for (size_t i = 0; i < s->n_mounts; i++) {
		int r = fs_mount_one(rootfd, ctx, &s->mounts[i], err);
		if (r < 0)
			return r;
		dev_mounted = dev_mounted || is_dev_mount(&s->mounts[i]);
	}
	return dev_setup(rootfd, ctx, dev_mounted, err);
}

/* Everything after pivot_root. sysctl comes first: readonlyPaths usually holds /proc/sys. */
static int after_pivot(int rootfd, const struct rootfs_ctx *ctx, bool has_prop, unsigned long prop,
		       struct hutch_err *err)
{
	const struct spec *s = ctx->spec;
	if (has_prop && mount(NULL, "/", NULL, prop, NULL) < 0)
		return err_set_errno(err, errno, "rootfsPropagation '%s' on '/'",
				     s->linux.rootfs_propagation);
	int r = sysctl_apply(rootfd, s, err);
	if (r == 0)
		r = paths_mask(rootfd, s->linux.masked_paths, err);
	if (r == 0)
		r = paths_readonly(rootfd, s->linux.readonly_paths, err);
	if (r < 0)
		return r;
	if (s->root_readonly) {
		/* Only the root mount itself, as runc; set-only, so locked flags stay. */
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
		if (mount_setattr(rootfd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
			return err_set_errno(err, errno, "read-only root");
	}
	return 0;
}

/*
 * With a read-only root, mounts that were already below the rootfs (the host's /home,
 * /boot... when the root is the host's "/") come along with the recursive bind: make them
 * read-only now, before the spec's mounts are added. The root mount itself stays writable
 * until after pivot_root (mount points are created in it), unless it was read-only already.
 */
static int submounts_readonly(int rootfd, struct hutch_err *err)
{
	struct statvfs sv;
	if (fstatvfs(rootfd, &sv) < 0)
		return err_set_errno(err, errno, "read-only root: statvfs");
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(rootfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof(ro)) < 0)
		return err_set_errno(err, errno, "read-only root");
	if (sv.f_flag & ST_RDONLY)
		return 0;
	struct mount_attr rw = { .attr_clr = MOUNT_ATTR_RDONLY };
	if (mount_setattr(rootfd, "", AT_EMPTY_PATH, &rw, sizeof(rw)) < 0)
		return err_set_errno(err, errno, "read-only root: reopen the root for mount points");
	return 0;
}

int rootfs_setup(const struct rootfs_ctx *ctx, struct hutch_err *err)
{
	const struct spec *s = ctx->spec;
	unsigned long prop = MS_SLAVE | MS_REC;
	bool has_prop = s->linux.rootfs_propagation && *s->linux.rootfs_propagation;
	if (has_prop && parse_propagation(s->linux.rootfs_propagation, &prop) < 0)
		return err_set(err, EINVAL, "rootfsPropagation '%s': unknown",
			       s->linux.rootfs_propagation);
	/* A hand-built spec skips spec_parse's limits: keep them here too. */
	if (s->n_mounts > SPEC_MAX_ARRAY || s->linux.n_devices > SPEC_MAX_ARRAY ||
	    s->linux.n_sysctl > SPEC_MAX_ARRAY ||
	    strv_length(s->linux.masked_paths) > SPEC_MAX_ARRAY ||
	    strv_length(s->linux.readonly_paths) > SPEC_MAX_ARRAY)
		return err_set(err, E2BIG, "more than %d mounts, devices, sysctls or paths",
			       SPEC_MAX_ARRAY);
	/* Bad sysctl keys fail now, before any mount is made. */
	int r = sysctl_validate(s, err);
	if (r < 0)
		return r;
	/* Our copy of the host's mounts must not send anything back to the host (rslave). */
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return err_set_errno(err, errno, "set propagation of '/'");
	if ((prop & MS_SHARED) && (r = parent_private(ctx->rootfs, err)) < 0)
		return r;
	_cleanup_close_ int rootfd =
		ctx->overlay ? overlay_rootfs(ctx->rootfs, ctx->overlay, ctx->overlay_lower_fd, err)
			     : bind_rootfs(ctx->rootfs, err);
	if (rootfd < 0)
		return rootfd;
	if (s->root_readonly && (r = submounts_readonly(rootfd, err)) < 0)
		return r;
	r = mounts_and_dev(rootfd, ctx, err);
	if (r < 0)
		return r;
	if (ctx->before_pivot && (r = ctx->before_pivot(ctx->userdata, err)) < 0)
		return r;
	r = ctx->no_pivot ? do_chroot(rootfd, err) : do_pivot(rootfd, err);
	if (r < 0)
		return r;
	return after_pivot(rootfd, ctx, has_prop, prop, err);
}
