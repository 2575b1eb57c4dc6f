/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host's cgroup layout: which hierarchies are mounted under the sysfs root, and where this
 * process sits in each. Parsed from /proc/self/mountinfo and /proc/self/cgroup once per process
 * (the container start path must not re-read a mountinfo that can be thousands of lines long).
 *
 * Trust: both files come from the kernel, but mountinfo lists mount points that unprivileged
 * users can influence (names with spaces, escapes), so parsing is defensive and bounded.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <string.h>
#include <sys/statfs.h>

#include "cgroup-internal.h"
#include "err.h"
#include "fileio.h"
#include "path.h"

/* Mount options of a v1 cgroup mount that are not controller names. */
static const char *const non_controller_opts[] = {
    "rw",	    "ro",     "clone_children", "noprefix", "xattr",	"cpuset_v2_mode",
    "favordynmods", "nosuid", "nodev",		"noexec",   "relatime", "noatime",
};

void cg_layout_free(struct cgroup_layout *lay)
{
	if (!lay)
		return;
	for (size_t i = 0; i < lay->n; i++) {
		free(lay->h[i].ctrls);
		free(lay->h[i].mnt);
		free(lay->h[i].mnt_root);
		free(lay->h[i].own);
	}
	free(lay->root);
	free(lay);
}

static void cg_layout_freep(struct cgroup_layout **p)
{
	cg_layout_free(*p);
}

/* Decodes mountinfo's octal escapes (\040 for space) in place. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* Keeps the controller names (and name=) of a v1 mount's super options. */
static char *controllers_from_opts(const char *opts)
{
	size_t len = strlen(opts);
	char *out = calloc(1, len + 1);
	if (!out)
		return NULL;
	for (const char *s = opts; *s;) {
		const char *e = strchrnul(s, ',');
		size_t n = (size_t)(e - s);
		bool skip = n == 0 || (n >= 14 && !strncmp(s, "release_agent=", 14));
		for (size_t i = 0; !skip && i < ARRAY_SIZE(non_controller_opts); i++)
			skip = strlen(non_controller_opts[i]) == n &&
			       !strncmp(s, non_controller_opts[i], n);
		if (!skip) {
			if (*out)
				strcat(out, ",");
			strncat(out, s, n);
		}
		s = *e ? e + 1 : e;
	}
	return out;
}

/* True if the comma lists a and b name the same set. */
static bool same_set(const char *a, const char *b)
{
	size_t na = 0, nb = 0;
	for (const char *s = a; *s;) {
		const char *e = strchrnul(s, ',');
		size_t n = (size_t)(e - s);
		bool found = false;
		for (const char *t = b; *t && !found;) {
			const char *f = strchrnul(t, ',');
			found = (size_t)(f - t) == n && !strncmp(s, t, n);
			t = *f ? f + 1 : f;
		}
		if (!found)
			return false;
		na++;
		s = *e ? e + 1 : e;
	}
	for (const char *t = b; *t; nb++) {
		const char *f = strchrnul(t, ',');
		t = *f ? f + 1 : f;
	}
	return na == nb;
}

/* Splits a line at spaces into at most max fields; returns the count. */
static size_t split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	for (char *s = line; *s && n < max;) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		f[n++] = s;
		s = strchrnul(s, ' ');
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static int add_hier(struct cgroup_layout *lay, const char *mnt, const char *mnt_root,
		    const char *ctrls, bool v2)
{
	size_t i;
	for (i = 0; i < lay->n; i++)
		if (!strcmp(lay->h[i].mnt, mnt))
			break; /* mounted over: the last mount wins */
	if (i == lay->n) {
		if (lay->n == CG_MAX_HIER)
			return -E2BIG;
		lay->n++;
	} else {
		free(lay->h[i].ctrls);
		free(lay->h[i].mnt);
		free(lay->h[i].mnt_root);
	}
	struct cg_hier *h = &lay->h[i];
	h->v2 = v2;
	h->mnt = strdup(mnt);
	h->mnt_root = strdup(mnt_root);
	h->ctrls = v2 ? strdup("") : controllers_from_opts(ctrls);
	return h->mnt && h->mnt_root && h->ctrls ? 0 : -ENOMEM;
}

/* One mountinfo line: "id parent maj:min root mnt opts [optional...] - fstype src superopts". */
static int parse_mount_line(struct cgroup_layout *lay, char *line, const char *unified)
{
	char *f[64];
	size_t n = split_fields(line, f, ARRAY_SIZE(f));
	size_t sep;
	for (sep = 6; sep < n; sep++)
		if (!strcmp(f[sep], "-"))
			break;
	if (n < 5 || sep + 1 >= n)
		return 0;
	const char *fstype = f[sep + 1], *superopts = sep + 3 < n ? f[sep + 3] : "";
	bool v2 = !strcmp(fstype, "cgroup2");
	if (!v2 && strcmp(fstype, "cgroup"))
		return 0;
	char *root = f[3], *mnt = f[4];
	unescape(root);
	unescape(mnt);
	if (v2) {
		if (strcmp(mnt, lay->root) && strcmp(mnt, unified))
			return 0;
		return add_hier(lay, mnt, root, "", true);
	}
	/* v1 hierarchies sit directly under the root. */
	size_t rl = strlen(lay->root);
	if (strncmp(mnt, lay->root, rl) || mnt[rl] != '/' || !mnt[rl + 1] ||
	    strchr(mnt + rl + 1, '/'))
		return 0;
	return add_hier(lay, mnt, root, superopts, false);
}

/* Picks the mode; on v2 at the root drops any (stale) v1 entries. */
static int settle_mode(struct cgroup_layout *lay, struct hutch_err *err)
{
	int root_v2 = -1, unified = -1;
	size_t n_v1 = 0;
	for (size_t i = 0; i < lay->n; i++) {
		if (!lay->h[i].v2)
			n_v1++;
		else if (!strcmp(lay->h[i].mnt, lay->root))
			root_v2 = (int)i;
		else
			unified = (int)i;
	}
	if (root_v2 >= 0) {
		struct cg_hier keep = lay->h[root_v2];
		for (size_t i = 0; i < lay->n; i++) {
			if ((int)i == root_v2)
				continue;
			free(lay->h[i].ctrls);
			free(lay->h[i].mnt);
			free(lay->h[i].mnt_root);
			free(lay->h[i].own);
		}
		lay->h[0] = keep;
		lay->n = 1;
		lay->mode = CGROUP_MODE_V2;
		lay->v2_idx = 0;
		return 0;
	}
	if (n_v1 == 0)
		return err_set(err, ENOMEDIUM, "no cgroup hierarchy mounted under '%s'", lay->root);
	lay->mode = unified >= 0 ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
	lay->v2_idx = unified;
	return 0;
}

/* /proc/self/cgroup: "N:ctrls:path" per hierarchy; "0::path" for cgroup2. */
static int parse_self_cgroup(struct cgroup_layout *lay, char *text)
{
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || c2[1] != '/')
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1, *path = c2 + 1;
		for (size_t i = 0; i < lay->n; i++) {
			struct cg_hier *h = &lay->h[i];
			if (h->own || h->v2 != (*ctrls == '\0') ||
			    (!h->v2 && !same_set(h->ctrls, ctrls)))
				continue;
			/* Outside our cgroup namespace the kernel shows "/../.."; such a base
			 * must never be joined with a path (it would climb out of the mount).
			 * "" marks it unknown: relative cgroups paths are then refused. */
			h->own = strdup(path_is_normalized_absolute(path) ? path : "");
			if (!h->own)
				return -ENOMEM;
		}
	}
	for (size_t i = 0; i < lay->n; i++)
		if (!lay->h[i].own && !(lay->h[i].own = strdup("/")))
			return -ENOMEM;
	return 0;
}

int cg_layout_parse(const char *root, const char *mountinfo, const char *self_cgroup,
		    struct cgroup_layout **ret, struct hutch_err *err)
{
	if (!root || !path_is_normalized_absolute(root) || strlen(root) >= CG_MAX_PATH)
		return err_set(err, EINVAL, "cgroup root '%s' is not a normalized absolute path",
			       root ? root : "(null)");
	_cleanup_(cg_layout_freep) struct cgroup_layout *lay = calloc(1, sizeof(*lay));
	_cleanup_free_ char *mi = strdup(mountinfo ? mountinfo : "");
	_cleanup_free_ char *sc = strdup(self_cgroup ? self_cgroup : "");
	if (!lay || !mi || !sc || !(lay->root = strdup(root)))
		return err_set(err, ENOMEM, "cgroup layout");
	lay->v2_idx = -1;
	/* A trailing '/' on root ("/") would make "<root>/unified" odd; normalize once. */
	size_t rl = strlen(lay->root);
	while (rl > 1 && lay->root[rl - 1] == '/')
		lay->root[--rl] = '\0';
	_cleanup_free_ char *unified = path_join(lay->root, "unified");
	if (!unified)
		return err_set(err, ENOMEM, "cgroup layout");
	for (char *line = mi, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		int r = parse_mount_line(lay, line, unified);
		if (r < 0)
			return err_set_errno(err, -r, "cgroup mounts under '%s'", lay->root);
	}
	int r = settle_mode(lay, err);
	if (r < 0)
		return r;
	r = parse_self_cgroup(lay, sc);
	if (r < 0)
		return err_set_errno(err, -r, "own cgroup");
	*ret = TAKE_PTR(lay);
	return 0;
}

int cg_layout_load(const char *root, const char *mountinfo_path, const char *self_cgroup_path,
		   struct cgroup_layout **ret, struct hutch_err *err)
{
	_cleanup_free_ char *mi = NULL, *sc = NULL;
	int r = read_file_at(AT_FDCWD, mountinfo_path, CG_MAX_PROC_FILE, &mi, NULL);
	if (r < 0)
		return err_set_errno(err, -r, "read '%s'", mountinfo_path);
	if (self_cgroup_path) {
		r = read_file_at(AT_FDCWD, self_cgroup_path, CG_MAX_PROC_FILE, &sc, NULL);
		if (r < 0)
			return err_set_errno(err, -r, "read '%s'", self_cgroup_path);
	}
	return cg_layout_parse(root, mi, sc, ret, err);
}

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cgroup_layout *cache[4]; /* a process uses one root; tests may use a few */

int cg_layout_get(const char *root, const struct cgroup_layout **ret, struct hutch_err *err)
{
	if (!root)
		root = "/sys/fs/cgroup";
	int r = 0;
	pthread_mutex_lock(&cache_lock);
	size_t i;
	for (i = 0; i < ARRAY_SIZE(cache) && cache[i]; i++)
		if (!strcmp(cache[i]->root, root))
			break;
	if (i == ARRAY_SIZE(cache)) {
		r = err_set(err, E2BIG, "too many cgroup roots in one process");
	} else if (!cache[i]) {
		r = cg_layout_load(root, "/proc/self/mountinfo", "/proc/self/cgroup", &cache[i],
				   err);
	}
	if (r >= 0)
		*ret = cache[i];
	pthread_mutex_unlock(&cache_lock);
	return r;
}

int cg_layout_find(const struct cgroup_layout *lay, const char *ctrl)
{
	size_t n = strlen(ctrl);
	for (size_t i = 0; i < lay->n; i++) {
		const struct cg_hier *h = &lay->h[i];
		if (h->v2) {
			if (n == 0)
				return (int)i;
			continue;
		}
		for (const char *s = h->ctrls; *s && n;) {
			const char *e = strchrnul(s, ',');
			if ((size_t)(e - s) == n && !strncmp(s, ctrl, n))
				return (int)i;
			s = *e ? e + 1 : e;
		}
	}
	return -1;
}

static bool is_fs(const char *path, unsigned long magic)
{
	struct statfs sfs;
	return statfs(path, &sfs) == 0 && (unsigned long)sfs.f_type == magic;
}

/*
 * By filesystem magic, without reading mountinfo: cgroup2 at the root is v2; cgroup2 at
 * <root>/unified is hybrid; otherwise v1 if any v1 hierarchy is mounted (we look for the
 * usual ones rather than listing the directory).
 */
int cgroup_detect(const char *sysfs_root, enum cgroup_mode *ret, struct hutch_err *err)
{
	if (!sysfs_root)
		sysfs_root = "/sys/fs/cgroup";
	if (is_fs(sysfs_root, CGROUP2_SUPER_MAGIC)) {
		*ret = CGROUP_MODE_V2;
		return 0;
	}
	_cleanup_free_ char *unified = path_join(sysfs_root, "unified");
	if (!unified)
		return -ENOMEM;
	bool has_unified = is_fs(unified, CGROUP2_SUPER_MAGIC);
	static const char *const probes[] = {"memory",	"pids",	  "cpu",   "devices",
					     "freezer", "cpuset", "blkio", "systemd"};
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		_cleanup_free_ char *p = path_join(sysfs_root, probes[i]);
		if (!p)
			return -ENOMEM;
		if (is_fs(p, CGROUP_SUPER_MAGIC)) {
			*ret = has_unified ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
			return 0;
		}
	}
	/* Unusual v1 mount names: fall back to mountinfo. */
	const struct cgroup_layout *lay;
	int r = cg_layout_get(sysfs_root, &lay, err);
	if (r < 0)
		return r;
	*ret = lay->mode;
	return 0;
}

int cgroup_detect_mountinfo(const char *root, const char *mountinfo_path, enum cgroup_mode *ret,
			    struct hutch_err *err)
{
	_cleanup_(cg_layout_freep) struct cgroup_layout *lay = NULL;
	int r = cg_layout_load(root, mountinfo_path, NULL, &lay, err);
	if (r < 0)
		return r;
	*ret = lay->mode;
	return 0;
}

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	switch (mode) {
	case CGROUP_MODE_V1:
		return "v1";
	case CGROUP_MODE_V2:
		return "v2";
	case CGROUP_MODE_HYBRID:
		return "hybrid";
	}
	return "unknown";
}
