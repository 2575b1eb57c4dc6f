/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A container's cgroup: path rules, creation in every hierarchy, reopening, entering, and the
 * small knob I/O helpers the v1/v2 files use. Creation is on the container start's critical
 * path: the layout is cached per process, each directory is opened once (O_PATH) and every
 * knob is written relative to that fd; only knobs the spec sets are touched.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup-internal.h"
#include "err.h"
#include "fileio.h"
#include "path.h"

static bool valid_component(const char *s, size_t n)
{
	if (n == 0 || n > NAME_MAX)
		return false;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	return memchr(s, '/', n) == NULL;
}

/* "slice:prefix:name" → "/<slice>/<prefix>-<name>.scope" (runc's systemd form). */
static int systemd_path(const char *p, char **ret, struct hutch_err *err)
{
	const char *c1 = strchr(p, ':'), *c2 = strchr(c1 + 1, ':');
	const char *slice = p, *prefix = c1 + 1, *name = c2 + 1;
	size_t ls = (size_t)(c1 - slice), lp = (size_t)(c2 - prefix), ln = strlen(name);
	if (ls == 0) {
		slice = "system.slice";
		ls = strlen(slice);
	}
	if (!valid_component(slice, ls) || ls < 7 || strncmp(slice + ls - 6, ".slice", 6) ||
	    (lp && !valid_component(prefix, lp)) || !valid_component(name, ln) ||
	    ls + lp + ln + 10 > NAME_MAX)
		return err_set(err, EINVAL, "cgroups path '%s': bad systemd form slice:prefix:name",
			       p);
	char *s;
	if (asprintf(&s, "/%.*s/%.*s%s%s.scope", (int)ls, slice, (int)lp, prefix, lp ? "-" : "",
		     name) < 0)
		return err_set(err, ENOMEM, "cgroups path");
	*ret = s;
	return 0;
}

int cg_resolve_path(const char *cgroups_path, const char *container_id, char **ret,
		    bool *ret_relative, struct hutch_err *err)
{
	*ret_relative = false;
	if (container_id && !valid_component(container_id, strlen(container_id)))
		return err_set(err, EINVAL, "container id '%s' is not a valid cgroup name",
			       container_id);
	if (!cgroups_path || !*cgroups_path) {
		if (!container_id)
			return err_set(err, EINVAL, "cgroups path: no path and no container id");
		char *s;
		if (asprintf(&s, "/hutch/%s", container_id) < 0)
			return err_set(err, ENOMEM, "cgroups path");
		*ret = s;
		return 0;
	}
	size_t len = strlen(cgroups_path);
	if (len >= CG_MAX_PATH)
		return err_set(err, ENAMETOOLONG, "cgroups path is longer than %d bytes",
			       CG_MAX_PATH);
	const char *c1 = strchr(cgroups_path, ':');
	if (cgroups_path[0] != '/' && c1 && strchr(c1 + 1, ':') &&
	    !strchr(strchr(c1 + 1, ':') + 1, ':'))
		return systemd_path(cgroups_path, ret, err);
	/* Normalize: drop empty and "." components, refuse "..". */
	_cleanup_free_ char *out = malloc(len + 2);
	if (!out)
		return err_set(err, ENOMEM, "cgroups path");
	size_t o = 0, depth = 0;
	for (const char *s = cgroups_path; *s;) {
		while (*s == '/')
			s++;
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return err_set(err, EINVAL, "cgroups path '%s': '..' is not allowed",
				       cgroups_path);
		if (n > NAME_MAX)
			return err_set(err, ENAMETOOLONG, "cgroups path '%s'", cgroups_path);
		if (n && !(n == 1 && s[0] == '.')) {
			if (++depth > CG_MAX_DEPTH)
				return err_set(err, E2BIG, "cgroups path '%s' is deeper than %d",
					       cgroups_path, CG_MAX_DEPTH);
			out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		s = e;
	}
	out[o] = '\0';
	if (o == 0)
		return err_set(err, EINVAL, "cgroups path '%s' names the parent cgroup itself",
			       cgroups_path);
	*ret_relative = cgroups_path[0] != '/';
	*ret = TAKE_PTR(out);
	return 0;
}

/* The host directory of path in hierarchy h. */
static char *hier_dir(const struct cg_hier *h, const char *path, bool relative)
{
	_cleanup_free_ char *full = relative ? path_join(h->own, path) : strdup(path);
	if (!full)
		return NULL;
	const char *p = full;
	size_t rl = strlen(h->mnt_root);
	/* A mount of a sub-tree (cgroup namespace, bind): paths below its root map under it. */
	if (strcmp(h->mnt_root, "/") && !strncmp(full, h->mnt_root, rl) &&
	    (full[rl] == '/' || !full[rl]))
		p = full + rl;
	return path_join(h->mnt, *p ? p : "/");
}

static struct cgroup *cgroup_alloc(const struct cgroup_layout *lay, char *name)
{
	struct cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg) {
		free(name);
		return NULL;
	}
	cg->lay = lay;
	cg->name = name;
	for (size_t i = 0; i < CG_MAX_HIER; i++)
		cg->fd[i] = -1;
	return cg;
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < CG_MAX_HIER; i++) {
		safe_close(cg->fd[i]);
		free(cg->dir[i]);
	}
	free(cg->name);
	free(cg);
}

/*
 * mkdir of the leaf; parents are made only when missing. Returns 1 if the leaf was created,
 * 0 if it existed. *ret_top gets the outermost directory we made (for undo on failure).
 */
static int make_dir_once(const char *mnt, const char *dir, char **ret_top)
{
	*ret_top = NULL;
	if (mkdir(dir, 0755) == 0)
		return 1;
	if (errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return negative_errno();
	_cleanup_free_ char *p = strdup(dir);
	if (!p)
		return -ENOMEM;
	for (char *s = p + strlen(mnt) + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == 0) {
			if (!*ret_top && !(*ret_top = strdup(p)))
				return -ENOMEM;
		} else if (errno != EEXIST) {
			return negative_errno();
		}
		*s = '/';
	}
	if (mkdir(p, 0755) < 0)
		return errno == EEXIST ? 0 : negative_errno();
	return 1;
}

/* A parent removed by a concurrent destroy (the default /hutch goes with its last
 * container) between our mkdirs shows as ENOENT: make the path again. */
static int make_dir(const char *mnt, const char *dir, char **ret_top)
{
	int r = -ENOENT;
	for (int attempt = 0; attempt < 3 && r == -ENOENT; attempt++) {
		if (attempt > 0) {
			free(*ret_top);
			*ret_top = NULL;
		}
		r = make_dir_once(mnt, dir, ret_top);
	}
	return r;
}

/* Removes what a failed create made: the leaf, then parents up to the outermost we made. */
static void undo_create(struct cgroup *cg, char **tops)
{
	for (size_t i = 0; i < cg->lay->n; i++) {
		if (cg->created[i] && cg->dir[i])
			(void)rmdir(cg->dir[i]);
		if (!tops[i] || !cg->dir[i])
			continue;
		_cleanup_free_ char *p = strdup(cg->dir[i]);
		size_t tl = strlen(tops[i]);
		while (p && strlen(p) > tl) {
			*strrchr(p, '/') = '\0';
			if (rmdir(p) < 0 && errno != ENOENT)
				break;
		}
	}
}

/*
 * Whether a hierarchy holds one of the wanted controllers (a comma-separated list; NULL wants
 * every hierarchy). The cgroup2 hierarchy of a v2 host holds them all; the empty one of a
 * hybrid host and named ones (name=systemd) hold none.
 */
static bool hier_wanted(const struct cgroup_layout *lay, const struct cg_hier *h, const char *only)
{
	if (!only || lay->mode == CGROUP_MODE_V2)
		return true;
	size_t n = strlen(h->ctrls);
	for (const char *c = only; *c;) {
		size_t len = strcspn(c, ",");
		for (const char *p = h->ctrls; p < h->ctrls + n;) {
			size_t pl = strcspn(p, ",");
			if (pl == len && len > 0 && strncmp(p, c, len) == 0)
				return true;
			p += pl + (p[pl] == ',');
		}
		c += len + (c[len] == ',');
	}
	return false;
}

static int open_dirs(struct cgroup *cg, const char *path, bool relative, bool create, char **tops,
		     const char *only, struct hutch_err *err)
{
	size_t found = 0;
	for (size_t i = 0; i < cg->lay->n; i++) {
		const struct cg_hier *h = &cg->lay->h[i];
		if (create && !hier_wanted(cg->lay, h, only))
			continue; /* dir NULL, fd -1: as if the host had no such hierarchy */
		if (relative && !*h->own)
			return err_set(
			    err, EINVAL,
			    "cgroup '%s': relative path, but the runtime's own cgroup in "
			    "'%s' is outside its cgroup namespace",
			    cg->name, h->mnt);
		cg->dir[i] = hier_dir(h, path, relative);
		if (!cg->dir[i])
			return err_set(err, ENOMEM, "cgroup '%s'", cg->name);
		if (create) {
			int r = make_dir(h->mnt, cg->dir[i], &tops[i]);
			if (r < 0)
				return err_set_errno(err, -r, "create cgroup '%s'", cg->dir[i]);
			cg->created[i] = r > 0;
		}
		cg->fd[i] = open(cg->dir[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cg->fd[i] < 0) {
			if (!create && errno == ENOENT) {
				/* Partly deleted, or never made there (cgroup_create_some). */
				free(cg->dir[i]);
				cg->dir[i] = NULL;
				continue;
			}
			return err_set_errno(err, errno, "open cgroup '%s'", cg->dir[i]);
		}
		found++;
	}
	if (!found)
		return err_set(err, ENOENT, "cgroup '%s' does not exist", cg->name);
	return 0;
}

static int prepare(const struct cgroup_layout *lay, const char *cgroups_path,
		   const char *container_id, struct cgroup **ret, bool *ret_relative,
		   struct hutch_err *err)
{
	char *path;
	int r = cg_resolve_path(cgroups_path, container_id, &path, ret_relative, err);
	if (r < 0)
		return r;
	*ret = cgroup_alloc(lay, path);
	return *ret ? 0 : err_set(err, ENOMEM, "cgroup");
}

int cgroup_create_some_in(const struct cgroup_layout *lay, const char *cgroups_path,
			  const char *container_id, const struct spec_resources *res,
			  const char *controllers, struct cgroup **ret, struct hutch_err *err)
{
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	bool relative;
	int r = prepare(lay, cgroups_path, container_id, &cg, &relative, err);
	if (r < 0)
		return r;
	char *tops[CG_MAX_HIER] = {0};
	r = open_dirs(cg, cg->name, relative, true, tops, controllers, err);
	if (r >= 0 && lay->mode == CGROUP_MODE_V2)
		r = cg_v2_enable_controllers(cg, err);
	if (r >= 0 && lay->mode != CGROUP_MODE_V2) {
		int idx = cg_layout_find(lay, "cpuset");
		if (idx >= 0 && cg->fd[idx] >= 0)
			r = cg_v1_cpuset_copy_down(cg, idx, err);
	}
	if (r >= 0 && res)
		r = cgroup_apply(cg, res, err);
	if (r < 0)
		undo_create(cg, tops);
	for (size_t i = 0; i < CG_MAX_HIER; i++)
		free(tops[i]);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cg);
	return 0;
}

int cgroup_create_in(const struct cgroup_layout *lay, const char *cgroups_path,
		     const char *container_id, const struct spec_resources *res,
		     struct cgroup **ret, struct hutch_err *err)
{
	return cgroup_create_some_in(lay, cgroups_path, container_id, res, NULL, ret, err);
}

int cgroup_open_in(const struct cgroup_layout *lay, const char *cgroups_path,
		   const char *container_id, struct cgroup **ret, struct hutch_err *err)
{
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	bool relative;
	int r = prepare(lay, cgroups_path, container_id, &cg, &relative, err);
	if (r < 0)
		return r;
	r = open_dirs(cg, cg->name, relative, false, NULL, NULL, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cg);
	return 0;
}

int cgroup_create_some(const char *sysfs_root, const char *cgroups_path,
		       const char *container_id, const struct spec_resources *res,
		       const char *controllers, struct cgroup **ret, struct hutch_err *err)
{
	const struct cgroup_layout *lay;
	int r = cg_layout_get(sysfs_root, &lay, err);
	return r < 0 ? r
		     : cgroup_create_some_in(lay, cgroups_path, container_id, res, controllers,
					     ret, err);
}

int cgroup_create(const char *sysfs_root, const char *cgroups_path, const char *container_id,
		  const struct spec_resources *res, struct cgroup **ret, struct hutch_err *err)
{
	return cgroup_create_some(sysfs_root, cgroups_path, container_id, res, NULL, ret, err);
}

int cgroup_open(const char *sysfs_root, const char *cgroups_path, const char *container_id,
		struct cgroup **ret, struct hutch_err *err)
{
	const struct cgroup_layout *lay;
	int r = cg_layout_get(sysfs_root, &lay, err);
	return r < 0 ? r : cgroup_open_in(lay, cgroups_path, container_id, ret, err);
}

int cgroup_enter(struct cgroup *cg, pid_t pid, struct hutch_err *err)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < cg->lay->n; i++) {
		if (cg->fd[i] < 0)
			continue;
		int r = cg_write(cg, cg->fd[i], "cgroup.procs", buf, err);
		if (r < 0)
			return err_prefix(err, "move pid %d into '%s'", (int)pid, cg->dir[i]);
	}
	return 0;
}

int cgroup_self_join_prepare(struct cgroup *cg, int *fds, size_t max, size_t *ret_n,
			     struct hutch_err *err)
{
	size_t n = 0;
	for (size_t i = 0; i < cg->lay->n; i++) {
		if (cg->fd[i] < 0 || (int)i == cg->lay->v2_idx)
			continue;
		if (n == max) {
			while (n > 0)
				safe_close(fds[--n]);
			return err_set(err, E2BIG, "cgroup '%s': too many hierarchies", cg->name);
		}
		fds[n] = openat(cg->fd[i], "tasks", O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (fds[n] < 0) {
			int e = errno;
			while (n > 0)
				safe_close(fds[--n]);
			return err_set_errno(err, e, "cgroup '%s': open '%s/tasks'", cg->name, cg->dir[i]);
		}
		n++;
	}
	*ret_n = n;
	return 0;
}

int cgroup_self_join(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* "0" is the writing thread: no pid lookup, no threadgroup lock. */
		ssize_t w = write(fds[i], "0", 1);
		if (w != 1)
			return w < 0 ? negative_errno() : -EIO;
	}
	return 0;
}

int cgroup_enter_v2(struct cgroup *cg, pid_t pid, struct hutch_err *err)
{
	int i = cg->lay->v2_idx;
	if (i < 0 || cg->fd[i] < 0)
		return 0;
	char buf[24];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	int r = cg_write(cg, cg->fd[i], "cgroup.procs", buf, err);
	return r < 0 ? err_prefix(err, "move pid %d into '%s'", (int)pid, cg->dir[i]) : 0;
}

int cgroup_apply(struct cgroup *cg, const struct spec_resources *res, struct hutch_err *err)
{
	if (!res)
		return 0;
	if (cg->lay->mode == CGROUP_MODE_V2)
		return cg_v2_apply(cg, res, err);
	return cg_v1_apply(cg, res, err);
}

int cg_fd(const struct cgroup *cg, const char *ctrl)
{
	int idx = cg->lay->mode == CGROUP_MODE_V2 ? cg->lay->v2_idx : cg_layout_find(cg->lay, ctrl);
	return idx >= 0 ? cg->fd[idx] : -1;
}

const char *cgroup_path_for(struct cgroup *cg, const char *controller)
{
	const char *c = controller ? controller : "";
	int idx = cg->lay->mode == CGROUP_MODE_V2 ? cg->lay->v2_idx : cg_layout_find(cg->lay, c);
	return idx >= 0 ? cg->dir[idx] : NULL;
}

enum cgroup_mode cgroup_get_mode(const struct cgroup *cg)
{
	return cg->lay->mode;
}

int cgroup_unified_fd(const struct cgroup *cg)
{
	return cg->lay->v2_idx >= 0 ? cg->fd[cg->lay->v2_idx] : -1;
}

int cg_open_knob(const struct cgroup *cg, int dirfd, const char *knob, struct hutch_err *err)
{
	/* O_TRUNC is what a shell's '>' does: harmless on cgroupfs, and it keeps fake-tree
	 * files holding exactly what was written through this fd. */
	int fd = openat(dirfd, knob, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set_errno(err, errno, "cgroup '%s': open '%s'", cg->name, knob);
	return fd;
}

int cg_put(const struct cgroup *cg, int fd, const char *knob, const char *val,
	   struct hutch_err *err)
{
	/* The kernel parses one value per write(2): never split it. */
	size_t len = strlen(val);
	ssize_t n = write(fd, val, len);
	if (n < 0 || (size_t)n != len)
		return err_set_errno(err, n < 0 ? errno : EIO, "cgroup '%s': write '%.64s' to '%s'",
				     cg->name, val, knob);
	return 0;
}

int cg_putln(const struct cgroup *cg, int fd, const char *knob, const char *val,
	     struct hutch_err *err)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s\n", val);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return err_set(err, E2BIG, "cgroup '%s': value for '%s' too long", cg->name, knob);
	return cg_put(cg, fd, knob, buf, err);
}

int cg_write(const struct cgroup *cg, int dirfd, const char *knob, const char *val,
	     struct hutch_err *err)
{
	_cleanup_close_ int fd = cg_open_knob(cg, dirfd, knob, err);
	return fd < 0 ? fd : cg_put(cg, fd, knob, val, err);
}

int cg_need(const struct cgroup *cg, const char *ctrl, const char *what, struct hutch_err *err)
{
	int fd = cg_fd(cg, ctrl);
	if (fd < 0)
		return err_set(err, EOPNOTSUPP,
			       "cgroup '%s': %s requested but the host has no '%s' cgroup %s",
			       cg->name, what, ctrl,
			       cg->lay->mode == CGROUP_MODE_V2 ? "directory" : "hierarchy");
	return fd;
}

bool cg_valid_page_size(const char *s)
{
	size_t n = strspn(s, "0123456789");
	return n > 0 && n <= 8 && s[n] && strchr("KMGT", s[n]) && s[n + 1] == 'B' && !s[n + 2];
}

int cg_vwritef(const struct cgroup *cg, int dirfd, const char *knob, struct hutch_err *err,
	       const char *fmt, va_list ap)
{
	char buf[256];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return err_set(err, E2BIG, "cgroup '%s': value for '%s' too long", cg->name, knob);
	return cg_write(cg, dirfd, knob, buf, err);
}

int cg_writef(const struct cgroup *cg, int dirfd, const char *knob, struct hutch_err *err,
	      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cg_vwritef(cg, dirfd, knob, err, fmt, ap);
	va_end(ap);
	return r;
}

ssize_t cg_read(int dirfd, const char *knob, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, knob, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();
	ssize_t n = read_full(fd, buf, size - 1);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return n;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	if (!strncmp(s, "max", 3)) {
		*ret = UINT64_MAX;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	*ret = v;
	return 0;
}

int cg_read_u64(int dirfd, const char *knob, uint64_t *ret)
{
	char buf[64];
	ssize_t n = cg_read(dirfd, knob, buf, sizeof(buf));
	return n < 0 ? (int)n : parse_u64(buf, ret);
}

int cg_read_keyed(int dirfd, const char *knob, const char *key, uint64_t *ret)
{
	char buf[4096];
	ssize_t n = cg_read(dirfd, knob, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	size_t kl = strlen(key);
	for (char *line = buf; line && *line;) {
		if (!strncmp(line, key, kl) && line[kl] == ' ')
			return parse_u64(line + kl + 1, ret);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}
