/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the security unit tests: every check that changes the process (seccomp, uid,
 * capabilities, rlimits) runs in a forked child, which reports through its exit status, so
 * the test runner itself keeps its privileges and no filter leaks into other tests.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* In a child: print what failed (to the TAP stream as a comment) and fail. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			dprintf(2, "# %s:%d: check failed: %s (errno %d %s)\n", __FILE__,          \
				__LINE__, #cond, errno, strerror(errno));                          \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/* A raw syscall's result as -errno or its value, so checks read `sc(...) == -EPERM`. */
#define SC(...)                                                                                    \
	({                                                                                         \
		long _r = syscall(__VA_ARGS__);                                                    \
		_r < 0 ? -(long)errno : _r;                                                        \
	})

/* Forks, runs fn(arg) in the child, returns the child's wait status. */
static inline int run_in_child(int (*fn)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static inline int child_exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline int child_signal(int status)
{
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* Sets no_new_privs, as the engine does before loading a filter. */
static inline int set_nnp(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

#define SKIP_UNLESS_ROOT()                                                                         \
	do {                                                                                       \
		if (geteuid() != 0) {                                                              \
			print_message("# skip: needs root\n");                                     \
			skip();                                                                    \
		}                                                                                  \
	} while (0)
