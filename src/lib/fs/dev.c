/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's /dev: the default devices, linux.devices, the /dev/fd and stdio symlinks,
 * /dev/ptmx → pts/ptmx and /dev/console.
 *
 * Outside a user namespace device nodes are made with mknod; inside one mknod of a device is
 * refused, so (as runc) the host's node is bind-mounted onto an empty file instead.
 * Trust boundary: device paths come from the config and every one is resolved in the rootfs.
 */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "err.h"
#include "fs-internal.h"
#include "path.h"

struct dev_node {
	const char *path;
	char type;
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

static const struct dev_node default_devs[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

/* Opens the parent directory of path (created if missing) and copies out the last name. */
static int open_parent(int rootfd, const char *path, char name[static NAME_MAX + 1])
{
	char parent[PATH_MAX];
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= sizeof(parent))
		return -ENAMETOOLONG;
	memcpy(parent, path, len);
	parent[len] = '\0';
	char *slash = strrchr(parent, '/');
	const char *base = slash ? slash + 1 : parent;
	size_t n = strlen(base);
	if (n == 0 || n > NAME_MAX || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	memcpy(name, base, n + 1);
	if (slash)
		*slash = '\0';
	else
		parent[0] = '\0';
	return mkdir_p_in_root(rootfd, parent, 0755);
}

static int mknod_dev(int pfd, const char *name, const struct dev_node *d)
{
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	/* umask would strip the mode the config asked for; we are single-threaded here. */
	mode_t old = umask(0);
	int r = mknodat(pfd, name, type | (d->mode & 07777), makedev(d->major, d->minor));
	int e = errno;
	umask(old);
	if (r < 0 && e != EEXIST) /* an existing node is kept, as runc does */
		return -e;
	if ((d->uid || d->gid) && fchownat(pfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return negative_errno();
	return 0;
}

/* In a user namespace: bind the host's node (same path) onto an empty file. */
static int bind_dev(int rootfd, int pfd, const char *name, const struct dev_node *d)
{
	int f = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC,
		       0644);
	if (f < 0 && errno != EEXIST)
		return negative_errno();
	safe_close(f);
	_cleanup_close_ int target = open_in_root(rootfd, d->path, O_PATH, 0);
	if (target < 0)
		return target;
	_cleanup_close_ int mfd = fs_clone_tree(AT_FDCWD, d->path, false);
	if (mfd < 0)
		return mfd;
	return fs_attach(mfd, target);
}

static int make_dev(int rootfd, const struct rootfs_ctx *ctx, const struct dev_node *d,
		    struct hutch_err *err)
{
	if (!d->type || !strchr("cbup", d->type))
		return err_set(err, EINVAL, "device '%s': unknown type '%c'", d->path, d->type);
	char name[NAME_MAX + 1];
	_cleanup_close_ int pfd = open_parent(rootfd, d->path, name);
	if (pfd < 0)
		return err_set_errno(err, -pfd, "device '%s'", d->path);
	/* A fifo is no device: mknod of one is allowed in a user namespace too. */
	int r = ctx->in_userns && d->type != 'p' ? bind_dev(rootfd, pfd, name, d)
						 : mknod_dev(pfd, name, d);
	if (r < 0)
		return err_set_errno(err, -r, "device '%s'", d->path);
	return 0;
}

static bool spec_has_device(const struct spec *s, const char *path)
{
	for (size_t i = 0; i < s->linux.n_devices; i++)
		if (strcmp(s->linux.devices[i].path, path) == 0)
			return true;
	return false;
}

static int spec_devices(int rootfd, const struct rootfs_ctx *ctx, struct hutch_err *err)
{
	const struct spec_linux *l = &ctx->spec->linux;
	for (size_t i = 0; i < l->n_devices; i++) {
		const struct spec_device *sd = &l->devices[i];
		if (sd->major < 0 || sd->minor < 0 || sd->major > UINT32_MAX ||
		    sd->minor > UINT32_MAX)
			return err_set(err, EINVAL, "device '%s': bad major/minor", sd->path);
		struct dev_node d = {
		    .path = sd->path,
		    .type = sd->type,
		    .major = (unsigned)sd->major,
		    .minor = (unsigned)sd->minor,
		    .mode = sd->has_file_mode ? sd->file_mode : 0666,
		    .uid = sd->has_uid ? sd->uid : 0,
		    .gid = sd->has_gid ? sd->gid : 0,
		};
		int r = make_dev(rootfd, ctx, &d, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int dev_links(int rootfd, struct hutch_err *err)
{
	static const char *const links[][2] = {
	    {"/proc/self/fd", "fd"},	   {"/proc/self/fd/0", "stdin"},
	    {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
	    {"/proc/kcore", "core"},
	};
	_cleanup_close_ int devfd = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0);
	if (devfd < 0)
		return err_set_errno(err, -devfd, "open '/dev'");
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		/* As runc: /dev/core only where the host has a /proc/kcore. */
		if (strcmp(links[i][1], "core") == 0 && access("/proc/kcore", F_OK) < 0)
			continue;
		if (symlinkat(links[i][0], devfd, links[i][1]) < 0 && errno != EEXIST)
			return err_set_errno(err, errno, "symlink '/dev/%s'", links[i][1]);
	}
	/* The ptmx of the container's own devpts instance, not the host's. */
	if (unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
		return err_set_errno(err, errno, "remove '/dev/ptmx'");
	if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
		return err_set_errno(err, errno, "symlink '/dev/ptmx'");
	return 0;
}

static int console(int rootfd, const char *pty, struct hutch_err *err)
{
	_cleanup_close_ int target = fs_open_target(rootfd, "/dev/console", false);
	if (target < 0)
		return err_set_errno(err, -target, "console: create '/dev/console'");
	_cleanup_close_ int mfd = fs_clone_tree(AT_FDCWD, pty, false);
	if (mfd < 0)
		return err_set_errno(err, -mfd, "console: bind '%s'", pty);
	int r = fs_attach(mfd, target);
	if (r < 0)
		return err_set_errno(err, -r, "console: bind '%s' on '/dev/console'", pty);
	return 0;
}

int dev_setup(int rootfd, const struct rootfs_ctx *ctx, bool dev_is_mounted, struct hutch_err *err)
{
	int r;
	if (dev_is_mounted) {
		for (size_t i = 0; i < ARRAY_SIZE(default_devs); i++) {
			if (spec_has_device(ctx->spec, default_devs[i].path))
				continue; /* the config's entry wins */
			r = make_dev(rootfd, ctx, &default_devs[i], err);
			if (r < 0)
				return r;
		}
	}
	r = spec_devices(rootfd, ctx, err);
	if (r < 0)
		return r;
	if (dev_is_mounted) {
		r = dev_links(rootfd, err);
		if (r < 0)
			return r;
	}
	if (ctx->console_path)
		return console(rootfd, ctx->console_path, err);
	return 0;
}
