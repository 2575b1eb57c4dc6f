/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by every attack program. An attack runs inside a default sandbox and exits
 *   0  the attack was stopped (the sandbox held),
 *   1  the attack did harm (a finding: the suite fails),
 *   77 the attack does not apply on this machine (a skip, with the reason printed),
 * anything else: the attack could not be carried out as written (the suite fails too, so a
 * broken attack never passes silently).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define ATTACK_HELD 0
#define ATTACK_HARM 1
#define ATTACK_SKIP 77

static inline void atk_msg(const char *tag, const char *fmt, va_list ap)
{
	printf("%s: ", tag);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

/* The attack worked: report and stop. */
static inline __attribute__((noreturn, format(printf, 1, 2))) void harm(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	atk_msg("HARM", fmt, ap);
	va_end(ap);
	exit(ATTACK_HARM);
}

static inline __attribute__((format(printf, 1, 2))) void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	atk_msg("held", fmt, ap);
	va_end(ap);
}

static inline __attribute__((noreturn, format(printf, 1, 2))) void skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	atk_msg("skip", fmt, ap);
	va_end(ap);
	exit(ATTACK_SKIP);
}

/* A syscall that must fail: harm if it returns >= 0, otherwise note its errno. */
#define MUST_FAIL(what, call)                                                                      \
	do {                                                                                       \
		errno = 0;                                                                         \
		long _r = (long)(call);                                                            \
		if (_r >= 0)                                                                       \
			harm("%s succeeded (returned %ld)", what, _r);                             \
		note("%s: %s", what, strerror(errno));                                             \
	} while (0)

/* Reads a whole small file into buf; returns its length or -errno. */
static inline ssize_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = 0;
	ssize_t k;
	while (n + 1 < size && (k = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(fd);
	return (ssize_t)n;
}

/* The effective capability set of this process, from /proc/self/status. */
static inline unsigned long long cap_eff(void)
{
	char buf[8192];
	if (slurp("/proc/self/status", buf, sizeof(buf)) < 0)
		return ~0ULL;
	char *p = strstr(buf, "CapEff:");
	return p ? strtoull(p + 7, NULL, 16) : ~0ULL;
}
