/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening what a path rule mounts or serves, on the host, as root — a trust boundary.
 *
 * The workspace and --mount directories are written by sandboxes: a workload can replace
 * /work/data by a symlink to /root before the next run, and a rule on /work/data must not
 * then put the host's /root into the sandbox. So:
 *   beneath a bind region's source (the workspace, a --mount), no symlink is followed at
 *     all (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): a rule naming one fails;
 *   in the host root, a symlink is followed only if it and the directory holding it are
 *     root's and that directory is writable by nobody else (the system's own links, such
 *     as /bin -> usr/bin); anything else fails.
 * The result is an O_PATH fd, and that fd (as /proc/self/fd/N) is what gets mounted or
 * served: a swap after this check changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "path.h"
#include "sandbox/rules-plan.h"

#define MAX_LINKS 40

static int beneath(const char *base, const char *rel, struct hutch_err *err)
{
	_cleanup_close_ int b = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (b < 0)
		return err_set_errno(err, errno, "open '%s'", base);
	if (!*rel)
		return TAKE_FD(b);
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, b, rel, &how, sizeof(how));
	if (fd < 0 && errno == ELOOP)
		return err_set(err, ELOOP, "'%s/%s' has a symlink in it: hutch follows no symlink inside "
			       "the workspace or a mount (a sandbox could have made it)", base, rel);
	return fd < 0 ? err_set_errno(err, errno, "open '%s/%s'", base, rel) : fd;
}

/* A symlink in dirfd named name is the system's own: it and its directory are root's, and
 * nobody else can write the directory. */
static bool trusted_link(int dirfd, const char *name)
{
	struct stat d, l;
	return fstat(dirfd, &d) == 0 && d.st_uid == 0 && !(d.st_mode & 022) &&
	       fstatat(dirfd, name, &l, AT_SYMLINK_NOFOLLOW) == 0 && l.st_uid == 0;
}

/* Appends "/comp" to a symlink-free absolute path, or drops its last component for "..". */
static int walk_path(char *real, size_t size, const char *comp)
{
	if (strcmp(comp, "..") == 0) {
		char *slash = strrchr(real, '/');
		if (slash)
			*(slash == real ? slash + 1 : slash) = '\0';
		return 0;
	}
	size_t n = strlen(real);
	int w = snprintf(real + n, size - n, "%s%s", n > 1 ? "/" : "", comp);
	return w < 0 || (size_t)w >= size - n ? -ENAMETOOLONG : 0;
}

/* Resolves an absolute host path component by component (see the head comment). */
static int in_host_root(const char *path, struct hutch_err *err)
{
	char todo[PATH_MAX * 2], real[PATH_MAX] = "/";
	if (snprintf(todo, sizeof(todo), "%s", path) >= (int)sizeof(todo))
		return err_set(err, ENAMETOOLONG, "'%s' is too long", path);
	_cleanup_close_ int cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int links = 0;
	char *p = todo;
	while (cur >= 0) {
		while (*p == '/')
			p++;
		if (!*p)
			return TAKE_FD(cur);
		char comp[NAME_MAX + 1];
		size_t len = strcspn(p, "/");
		if (len > NAME_MAX)
			return err_set(err, ENAMETOOLONG, "'%s': a name is too long", path);
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			/* real has no symlink in it: going up is going up its string */
			walk_path(real, sizeof(real), comp);
			safe_close(cur);
			cur = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
			continue;
		}
		struct stat st;
		if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return err_set_errno(err, errno, "'%s'", path);
		if (S_ISLNK(st.st_mode)) {
			if (!trusted_link(cur, comp) || ++links > MAX_LINKS)
				return err_set(err, ELOOP, "'%s': '%s/%s' is a symlink that is not "
					       "the system's own: rules do not follow it", path,
					       strcmp(real, "/") ? real : "", comp);
			char target[PATH_MAX], rest[PATH_MAX * 2];
			ssize_t l = readlinkat(cur, comp, target, sizeof(target) - 1);
			if (l < 0)
				return err_set_errno(err, errno, "'%s'", path);
			target[l] = '\0';
			/* Resolve target then the rest, from / or from real. */
			if (snprintf(rest, sizeof(rest), "%s%s%s", target[0] == '/' ? "" : real,
				     target[0] == '/' ? "" : "/", target) >= (int)sizeof(rest) ||
			    strlen(rest) + strlen(p) + 1 >= sizeof(todo))
				return err_set(err, ENAMETOOLONG, "'%s' is too long", path);
			strcat(rest, p);
			strcpy(todo, rest);
			p = todo;
			strcpy(real, "/");
			safe_close(cur);
			cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
			continue;
		}
		int next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return err_set_errno(err, errno, "'%s'", path);
		safe_close(cur);
		cur = next;
		if (walk_path(real, sizeof(real), comp) < 0)
			return err_set(err, ENAMETOOLONG, "'%s' is too long", path);
	}
	return err_set_errno(err, errno, "'%s'", path);
}

int rules_open_source(const char *base, const char *rel, bool host_root, struct hutch_err *err)
{
	if (!host_root)
		return beneath(base, rel, err);
	char full[PATH_MAX];
	if (snprintf(full, sizeof(full), "/%s", rel) >= (int)sizeof(full))
		return err_set(err, ENAMETOOLONG, "'/%s' is too long", rel);
	return in_host_root(full, err);
}
