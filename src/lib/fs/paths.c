/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linux.maskedPaths and linux.readonlyPaths, applied after pivot_root: paths are the
 * container's own and are still resolved with RESOLVE_IN_ROOT from the root mount's fd.
 * A path that does not exist is skipped (the spec allows that; /proc entries vary).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "err.h"
#include "fs-internal.h"
#include "path.h"

/*
 * The container's /dev/null, used to hide files. It must really be the null device: an
 * image could put a file of its choice there, and we would show it in place of /proc/kcore.
 */
static int open_null(int rootfd, struct hutch_err *err)
{
	int fd = open_in_root(rootfd, "/dev/null", O_PATH, 0);
	if (fd < 0)
		return err_set_errno(err, -fd, "'/dev/null'");
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
		safe_close(fd);
		return err_set(err, EINVAL, "'/dev/null' is not the null device");
	}
	return fd;
}

/* A directory is hidden under an empty read-only tmpfs; the first one is made with fsopen,
 * the others are clones of it (two syscalls instead of five). */
static int empty_tmpfs(int *first)
{
	if (*first >= 0)
		return fs_clone_tree(*first, "", false);
	_cleanup_close_ int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return negative_errno();
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return negative_errno();
	int mfd =
	    fsmount(fsfd, FSMOUNT_CLOEXEC,
		    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	return mfd < 0 ? negative_errno() : mfd;
}

int paths_mask(int rootfd, char *const *paths, struct hutch_err *err)
{
	_cleanup_close_ int null = -1, first_dir = -1;
	for (; paths && *paths; paths++) {
		_cleanup_close_ int target = open_in_root(rootfd, *paths, O_PATH, 0);
		if (target == -ENOENT)
			continue;
		if (target < 0)
			return err_set_errno(err, -target, "mask '%s'", *paths);
		struct stat st;
		if (fstat(target, &st) < 0)
			return err_set_errno(err, errno, "mask '%s'", *paths);
		int mfd;
		if (S_ISDIR(st.st_mode)) {
			mfd = empty_tmpfs(&first_dir);
		} else {
			if (null < 0) {
				null = open_null(rootfd, err);
				if (null < 0)
					return err_prefix(err, "mask '%s'", *paths);
			}
			mfd = fs_clone_tree(null, "", false);
		}
		if (mfd < 0)
			return err_set_errno(err, -mfd, "mask '%s'", *paths);
		int r = fs_attach(mfd, target);
		if (r < 0) {
			safe_close(mfd);
			return err_set_errno(err, -r, "mask '%s'", *paths);
		}
		if (S_ISDIR(st.st_mode) && first_dir < 0)
			first_dir = mfd; /* now attached: later clones come from it */
		else
			safe_close(mfd);
	}
	return 0;
}

/*
 * A read-only bind of the path onto itself. mount_setattr only adds MOUNT_ATTR_RDONLY, so
 * flags a parent user namespace locked (nosuid, nodev...) stay as they are: no EPERM. The
 * whole subtree is made read-only, so a mount below (/proc/sys/fs/binfmt_misc) is no way out.
 */
int paths_readonly(int rootfd, char *const *paths, struct hutch_err *err)
{
	for (; paths && *paths; paths++) {
		_cleanup_close_ int target = open_in_root(rootfd, *paths, O_PATH, 0);
		if (target == -ENOENT)
			continue;
		if (target < 0)
			return err_set_errno(err, -target, "read-only '%s'", *paths);
		_cleanup_close_ int mfd = fs_clone_tree(target, "", true);
		if (mfd < 0)
			return err_set_errno(err, -mfd, "read-only '%s'", *paths);
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
		if (mount_setattr(mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
			return err_set_errno(err, errno, "read-only '%s'", *paths);
		int r = fs_attach(mfd, target);
		if (r < 0)
			return err_set_errno(err, -r, "read-only '%s'", *paths);
	}
	return 0;
}
