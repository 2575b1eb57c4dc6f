/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroups for one container, on v1, v2 or hybrid hosts (detected at run time, never assumed).
 *
 * A struct cgroup names the container's cgroup in every hierarchy the host has: on v2 one
 * directory; on v1 one per controller hierarchy (cpu, memory, pids, ...); on hybrid the v1
 * ones plus the (usually empty) unified tree. The sysfs root is a parameter so the logic can
 * be unit-tested against a fake tree in a temp dir.
 *
 * Path rule (as runc): cgroupsPath absolute ("/a/b") is taken relative to each hierarchy's
 * root; relative ("a/b") is taken relative to the runtime's own cgroup; absent means
 * "/hutch/<container-id>". "slice:prefix:name" (systemd form) is mapped to
 * "/<slice>/<prefix>-<name>.scope" since hutch drives cgroupfs directly.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "hutch/hutch.h"
#include "spec/spec.h"

enum cgroup_mode {
	CGROUP_MODE_V1,     /* only v1 hierarchies */
	CGROUP_MODE_V2,     /* unified at the root */
	CGROUP_MODE_HYBRID, /* v1 controllers + cgroup2 at <root>/unified */
};

struct cgroup;

struct cgroup_stats {
	uint64_t memory_usage;     /* bytes */
	uint64_t memory_limit;     /* bytes; UINT64_MAX = none */
	uint64_t memory_max_usage; /* bytes; 0 if unknown */
	uint64_t cpu_usage_ns;     /* total */
	uint64_t cpu_user_ns;
	uint64_t cpu_system_ns;
	uint64_t pids_current;
	uint64_t pids_limit; /* UINT64_MAX = none */
	uint64_t oom_kills;
};

/* Detects the host's layout under sysfs_root ("/sys/fs/cgroup" in production). */
int cgroup_detect(const char *sysfs_root, enum cgroup_mode *ret, struct hutch_err *err);
const char *cgroup_mode_name(enum cgroup_mode mode);

/*
 * Creates the container's cgroup in every hierarchy and applies res (may be NULL).
 * On failure everything it made is removed again. sysfs_root NULL means "/sys/fs/cgroup".
 */
int cgroup_create(const char *sysfs_root, const char *cgroups_path, const char *container_id,
		  const struct spec_resources *res, struct cgroup **ret, struct hutch_err *err);
/*
 * The same, in only the v1 hierarchies that hold one of `controllers` (comma-separated, e.g.
 * "memory,pids,cpu,cpuacct,devices"; NULL: all). Each hierarchy costs a mkdir at create, an
 * rmdir at delete and a join at start; a container that needs no limit, stat or freeze from
 * the others (blkio, cpuset, freezer, name=systemd, a hybrid host's empty cgroup2 tree) is
 * faster without them. On a v2 host there is one directory either way.
 */
/* The spec annotation with which a container names the controllers it needs (for the
 * engine's cgroup_create_some; hutch's sandboxes set it, OCI bundles normally do not). */
#define CGROUP_CONTROLLERS_ANNOTATION "run.hutch.cgroup.controllers"
int cgroup_create_some(const char *sysfs_root, const char *cgroups_path,
		       const char *container_id, const struct spec_resources *res,
		       const char *controllers, struct cgroup **ret, struct hutch_err *err);
/* Reopens an existing container cgroup (later CLI calls: kill, pause, ps, delete): the
 * hierarchies where it exists. */
int cgroup_open(const char *sysfs_root, const char *cgroups_path, const char *container_id,
		struct cgroup **ret, struct hutch_err *err);
void cgroup_free(struct cgroup *cg);
static inline void cgroup_freep(struct cgroup **cg)
{
	if (*cg)
		cgroup_free(*cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(cgroup_freep)))

/* Moves pid into the container's cgroup in every hierarchy. */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct hutch_err *err);
/*
 * Joining without the global cost. Moving another process into a cgroup takes the kernel's
 * threadgroup lock for writing, whose RCU grace period costs ~10 ms per container start. A
 * single-threaded process moving *itself* by writing "0" to a v1 hierarchy's "tasks" file
 * skips that lock, and a clone3(CLONE_INTO_CGROUP) child is born in its cgroup2 cgroup.
 * So: the runtime opens the v1 "tasks" files (permission is checked against the opener:
 * the child may already be in a user namespace), the child writes "0" to each, and the v2
 * hierarchy is reached with CLONE_INTO_CGROUP (cgroup_unified_fd) — or cgroup_enter_v2.
 * prepare fills fds[] (at most max) with one fd per v1 hierarchy; the caller closes them.
 */
int cgroup_self_join_prepare(struct cgroup *cg, int *fds, size_t max, size_t *ret_n,
			     struct hutch_err *err);
/* In the child: moves the calling (single-threaded) process in through those fds. */
int cgroup_self_join(const int *fds, size_t n);
/* Moves pid into the cgroup2 hierarchy only (when CLONE_INTO_CGROUP was not available). */
int cgroup_enter_v2(struct cgroup *cg, pid_t pid, struct hutch_err *err);

/* Applies (or updates, for `update`) resource limits. */
int cgroup_apply(struct cgroup *cg, const struct spec_resources *res, struct hutch_err *err);
/* Freezes or thaws every process (v1 freezer / v2 cgroup.freeze); waits until done. */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct hutch_err *err);
/* Reports whether the cgroup is frozen. */
int cgroup_is_frozen(struct cgroup *cg, bool *ret);
/* Lists every pid in the container's cgroup (recursively); *ret is malloc'd. */
int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n);
/* Sends sig to every process in the cgroup (thawing first if frozen and sig is SIGKILL). */
int cgroup_kill_all(struct cgroup *cg, int sig);
/* Reads usage counters. */
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret, struct hutch_err *err);
/*
 * Removes the container's cgroup directories (children first). Processes still inside are
 * killed first; retries briefly while the kernel still reports the cgroup busy.
 */
int cgroup_destroy(struct cgroup *cg, struct hutch_err *err);

/*
 * For a spec mount of type "cgroup" at dest (absolute, inside the container): makes the
 * container's own cgroup visible there, read-only if asked. Called in the container's mount
 * namespace before pivot_root, with rootfd an O_PATH fd of the rootfs. On v2 this mounts
 * cgroup2 (the caller has entered a cgroup namespace); on v1/hybrid a tmpfs with one bind
 * mount per hierarchy of the container's directory.
 */
int cgroup_mount_in_rootfs(struct cgroup *cg, int rootfd, const char *dest, bool readonly,
			   struct hutch_err *err);

/* The directory of this container in the named controller's hierarchy ("memory", "" for v2). */
const char *cgroup_path_for(struct cgroup *cg, const char *controller);

/* The host's layout this cgroup was made on. */
enum cgroup_mode cgroup_get_mode(const struct cgroup *cg);
/*
 * An O_PATH fd of the container's cgroup2 directory (owned by cg; -1 if the host has none),
 * for clone3(CLONE_INTO_CGROUP). On CGROUP_MODE_V2 a child cloned into it needs no
 * cgroup_enter; on hybrid the v1 hierarchies still do.
 */
int cgroup_unified_fd(const struct cgroup *cg);
