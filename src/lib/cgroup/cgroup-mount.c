/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A spec mount of type "cgroup": the container sees its own cgroup at dest (usually
 * /sys/fs/cgroup). Runs in the container's mount namespace before pivot_root.
 *
 * Trust boundary: dest lives in the container's rootfs, which the container's image controls.
 * Every target is resolved inside rootfd (openat2 RESOLVE_IN_ROOT) and mounted on through
 * /proc/self/fd/N of that O_PATH fd, so a symlink in the image cannot redirect a mount onto
 * the host. Names created inside our own fresh tmpfs are checked with O_NOFOLLOW.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "cgroup-internal.h"
#include "err.h"
#include "path.h"

#define MNT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static void fd_path(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

static int mount_fd(const char *src, int target, const char *fstype, unsigned long flags,
		    const char *data)
{
	char t[64];
	fd_path(t, sizeof(t), target);
	return mount(src, t, fstype, flags, data) < 0 ? negative_errno() : 0;
}

/*
 * The flags a read-only remount of the mount at fd must repeat. In a user namespace the
 * kernel locks nosuid/nodev/noexec and the atime mode of a mount copied from the host, and
 * refuses a remount that would drop them.
 */
static unsigned long kept_flags(int fd)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
	    {ST_NOSUID, MS_NOSUID},   {ST_NODEV, MS_NODEV},	      {ST_NOEXEC, MS_NOEXEC},
	    {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME},
	};
	struct statvfs sv;
	unsigned long flags = MNT_FLAGS;
	if (fstatvfs(fd, &sv) == 0)
		for (size_t i = 0; i < ARRAY_SIZE(map); i++)
			if (sv.f_flag & map[i].st)
				flags |= map[i].ms;
	return flags;
}

/*
 * Bind mounts the host directory src onto parent/name, read-only if asked. src is a path, not
 * our O_PATH fd: that fd was opened in the runtime's mount namespace, and the kernel refuses
 * to bind from a mount of another namespace. src comes from the host's mountinfo, not from
 * the container. The read-only remount goes through a fresh lookup, which sees the new mount.
 */
static int bind_dir(const char *s, int parent, const char *name, bool readonly)
{
	_cleanup_close_ int t = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t < 0)
		return negative_errno();
	int r = mount_fd(s, t, NULL, MS_BIND | MS_REC, NULL);
	if (r < 0 || !readonly)
		return r;
	_cleanup_close_ int m = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (m < 0)
		return negative_errno();
	return mount_fd(NULL, m, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | kept_flags(m), NULL);
}

static int mount_v2(struct cgroup *cg, int rootfd, int target, const char *dest, bool ro,
		    struct hutch_err *err)
{
	unsigned long flags = MNT_FLAGS | (ro ? MS_RDONLY : 0);
	int r = mount_fd("cgroup2", target, "cgroup2", flags, NULL);
	if (r == -EPERM || r == -EBUSY) {
		/* No cgroup namespace of our own (rootless): show our directory instead. */
		_cleanup_close_ int parent = openat(target, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		const char *base = strrchr(dest, '/') + 1;
		const char *src = cgroup_path_for(cg, "");
		r = parent < 0 || !src ? -ENOENT : bind_dir(src, parent, base, ro);
	}
	if (r < 0)
		return err_set_errno(err, -r, "mount cgroup2 on '%s'", dest);
	return 0;
}

/* The host's symlinks next to its hierarchies ("cpu" → "cpu,cpuacct"), recreated in tmp. */
static int copy_symlinks(struct cgroup *cg, int tmp)
{
	DIR *d = opendir(cg->lay->root);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_LNK)
			continue;
		char target[NAME_MAX + 1];
		ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		struct stat st;
		/* Only links to a hierarchy we mounted (a name without '/'). */
		if (strchr(target, '/') || fstatat(tmp, target, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (symlinkat(target, tmp, de->d_name) < 0 && errno != EEXIST) {
			int r = negative_errno();
			closedir(d);
			return r;
		}
	}
	closedir(d);
	return 0;
}

static int mount_v1(struct cgroup *cg, int rootfd, int target, const char *dest, bool ro,
		    struct hutch_err *err)
{
	int r = mount_fd("tmpfs", target, "tmpfs", MNT_FLAGS, "mode=755");
	if (r < 0)
		return err_set_errno(err, -r, "mount tmpfs on '%s'", dest);
	_cleanup_close_ int tmp = open_in_root(rootfd, dest, O_PATH | O_DIRECTORY, 0);
	if (tmp < 0)
		return err_set_errno(err, -tmp, "open '%s'", dest);
	for (size_t i = 0; i < cg->lay->n; i++) {
		if (cg->fd[i] < 0)
			continue;
		const char *name = strrchr(cg->lay->h[i].mnt, '/') + 1;
		if (mkdirat(tmp, name, 0755) < 0 && errno != EEXIST)
			return err_set_errno(err, errno, "mkdir '%s/%s'", dest, name);
		r = bind_dir(cg->dir[i], tmp, name, false);
		if (r < 0)
			return err_set_errno(err, -r, "bind cgroup '%s' on '%s/%s'", cg->dir[i],
					     dest, name);
	}
	r = copy_symlinks(cg, tmp);
	if (r < 0)
		return err_set_errno(err, -r, "symlinks in '%s'", dest);
	/* The tmpfs and every bind in it nosuid, nodev, noexec (and read-only if asked) in one
	 * call, not a remount each (set-only: flags the kernel locked on the binds stay). */
	struct mount_attr a = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
					    (ro ? MOUNT_ATTR_RDONLY : 0) };
	if (mount_setattr(tmp, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
		return err_set_errno(err, errno, "mount attributes of '%s'", dest);
	return 0;
}

int cgroup_mount_in_rootfs(struct cgroup *cg, int rootfd, const char *dest, bool readonly,
			   struct hutch_err *err)
{
	if (!path_is_normalized_absolute(dest) || !strcmp(dest, "/") || strlen(dest) >= PATH_MAX)
		return err_set(err, EINVAL,
			       "cgroup mount destination '%.64s' is not a normalized "
			       "absolute path",
			       dest);
	_cleanup_close_ int target = mkdir_p_in_root(rootfd, dest, 0755);
	if (target < 0)
		return err_set_errno(err, -target, "create cgroup mount point '%s'", dest);
	if (cg->lay->mode == CGROUP_MODE_V2)
		return mount_v2(cg, rootfd, target, dest, readonly, err);
	return mount_v1(cg, rootfd, target, dest, readonly, err);
}
