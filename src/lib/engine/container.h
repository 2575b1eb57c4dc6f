/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's container lifecycle, as the runc command line needs it. Every function takes
 * the state root (--root) and a container id, and reports failures through err with the
 * container named. Nothing here prints; hutch-oci's commands are thin wrappers.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "engine/state.h"
#include "hutch/hutch.h"
#include "spec/spec.h"

struct create_opts {
	const char *bundle;         /* absolute path of the bundle directory */
	const char *console_socket; /* receives the pty master when process.terminal (or NULL) */
	const char *pid_file;       /* written with the init pid (or NULL) */
	bool no_pivot;
	unsigned preserve_fds; /* fds 3..3+n-1 are passed to the container */
	bool keep_pty;         /* terminal without console socket: hand the master to the caller */
	const char *sysfs_cgroup; /* NULL = /sys/fs/cgroup (tests point elsewhere) */
	const struct spec *spec;  /* if set, used instead of <bundle>/config.json (borrowed) */
	/* Unprivileged without delegated cgroups: run without limits instead of failing
	 * (ret->no_cgroup tells the caller, who should warn). */
	bool cgroup_best_effort;
	/* The container's init gets SIGKILL when the creating thread dies (one-shot sandboxes:
	 * a killed `hutch run` must not leave its sandbox running). */
	bool die_with_parent;
	/* Create and start in one step: the init execs its process as soon as it is set up,
	 * without waiting for container_start (there is no start socket), while we write the
	 * state; create returns once the exec happened (poststart hooks run), or fails and
	 * takes everything back. One round trip and one state read less than create + start. */
	bool start;
};

struct created {
	pid_t pid;      /* init pid in our pid namespace */
	int pty_master; /* with keep_pty, else -1 */
	bool is_child;  /* pid is our own child (we can waitpid it) */
	bool no_cgroup; /* cgroup_best_effort applied: no limits are enforced */
};

/* Creates a container from a bundle and leaves its init waiting for start (or, with
 * o->start, running its process). */
int container_create(const char *root, const char *id, const struct create_opts *o,
		     struct created *ret, struct hutch_err *err);
/* Releases a created container's init to exec its process; runs poststart hooks. */
int container_start(const char *root, const char *id, struct hutch_err *err);
/* Runs the poststart hooks of a container that was just started; on failure kills its init
 * (as runc does, and containerd expects) and returns -EIO. */
int container_poststart(const struct spec *s, const struct container_state *st,
			struct hutch_err *err);
/* Loads the state and its live status. */
int container_load(const char *root, const char *id, struct container_state *ret,
		   enum container_status *ret_status, struct hutch_err *err);
/* Sends sig to the init (or with all, to every process in the container's cgroup). */
int container_kill(const char *root, const char *id, int sig, bool all, struct hutch_err *err);
/*
 * Deletes a container: refuses a live one unless force (then kills it), waits for its
 * processes to die, runs poststop hooks, removes its cgroups and state.
 */
int container_delete(const char *root, const char *id, bool force, struct hutch_err *err);
int container_pause(const char *root, const char *id, bool pause, struct hutch_err *err);
/* Pids of every process of the container (host pid namespace), malloc'd. */
int container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n,
		   struct hutch_err *err);
/* Applies new resource limits. */
int container_update(const char *root, const char *id, const struct spec_resources *res,
		     struct hutch_err *err);
/* Ids of every container under root (sorted), as a NULL-terminated strv. */
int container_list(const char *root, char ***ret, struct hutch_err *err);

struct exec_opts {
	const struct spec_process *process; /* what to run (already merged with CLI flags) */
	const char *console_socket;
	const char *pid_file;
	unsigned preserve_fds;
	bool keep_pty;
};

/* Starts a new process inside a running container's namespaces and cgroup. */
int container_exec(const char *root, const char *id, const struct exec_opts *o,
		   struct created *ret, struct hutch_err *err);

/* Waits for a pid that is our child; returns the shell-style exit code (128+N for a signal). */
int wait_exit_code(pid_t pid);

struct cgroup_stats;
/* Resource usage from the container's cgroup. */
int container_stats(const char *root, const char *id, struct cgroup_stats *ret,
		    enum container_status *ret_status, struct hutch_err *err);
