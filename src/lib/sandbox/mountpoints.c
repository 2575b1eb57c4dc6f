/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "sandbox/mountpoints.h"
#include "strv.h"

static const struct spec_mount *workspace_mount(const struct spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i].destination, "/work") == 0 && s->mounts[i].source)
			return &s->mounts[i];
	return NULL;
}

/* Adds every prefix of rel from the first one missing under ws (once each). */
static int add_missing(const char *ws, const char *rel, char ***paths)
{
	_cleanup_free_ char *host = malloc(strlen(ws) + strlen(rel) + 2);
	if (!host)
		return -ENOMEM;
	bool missing = false;
	for (const char *p = rel;; p++) {
		if (*p != '/' && *p)
			continue;
		size_t n = (size_t)(p - rel);
		sprintf(host, "%s/%.*s", ws, (int)n, rel);
		struct stat st;
		missing = missing || (lstat(host, &st) < 0 && errno == ENOENT);
		if (missing && !strv_contains(*paths, host + strlen(ws) + 1)) {
			int r = strv_push(paths, host + strlen(ws) + 1);
			if (r < 0)
				return r;
		}
		if (!*p)
			return 0;
	}
}

static int deepest_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

int sandbox_mountpoints_plan(const struct spec *s, char **ret_ws, char ***ret_paths)
{
	*ret_ws = NULL;
	*ret_paths = NULL;
	const struct spec_mount *ws = workspace_mount(s);
	if (!ws)
		return 0;
	_cleanup_strv_ char **paths = NULL;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const char *d = s->mounts[i].destination;
		if (strncmp(d, "/work/", 6) != 0 || !d[6])
			continue;
		int r = add_missing(ws->source, d + 6, &paths);
		if (r < 0)
			return r;
	}
	if (!paths)
		return 0;
	qsort(paths, strv_length(paths), sizeof(char *), deepest_first);
	if (!(*ret_ws = strdup(ws->source)))
		return -ENOMEM;
	*ret_paths = TAKE_PTR(paths);
	return 0;
}

/* Opens the parent directory of rel under ws, following no symlink; *ret_last: its name. */
static int open_parent(const char *ws, const char *rel, const char **ret_last)
{
	int fd = open(ws, O_PATH | O_DIRECTORY | O_CLOEXEC);
	const char *p = rel, *slash;
	while (fd >= 0 && (slash = strchr(p, '/'))) {
		char comp[NAME_MAX + 1];
		size_t n = (size_t)(slash - p);
		if (n == 0 || n > NAME_MAX) {
			close(fd);
			return -EINVAL;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*ret_last = p;
	return fd < 0 ? -errno : fd;
}

void sandbox_mountpoints_remove(const char *ws, char *const *paths)
{
	for (size_t i = 0; ws && paths && paths[i]; i++) {
		const char *last;
		_cleanup_close_ int dfd = open_parent(ws, paths[i], &last);
		struct stat st;
		if (dfd < 0 || fstatat(dfd, last, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			unlinkat(dfd, last, AT_REMOVEDIR); /* fails, as it should, if not empty */
		else if (S_ISREG(st.st_mode) && st.st_size == 0)
			unlinkat(dfd, last, 0);
	}
}
