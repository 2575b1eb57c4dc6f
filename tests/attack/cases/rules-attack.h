/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the rules-* attacks: each runs with path rules (set in its .host file) that hide
 * /work/s/key.pem (content starting "TOPSECRET", made by the host) and tries to get at it.
 */
#pragma once
#include "attack.h" /* first: it defines _GNU_SOURCE */

#include <dirent.h>

#define SECRET "TOPSECRET"

/* Harm if fd (open or not) gives any byte of the secret; closes it. */
static inline void check_fd(const char *what, int fd)
{
	if (fd < 0) {
		note("%s: %s", what, strerror(errno));
		return;
	}
	char buf[256] = { 0 };
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0 && strstr(buf, SECRET))
		harm("%s: read the hidden file's content", what);
	note("%s: opened, but read %s", what, n < 0 ? strerror(errno) : "no secret");
}

static inline void try_open(const char *path)
{
	check_fd(path, open(path, O_RDONLY | O_CLOEXEC));
}

/* Harm if the directory lists the name. */
static inline void check_unlisted(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, name) == 0)
			harm("%s lists the hidden '%s'", dir, name);
	closedir(d);
}
