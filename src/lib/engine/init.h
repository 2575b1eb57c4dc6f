/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the container child (the future init) needs, shared by create.c and init.c. */
#pragma once

#include <stdbool.h>

#include "engine/container.h"
#include "spec/spec.h"

struct cgroup;
struct seccomp_program;

struct init_ctx {
	const char *id;
	const char *bundle;
	const struct spec *spec;
	const struct create_opts *opts;
	const char *rootfs;
	struct cgroup *cgroup;
	const struct seccomp_program *seccomp;
	int sync_fd;  /* our end of the sync socketpair */
	int start_fd; /* listening socket `start` connects to (-1 with opts->start) */
	int clone_flags; /* namespaces the clone already made */
	int new_flags;   /* namespaces to create */
	int join_flags;  /* namespaces to join by path (pid is joined by the parent) */
	const int *source_fds; /* see struct rootfs_ctx */
	int overlay_lower_fd;  /* see struct rootfs_ctx */
	long userns_owner;     /* USERNS_OWNER_ANNOTATION's uid, or -1 */
	const int *cgroup_join_fds; /* v1 "tasks" files to write "0" to (cgroup.h) */
	size_t n_cgroup_join_fds;
};

/* The container child: sets everything up, waits for start (unless opts->start), execs.
 * Never returns. */
_Noreturn void init_main(struct init_ctx *c);

/* Finds the executable for argv0 like execvp, using PATH from env. Heap path or -errno. */
int find_executable(const char *argv0, char *const *env, char **ret);

/*
 * Opens a pty in the current /dev (the container's devpts), sends the master over sync_fd as
 * SYNC_PTY, and makes the peer our controlling terminal and stdio. bind_console also shows it
 * as /dev/console.
 */
int console_setup(int sync_fd, const struct spec_process *p, bool bind_console,
		  struct hutch_err *err);

/*
 * The last steps before execve, shared by init and exec: seccomp and identity in the order
 * no_new_privs allows, then exec. With die_with_parent the process gets SIGKILL when its
 * parent dies, and does not exec at all when runtime_sock (the sync socket, or -1) shows
 * the runtime already gone. Returns only on failure.
 */
int exec_process(const struct spec_process *p, const struct seccomp_program *seccomp,
		 const char *exe, bool die_with_parent, int runtime_sock, struct hutch_err *err);

/*
 * Ends a process that exec_process() may have put under the container's seccomp filter,
 * which can refuse exit_group and exit too (a profile with defaultAction ERRNO): musl's
 * _exit() would retry exit for ever at full CPU. A trap instruction then ends it with SIGILL,
 * which no filter can refuse; exec_process() made it non-dumpable first, so no core is written.
 */
_Noreturn void exit_after_exec_failure(int code);

/*
 * Process setup after the filesystem view is final, shared by init and exec: cwd, rlimits,
 * oom_score_adj, the executable looked up, and with no_new_privs the identity applied and
 * no_new_privs set. Marks every fd from 3 + preserve_fds on close-on-exec.
 */
int process_prepare(const struct spec_process *p, unsigned preserve_fds, char **ret_exe,
		    struct hutch_err *err);
