/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disk reserve guard (`--reserve BYTES[,INODES]:PATH`): keeps at least BYTES (and INODES
 * inodes) free on the file system holding PATH. A sandbox's writable host directories (the
 * workspace, rw mounts) are the host's own disk; nothing in the kernel bounds what one sandbox
 * adds there short of a project quota, which most file systems are not made with. So the agent
 * watches free space itself, and when it falls below the reserve it kills every process in the
 * sandbox and refuses to start new ones until space is back above it.
 *
 * Polling is adaptive: the next look comes after the time a writer at 8 GB/s (or making a
 * million files a second) would need to eat the headroom above the reserve, at most a second
 * and at least GUARD_MIN_NS apart when close, so a fast writer overshoots the reserve by about
 * what it writes in a millisecond or two (a shell making empty files: a few hundred inodes;
 * at 2 ms it was up to 500 on a busy machine, half of a small disk's inode reserve). A sandbox
 * where nothing runs cannot write, so it is not watched at all (no wakeups): the first process
 * it starts makes the guard look at once, and spawning checks the reserve itself. What could
 * allocate faster than any write, fallocate(), is refused by the default seccomp profile (see
 * security/default-profile.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "agent.h"
#include "macro.h"

#define GUARD_MAX 16
#define GUARD_RATE_BYTES_PER_NS 8ull    /* 8 GB/s: page-cache write speed, the worst case */
#define GUARD_NS_PER_INODE 1000ull       /* 1M new files/s */
#define GUARD_MIN_NS 1000000ull         /* 1 ms (the loop rounds up to whole ms: 1-2 ms) */
#define GUARD_MAX_NS 1000000000ull      /* 1 s */

struct guard {
	int fd; /* O_PATH of the watched directory: fstatfs() needs nothing more */
	char *path;
	uint64_t reserve, reserve_inodes;
	uint64_t next_ns;
	uint64_t free, free_inodes; /* at the last look */
	bool below;
	bool idle; /* nothing ran at the last look: no timer until something does */
};

static struct guard guards[GUARD_MAX];
static size_t n_guards;

int guard_add(const char *spec)
{
	char *end;
	errno = 0;
	unsigned long long bytes = strtoull(spec, &end, 10), inodes = 0;
	if (!errno && end != spec && *end == ',') {
		const char *p = end + 1;
		inodes = strtoull(p, &end, 10);
		if (end == p)
			return -EINVAL;
	}
	if (errno || end == spec || *end != ':' || end[1] != '/' || spec[0] == '-')
		return -EINVAL;
	if (n_guards >= GUARD_MAX)
		return -E2BIG;
	const char *path = end + 1;
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char *copy = strdup(path);
	if (!copy) {
		close(fd);
		return -ENOMEM;
	}
	guards[n_guards++] = (struct guard){
		.fd = fd, .path = copy, .reserve = bytes, .reserve_inodes = inodes
	};
	return 0;
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

static int look(struct guard *g)
{
	struct statfs st;
	if (fstatfs(g->fd, &st) < 0)
		return -errno;
	g->free = (uint64_t)st.f_bavail * (uint64_t)(st.f_frsize ? st.f_frsize : st.f_bsize);
	/* A file system without an inode count (f_files 0) has no inode limit to reach. */
	g->free_inodes = st.f_files ? (uint64_t)st.f_ffree : UINT64_MAX;
	return 0;
}

static bool is_below(const struct guard *g)
{
	return g->free < g->reserve || g->free_inodes < g->reserve_inodes;
}

static uint64_t next_look_ns(const struct guard *g)
{
	if (is_below(g))
		return GUARD_MIN_NS;
	uint64_t t = (g->free - g->reserve) / GUARD_RATE_BYTES_PER_NS;
	uint64_t ti = g->free_inodes - g->reserve_inodes;
	ti = ti > GUARD_MAX_NS / GUARD_NS_PER_INODE ? GUARD_MAX_NS : ti * GUARD_NS_PER_INODE;
	t = MIN(t, ti);
	return t < GUARD_MIN_NS ? GUARD_MIN_NS : t > GUARD_MAX_NS ? GUARD_MAX_NS : t;
}

/* "12.0 MiB free, below the reserve of 25.6 MiB" or the same in inodes. */
static void describe(const struct guard *g, char *buf, size_t len)
{
	if (g->free < g->reserve)
		snprintf(buf, len, "%.1f MiB free, below the reserve of %.1f MiB", mib(g->free),
			 mib(g->reserve));
	else
		snprintf(buf, len, "%" PRIu64 " inodes free, below the reserve of %" PRIu64,
			 g->free_inodes, g->reserve_inodes);
}

static void trip(struct guard *g)
{
	if (!g->below) {
		char why[128];
		describe(g, why, sizeof(why));
		fprintf(stderr, "hutch-agent: '%s': %s: killing every process\n", g->path, why);
	}
	for (struct proc *p = agent.procs; p; p = p->next)
		if (p->running)
			p->reserve_killed = true;
	agent_kill_everything();
}

void guards_timers(uint64_t now, uint64_t *next)
{
	for (size_t i = 0; i < n_guards; i++) {
		struct guard *g = &guards[i];
		if (g->idle) {
			if (!agent_any_running())
				continue;
			g->idle = false;
			g->next_ns = now; /* something started: look now */
		}
		if (now < g->next_ns) {
			*next = MIN(*next, g->next_ns);
			continue;
		}
		if (look(g) < 0) {
			g->next_ns = now + GUARD_MAX_NS;
			*next = MIN(*next, g->next_ns);
			continue;
		}
		bool below = is_below(g);
		/* While below, keep killing: nothing may run until space is back. */
		if (below && (!g->below || agent_has_children()))
			trip(g);
		g->below = below;
		/* Nothing left to write (orphans of finished processes count: they write too):
		 * no more looks until something starts, which spawning checks first. */
		if (!agent_any_running() && !agent_has_children()) {
			g->idle = true;
			continue;
		}
		g->next_ns = now + next_look_ns(g);
		*next = MIN(*next, g->next_ns);
	}
}

int guard_check(char *msg, size_t len)
{
	for (size_t i = 0; i < n_guards; i++) {
		struct guard *g = &guards[i];
		if (look(g) < 0 || !is_below(g))
			continue;
		char why[128];
		describe(g, why, sizeof(why));
		snprintf(msg, len,
			 "'%s' has %s kept there (--disk-reserve): nothing starts until space is "
			 "freed",
			 g->path, why);
		return -ENOSPC;
	}
	return 0;
}
