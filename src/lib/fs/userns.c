/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A user namespace made only to carry id maps for MOUNT_ATTR_IDMAP.
 *
 * A child is cloned straight into a new user namespace and waits; we write its
 * uid_map/gid_map (as its parent we may, within the ids our own namespace maps), keep an fd
 * of /proc/<pid>/ns/user and kill it. Host ids in the maps are therefore read in the
 * caller's user namespace. The child shares our memory (CLONE_VM): it is only there to hold
 * the namespace, and copying our page tables for it (a plain fork) cost ~0.2 ms of every
 * sandbox start with an idmapped workspace.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "fs-internal.h"

#define USERNS_MAX_MAP_LINES 340 /* the kernel's own limit per map */

static int write_map(pid_t pid, const char *file, const struct spec_id_map *m, size_t n,
		     struct hutch_err *err)
{
	if (n > USERNS_MAX_MAP_LINES)
		return err_set(err, E2BIG, "idmap: more than %d %s entries", USERNS_MAX_MAP_LINES,
			       file);
	/* 3 numbers of at most 10 digits, 2 spaces and a newline per line. */
	static char buf[USERNS_MAX_MAP_LINES * 34 + 1];
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
					m[i].container_id, m[i].host_id, m[i].size);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "idmap: open '%s'", path);
	/* The kernel takes a map in one write or not at all. */
	if (write(fd, buf, len) != (ssize_t)len)
		return err_set_errno(err, errno, "idmap: write '%s'", path);
	return 0;
}

/* The child: with every signal blocked it never returns from pause(), so it touches none of
 * the memory it shares with us (not even errno), until SIGKILL. */
static int hold_namespace(void *unused)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (;;)
		pause();
	return 0;
}

#define HOLDER_STACK_SIZE (64 * 1024)

int fs_userns_fd(const struct spec_id_map *uid, size_t n_uid, const struct spec_id_map *gid,
		 size_t n_gid, struct hutch_err *err)
{
	_cleanup_free_ char *stack = malloc(HOLDER_STACK_SIZE);
	if (!stack)
		return err_set(err, ENOMEM, "idmap: out of memory");
	/* Born in a new user namespace: no second round trip needed. The stack grows down. */
	pid_t pid = clone(hold_namespace, stack + HOLDER_STACK_SIZE, CLONE_VM | CLONE_NEWUSER | SIGCHLD,
			  NULL);
	if (pid < 0)
		return err_set_errno(err, errno, "idmap: clone user namespace");
	/* Killed and reaped on every way out, before its stack is freed. */
	_cleanup_pid_ _unused_ pid_t child = pid;
	int r = write_map(pid, "uid_map", uid, n_uid, err);
	if (r == 0)
		r = write_map(pid, "gid_map", gid, n_gid, err);
	if (r < 0)
		return r;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "idmap: open '%s'", path);
	return fd;
}
