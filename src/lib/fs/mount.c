/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One spec mount: build a detached mount, give it its attributes, attach it onto a target
 * resolved inside the rootfs, then set its propagation.
 *
 * Trust boundary: destinations are container-controlled paths (an image may hold symlinks
 * anywhere); they are only ever resolved with openat2(RESOLVE_IN_ROOT) from rootfd. Sources
 * of bind mounts are host paths from the config, which the caller of the runtime trusts.
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-internal.h" /* first: it undoes the predefined "linux" macro */
#include "cgroup/cgroup.h"
#include "err.h"
#include "path.h"

uint64_t mount_flags_to_attr(unsigned long ms)
{
	uint64_t a = 0;
	if (ms & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (ms & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (ms & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (ms & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	if (ms & MS_NODIRATIME)
		a |= MOUNT_ATTR_NODIRATIME;
	if (ms & MS_NOSYMFOLLOW)
		a |= MOUNT_ATTR_NOSYMFOLLOW;
	/* As mount(2): strictatime beats noatime beats relatime. */
	if (ms & MS_STRICTATIME)
		a |= MOUNT_ATTR_STRICTATIME;
	else if (ms & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	else if (ms & MS_RELATIME)
		a |= MOUNT_ATTR_RELATIME;
	return a;
}

uint64_t mount_clear_to_attr(unsigned long set, unsigned long clear)
{
	const unsigned long atime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
	/* The atime flags are one field: naming any of them rewrites the whole field. */
	uint64_t a = mount_flags_to_attr(clear & ~atime);
	if ((set | clear) & atime)
		a |= MOUNT_ATTR__ATIME;
	return a;
}

/* The directory part of dest; the last name must be a real name (not "", "." or ".."). */
static int split_parent(const char *dest, char *parent, size_t size)
{
	size_t len = strlen(dest);
	while (len > 1 && dest[len - 1] == '/')
		len--;
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(parent, dest, len);
	parent[len] = '\0';
	char *slash = strrchr(parent, '/');
	const char *name = slash ? slash + 1 : parent;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	if (slash)
		*slash = '\0';
	else
		parent[0] = '\0';
	return 0;
}

int fs_open_target(int rootfd, const char *dest, bool dir)
{
	int fd = open_in_root(rootfd, dest, O_PATH, 0);
	if (fd != -ENOENT)
		return fd;
	if (dir)
		return mkdir_p_in_root(rootfd, dest, 0755);

	char parent[PATH_MAX];
	int r = split_parent(dest, parent, sizeof(parent));
	if (r < 0)
		return r;
	_cleanup_close_ int pfd = mkdir_p_in_root(rootfd, parent, 0755);
	if (pfd < 0)
		return pfd;
	/*
	 * Created through openat2 in root as well, so a dangling symlink in the image gets its
	 * target made inside the rootfs, as runc does. Nothing existed at dest a moment ago;
	 * O_NONBLOCK|O_NOCTTY keep a fifo or tty swapped in meanwhile from blocking us.
	 */
	int f = open_in_root(rootfd, dest, O_CREAT | O_WRONLY | O_NOCTTY | O_NONBLOCK, 0644);
	if (f < 0)
		return f;
	safe_close(f);
	return open_in_root(rootfd, dest, O_PATH, 0);
}

int fs_attach(int mfd, int targetfd)
{
	if (move_mount(mfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
	    0)
		return negative_errno();
	return 0;
}

int fs_clone_tree(int dirfd, const char *src, bool recursive)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
	if (!*src)
		flags |= AT_EMPTY_PATH;
	int fd = open_tree(dirfd, src, flags);
	return fd < 0 ? negative_errno() : fd;
}

static int setattr(int mfd, unsigned flags, uint64_t set, uint64_t clr, uint64_t prop, int userns)
{
	struct mount_attr a = {
	    .attr_set = set,
	    .attr_clr = clr,
	    .propagation = prop,
	    .userns_fd = userns >= 0 ? (uint64_t)userns : 0,
	};
	if (mount_setattr(mfd, "", AT_EMPTY_PATH | flags, &a, sizeof(a)) < 0)
		return negative_errno();
	return 0;
}

/* The last error the kernel logged on an fs context ("tmpfs: Bad value for 'size'"). */
static void fs_log(int fsfd, char *buf, size_t size)
{
	char line[256];
	ssize_t n;
	buf[0] = '\0';
	/* The log holds at most a few lines; each read returns one. */
	for (int i = 0; i < 8 && (n = read(fsfd, line, sizeof(line) - 1)) > 0; i++) {
		while (n > 0 && line[n - 1] == '\n')
			n--;
		line[n] = '\0';
		if (n > 2 && line[0] == 'e' && line[1] == ' ')
			snprintf(buf, size, " (%s)", line + 2);
	}
}

static int fsconfig_option(int fsfd, const char *opt)
{
	char key[256];
	const char *eq = strchr(opt, '=');
	int r;
	if (!eq) {
		r = fsconfig(fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
	} else {
		size_t n = (size_t)(eq - opt);
		if (n == 0 || n >= sizeof(key))
			return -EINVAL;
		memcpy(key, opt, n);
		key[n] = '\0';
		r = fsconfig(fsfd, FSCONFIG_SET_STRING, key, eq + 1, 0);
	}
	return r < 0 ? negative_errno() : 0;
}

/* Superblock flags have no mount attribute; the fs context takes them by name. */
static int fsconfig_sb_flags(int fsfd, unsigned long flags)
{
	static const struct {
		unsigned long ms;
		const char *name;
	} sb[] = {{MS_SYNCHRONOUS, "sync"},
		  {MS_DIRSYNC, "dirsync"},
		  {MS_LAZYTIME, "lazytime"},
		  {MS_MANDLOCK, "mand"}};
	for (size_t i = 0; i < ARRAY_SIZE(sb); i++)
		if ((flags & sb[i].ms) &&
		    fsconfig(fsfd, FSCONFIG_SET_FLAG, sb[i].name, NULL, 0) < 0)
			return negative_errno();
	return 0;
}

/*
 * A new filesystem instance as a detached mount. Each data option is passed on its own
 * (so a value holding a comma, like an SELinux context, is not cut in two).
 */
static int fs_new(const struct spec_mount *m, const struct mount_opts *o, char *log, size_t logsize)
{
	log[0] = '\0';
	_cleanup_close_ int fsfd = fsopen(m->type, FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return negative_errno();
	int r = 0;
	if (m->source && *m->source &&
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "source", m->source, 0) < 0)
		r = negative_errno();
	for (char **p = m->options; r == 0 && p && *p; p++)
		if (**p && !mount_opt_is_known(*p))
			r = fsconfig_option(fsfd, *p);
	if (r == 0)
		r = fsconfig_sb_flags(fsfd, o->flags);
	if (r == 0 && fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		r = negative_errno();
	if (r < 0) {
		fs_log(fsfd, log, logsize);
		return r;
	}
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned)mount_flags_to_attr(o->flags));
	if (mfd < 0) {
		r = negative_errno();
		fs_log(fsfd, log, logsize);
		return r;
	}
	return mfd;
}

/* Bind: clone the source, then set only what the options name (flags locked by a parent
 * user namespace are never touched, so "ro" on a nosuid source just works). */
static int bind_new(const struct spec_mount *m, const struct mount_opts *o, int preopened)
{
	if (!m->source)
		return -EINVAL;
	int mfd = preopened >= 0 ? fcntl(preopened, F_DUPFD_CLOEXEC, 3)
				 : fs_clone_tree(AT_FDCWD, m->source, o->rbind);
	if (mfd < 0)
		return mfd;
	uint64_t set = mount_flags_to_attr(o->flags);
	uint64_t clr = mount_clear_to_attr(o->flags, o->clear);
	if (set || clr) {
		int r = setattr(mfd, 0, set, clr, 0, -1);
		if (r < 0) {
			safe_close(mfd);
			return r;
		}
	}
	return mfd;
}

/* The runtime's detached copy of this mount's source, if it made one (-1 otherwise). */
static int preopened_source(const struct rootfs_ctx *ctx, const struct spec_mount *m)
{
	const struct spec *s = ctx->spec;
	if (!ctx->source_fds || m < s->mounts || m >= s->mounts + s->n_mounts)
		return -1;
	return ctx->source_fds[m - s->mounts];
}

static bool is_bind(const struct spec_mount *m, const struct mount_opts *o)
{
	return o->bind || (m->type && strcmp(m->type, "bind") == 0);
}

static int fs_idmap(int mfd, const struct rootfs_ctx *ctx, const struct spec_mount *m,
		    const struct mount_opts *o, struct hutch_err *err)
{
	const struct spec_linux *l = &ctx->spec->linux;
	const struct spec_id_map *u = m->uid_mappings, *g = m->gid_mappings;
	size_t nu = m->n_uid_mappings, ng = m->n_gid_mappings;
	/* Without its own maps, an idmapped mount takes the container's. */
	if (!nu && !ng) {
		u = l->uid_mappings, nu = l->n_uid_mappings;
		g = l->gid_mappings, ng = l->n_gid_mappings;
	}
	if (!nu || !ng)
		return err_set(err, EINVAL, "idmap needs uidMappings and gidMappings");
	_cleanup_close_ int userns = fs_userns_fd(u, nu, g, ng, err);
	if (userns < 0)
		return userns;
	int r = setattr(mfd, o->idmap_recursive ? AT_RECURSIVE : 0, MOUNT_ATTR_IDMAP, 0, 0, userns);
	if (r < 0)
		return err_set_errno(err, -r,
				     "idmap (kernel or filesystem without idmapped mounts?)");
	return 0;
}

/*
 * procfs and sysfs must land exactly where the config says: a /proc that is a symlink in the
 * image would put the real procfs somewhere the masked paths were not written for (runc
 * refuses the same). Other destinations may follow symlinks, inside the rootfs.
 */
static int check_no_symlink(int rootfd, const struct spec_mount *m, const struct mount_opts *o)
{
	if (is_bind(m, o) || !m->type || (strcmp(m->type, "proc") && strcmp(m->type, "sysfs")))
		return 0;
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS,
	};
	const char *p = m->destination;
	while (*p == '/')
		p++;
	int fd = (int)syscall(SYS_openat2, rootfd, *p ? p : ".", &how, sizeof(how));
	if (fd < 0)
		return negative_errno();
	close(fd);
	return 0;
}

/* Everything after the mount exists as a detached fd: attributes, idmap, attach, propagation. */
static int finish(int mfd, int rootfd, const struct rootfs_ctx *ctx, const struct spec_mount *m,
		  const struct mount_opts *o, struct hutch_err *err)
{
	int r;
	if (o->rec_attr_set || o->rec_attr_clr) {
		r = setattr(mfd, AT_RECURSIVE, o->rec_attr_set, o->rec_attr_clr, 0, -1);
		if (r < 0)
			return err_set_errno(err, -r, "recursive attributes");
	}
	if (o->idmap && preopened_source(ctx, m) < 0) {
		r = fs_idmap(mfd, ctx, m, o, err);
		if (r < 0)
			return r;
	}
	struct stat st;
	if (fstat(mfd, &st) < 0)
		return err_set_errno(err, errno, "stat");
	_cleanup_close_ int target = fs_open_target(rootfd, m->destination, S_ISDIR(st.st_mode));
	if (target < 0)
		return err_set_errno(err, -target, "create mount point");
	r = check_no_symlink(rootfd, m, o);
	if (r < 0)
		return err_set_errno(err, -r, "destination is or passes through a symlink");
	r = fs_attach(mfd, target);
	if (r < 0)
		return err_set_errno(err, -r, "attach");
	if (o->propagation) {
		r = setattr(mfd, (o->propagation & MS_REC) ? AT_RECURSIVE : 0, 0, 0,
			    o->propagation & ~(unsigned long)MS_REC, -1);
		if (r < 0)
			return err_set_errno(err, -r, "propagation");
	}
	return 0;
}

/* "remount": change an existing mount at dest (attributes; data through fspick). */
static int remount(int rootfd, const struct spec_mount *m, const struct mount_opts *o,
		   struct hutch_err *err)
{
	_cleanup_close_ int target = open_in_root(rootfd, m->destination, O_PATH, 0);
	if (target < 0)
		return err_set_errno(err, -target, "remount");
	uint64_t set = mount_flags_to_attr(o->flags);
	uint64_t clr = mount_clear_to_attr(o->flags, o->clear);
	int r = (set || clr) ? setattr(target, 0, set, clr, 0, -1) : 0;
	if (r < 0)
		return err_set_errno(err, -r, "remount");
	if (o->bind || !o->data)
		return 0;
	_cleanup_close_ int fsfd = fspick(target, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC);
	if (fsfd < 0)
		return err_set_errno(err, errno, "remount");
	for (char **p = m->options; r == 0 && p && *p; p++)
		if (**p && !mount_opt_is_known(*p))
			r = fsconfig_option(fsfd, *p);
	if (r == 0 && fsconfig(fsfd, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
		r = negative_errno();
	return r < 0 ? err_set_errno(err, -r, "remount") : 0;
}

/*
 * In a user namespace without its own network (IPC) namespace the kernel refuses a new
 * sysfs (mqueue): as runc, fall back to a recursive bind of the host's.
 */
static const char *userns_fallback(const struct rootfs_ctx *ctx, const char *type, int r)
{
	if (!ctx->in_userns || r != -EPERM)
		return NULL;
	if (strcmp(type, "sysfs") == 0)
		return "/sys";
	if (strcmp(type, "mqueue") == 0)
		return "/dev/mqueue";
	return NULL;
}

static int cgroup_mount(int rootfd, const struct rootfs_ctx *ctx, const struct spec_mount *m,
			const struct mount_opts *o, struct hutch_err *err)
{
	if (!ctx->cgroup)
		return 0;
	return cgroup_mount_in_rootfs(ctx->cgroup, rootfd, m->destination,
				      (o->flags & MS_RDONLY) != 0, err);
}

static int mount_dispatch(int rootfd, const struct rootfs_ctx *ctx, const struct spec_mount *m,
			  const struct mount_opts *o, struct hutch_err *err)
{
	char log[200] = "";
	int mfd;

	if (o->tmpcopyup)
		return err_set(err, ENOTSUP, "option 'tmpcopyup' is not supported");
	if (o->flags & MS_REMOUNT)
		return remount(rootfd, m, o, err);
	if (is_bind(m, o)) {
		if (!m->source || !*m->source)
			return err_set(err, EINVAL, "bind mount without a source");
		mfd = bind_new(m, o, preopened_source(ctx, m));
	} else {
		if (!m->type || !*m->type)
			return err_set(err, EINVAL, "no type and not a bind mount");
		if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
			return cgroup_mount(rootfd, ctx, m, o, err);
		mfd = fs_new(m, o, log, sizeof(log));
		const char *fb = userns_fallback(ctx, m->type, mfd);
		if (fb) {
			struct spec_mount b = *m;
			struct mount_opts bo = *o;
			b.source = (char *)fb;
			bo.rbind = true;
			mfd = bind_new(&b, &bo, -1);
			log[0] = '\0';
		}
	}
	if (mfd < 0)
		return err_set(err, -mfd, "%s%s", strerror(-mfd), log);
	_cleanup_close_ int fd = mfd;
	return finish(fd, rootfd, ctx, m, o, err);
}

int fs_mount_one(int rootfd, const struct rootfs_ctx *ctx, const struct spec_mount *m,
		 struct hutch_err *err)
{
	const char *what = m->source && *m->source ? m->source : m->type ? m->type : "none";
	struct mount_opts o;
	int r = mount_opts_parse(m->options, &o, err);
	if (r >= 0) {
		r = mount_dispatch(rootfd, ctx, m, &o, err);
		mount_opts_release(&o);
	}
	if (r < 0)
		return err_prefix(err, "mount '%s' on '%s'", what, m->destination);
	return 0;
}

static bool same_maps(const struct spec_id_map *a, size_t na, const struct spec_id_map *b,
		      size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].container_id != b[i].container_id || a[i].host_id != b[i].host_id ||
		    a[i].size != b[i].size)
			return false;
	return true;
}

/*
 * An idmapped mount whose maps are the container's own (or who has none, and takes the
 * container's) when the container gets a new user namespace: that namespace carries the
 * maps, once it exists, and no namespace is made for the mount alone (which takes a process
 * to hold it: ~0.2 ms of every sandbox with an idmapped workspace).
 */
static bool idmap_is_containers(const struct spec *s, const struct spec_mount *m)
{
	const struct spec_namespace *ns = spec_find_namespace(s, CLONE_NEWUSER);
	const struct spec_linux *l = &s->linux;
	if (!ns || (ns->path && *ns->path) || !l->n_uid_mappings || !l->n_gid_mappings)
		return false;
	return (!m->n_uid_mappings && !m->n_gid_mappings) ||
	       (same_maps(m->uid_mappings, m->n_uid_mappings, l->uid_mappings, l->n_uid_mappings) &&
		same_maps(m->gid_mappings, m->n_gid_mappings, l->gid_mappings, l->n_gid_mappings));
}

int rootfs_idmap_sources(const struct spec *s, const int *fds, pid_t child, struct hutch_err *err)
{
	_cleanup_close_ int userns = -1;
	for (size_t i = 0; fds && i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		if (fds[i] < 0 || !idmap_is_containers(s, m))
			continue;
		_cleanup_(mount_opts_release) struct mount_opts o = { 0 };
		int r = mount_opts_parse(m->options, &o, err);
		if (r < 0 || !o.idmap)
			continue; /* parsed before, by rootfs_open_sources */
		if (userns < 0) {
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
			if ((userns = open(path, O_RDONLY | O_CLOEXEC)) < 0)
				return err_set_errno(err, errno, "idmap: open '%s'", path);
		}
		r = setattr(fds[i], o.idmap_recursive ? AT_RECURSIVE : 0, MOUNT_ATTR_IDMAP, 0, 0, userns);
		if (r < 0)
			return err_set_errno(err, -r, "idmap '%s' (kernel or filesystem without "
					     "idmapped mounts?)", m->destination);
	}
	return 0;
}

int rootfs_open_sources(const struct spec *s, int **ret, struct hutch_err *err)
{
	int *fds = malloc((s->n_mounts ? s->n_mounts : 1) * sizeof(int));
	if (!fds)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < s->n_mounts; i++)
		fds[i] = -1;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		struct mount_opts o;
		int r = mount_opts_parse(m->options, &o, err);
		if (r < 0) {
			rootfs_source_fds_free(fds, s->n_mounts);
			return err_prefix(err, "mount on '%s'", m->destination);
		}
		bool bind = is_bind(m, &o) && !(o.flags & MS_REMOUNT) && m->source && *m->source;
		if (bind) {
			fds[i] = fs_clone_tree(AT_FDCWD, m->source, o.rbind);
			if (fds[i] < 0)
				r = err_set_errno(err, -fds[i], "open source");
		}
		/* Id maps are host ids: only here, outside the container's user namespace, can
		 * they be written as they are. The container's own wait for its namespace. */
		if (r >= 0 && bind && o.idmap && !idmap_is_containers(s, m)) {
			struct rootfs_ctx ictx = { .spec = s };
			r = fs_idmap(fds[i], &ictx, m, &o, err);
		}
		mount_opts_release(&o);
		if (r < 0) {
			rootfs_source_fds_free(fds, s->n_mounts);
			return err_prefix(err, "mount '%s' on '%s'", m->source, m->destination);
		}
	}
	*ret = fds;
	return 0;
}

void rootfs_source_fds_free(int *fds, size_t n)
{
	for (size_t i = 0; fds && i < n; i++)
		safe_close(fds[i]);
	free(fds);
}

int rootfs_open_idmapped(const struct spec *s, const char *rootfs, struct hutch_err *err)
{
	const struct spec_linux *l = &s->linux;
	if (!l->n_uid_mappings || !l->n_gid_mappings)
		return err_set(err, EINVAL, "idmapped rootfs: the container has no id mappings");
	_cleanup_close_ int mfd = fs_clone_tree(AT_FDCWD, rootfs, true);
	if (mfd < 0)
		return err_set_errno(err, -mfd, "idmapped rootfs '%s'", rootfs);
	_cleanup_close_ int userns = fs_userns_fd(l->uid_mappings, l->n_uid_mappings,
						  l->gid_mappings, l->n_gid_mappings, err);
	if (userns < 0)
		return userns;
	int r = setattr(mfd, AT_RECURSIVE, MOUNT_ATTR_IDMAP, 0, 0, userns);
	if (r < 0)
		return err_set_errno(err, -r, "idmapped rootfs '%s'", rootfs);
	return TAKE_FD(mfd);
}
