/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "macro.h"
#include "path.h"

int mkdir_p(const char *path, mode_t mode)
{
	/* The usual case, on every sandbox start: it is all there already. One syscall. */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return negative_errno();
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return negative_errno();
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return negative_errno();
	return 0;
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	size_t lb = strlen(b);
	char *r = malloc(la + lb + 2);
	if (!r)
		return NULL;
	memcpy(r, a, la);
	size_t o = la;
	if (!(la == 1 && a[0] == '/'))
		r[o++] = '/';
	memcpy(r + o, b, lb + 1);
	return r;
}

bool path_is_normalized_absolute(const char *p)
{
	if (!p || p[0] != '/')
		return false;
	for (const char *s = p; *s;) {
		while (*s == '/')
			s++;
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s = e;
	}
	return true;
}

int open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	return fd < 0 ? negative_errno() : fd;
}

int mkdir_p_in_root(int rootfd, const char *path, mode_t mode)
{
	size_t len = strlen(path);
	_cleanup_free_ char *prefix = calloc(1, len + 2);
	if (!prefix)
		return -ENOMEM;
	for (const char *s = path; *s;) {
		while (*s == '/')
			s++;
		const char *e = strchrnul(s, '/');
		size_t n = (size_t)(e - s);
		if (n == 0)
			break;
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return -EINVAL;
		/* Each parent is resolved afresh from the root, so a symlink planted by the
		 * container stays inside it (RESOLVE_IN_ROOT clamps it to rootfd). */
		_cleanup_close_ int parent = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
		if (parent < 0)
			return parent;
		char name[NAME_MAX + 1];
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, s, n);
		name[n] = '\0';
		if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
			return negative_errno();
		size_t pl = strlen(prefix);
		prefix[pl] = '/';
		memcpy(prefix + pl + 1, s, n);
		prefix[pl + 1 + n] = '\0';
		s = e;
	}
	return open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
}

char *runtime_dir(const char *sub)
{
	char *r = NULL;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;
	if (geteuid() == 0)
		n = asprintf(&r, RUNTIME_DIR_ROOT "/%s", sub);
	else if (xdg && *xdg)
		n = asprintf(&r, "%s/hutch/%s", xdg, sub);
	else
		n = asprintf(&r, "/tmp/hutch-%u/%s", (unsigned)geteuid(), sub);
	return n < 0 ? NULL : r;
}

char *path_absolute(const char *p)
{
	if (p[0] == '/')
		return strdup(p);
	char cwd[PATH_MAX];
	return getcwd(cwd, sizeof(cwd)) ? path_join(cwd, p) : NULL;
}

bool path_is_under(const char *path, const char *dir)
{
	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
