/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Namespaces: names, joining by path, and user namespace id maps. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "hutch/hutch.h"
#include "spec/spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/*
 * A spec annotation (hutch's own, for sandboxes): the host uid that creates the container's
 * user namespace. The kernel charges per-user counts (inotify instances, user namespaces,
 * ...) to a user namespace's owner all the way up: created by root, every container would
 * draw from (and could exhaust) root's. Needs a new user namespace and the runtime as root.
 */
#define USERNS_OWNER_ANNOTATION "run.hutch.userns.owner"

/*
 * A spec annotation (hutch's own, for sandboxes): "up" brings the loopback interface up in a
 * network namespace the container creates, as its only network. OCI runtimes leave that to
 * the network setup (CNI); a sandbox has none, and with lo down even 127.0.0.1 is unreachable.
 */
#define LOOPBACK_ANNOTATION "run.hutch.network.loopback"

/* Brings "lo" up in the current network namespace (needs CAP_NET_ADMIN over it). */
int ns_loopback_up(struct hutch_err *err);

/* The /proc/<pid>/ns/<name> name of a CLONE_NEW* flag ("mnt", "net", ...). */
const char *ns_proc_name(int type);
/* All namespace flags in the order they must be joined (user first, mount late). */
extern const int ns_join_order[8];

/* Opens path and setns()es into it, checking it is a namespace of the expected type. */
int ns_join_path(const char *path, int type, struct hutch_err *err);

/* CLONE_NEW* flags of the namespaces the spec asks to create (not join). */
int ns_new_flags(const struct spec *s);
/* CLONE_NEW* flags of the namespaces the spec asks to join by path. */
int ns_join_flags(const struct spec *s);

/*
 * Writes the uid and gid maps of a child in a new user namespace. As root: straight into
 * /proc/<pid>/{uid_map,gid_map}. Unprivileged: a single mapping of our own id is written
 * directly (after "deny" to setgroups, as the kernel requires); anything else goes through
 * the setuid helpers newuidmap/newgidmap.
 */
int idmap_write(pid_t pid, const struct spec *s, struct hutch_err *err);

/*
 * Forks with namespace flags (clone3 with a zero stack has fork's semantics; clone is the
 * fallback). cgroup_fd >= 0 asks for CLONE_INTO_CGROUP; *ret_in_cgroup says whether the
 * child was born in that cgroup (older kernels: join it yourself).
 */
pid_t clone_into(int flags, int cgroup_fd, bool *ret_in_cgroup);

/*
 * The identity the calling thread takes on for the moment of a clone that makes a user
 * namespace owned by another uid (USERNS_OWNER_ANNOTATION): the kernel makes a new user
 * namespace's owner the creator's effective ids. Raw syscalls, so only this thread changes
 * (libc's would change every thread). Real and effective ids become the owner's and the
 * supplementary groups go; the saved ids stay root's, which is what lets the thread return.
 */
struct thread_identity {
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	gid_t *groups;
	int n_groups; /* -1: nothing saved */
	int dumpable;
};
int thread_identity_become(uid_t owner, struct thread_identity *saved, struct hutch_err *err);
/*
 * Gives the saved identity back, or -errno: the thread is then left with less than it had
 * (the owner's ids, no effective capabilities), never more, and the caller must fail.
 */
int thread_identity_restore(struct thread_identity *saved);
