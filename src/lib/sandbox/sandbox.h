/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sandbox layer: friendly options with secure defaults, turned into an OCI spec that the
 * engine runs with hutch-agent as PID 1.
 *
 * Defaults (each visible and changeable by an option):
 *   every namespace (user, mount, pid, ipc, uts, net, cgroup); root = the host's "/" read-only
 *   (or --rootfs DIR, copy-on-write: writes go to a tmpfs and are thrown away, or are kept
 *   in --rootfs-changes DIR); /work = the workspace (current directory) read-write; tmpfs /tmp
 *   (256 MiB); a minimal /dev; /proc with the usual masked paths and read-only /proc/sys;
 *   /run and /var/run hidden under empty tmpfs (host sockets live there); loopback-only
 *   network; no capabilities; no_new_privs; hutch's default seccomp profile; memory 1 GiB,
 *   512 pids, 1 CPU; environment filtered (allowlist, then a blocklist of secret-looking
 *   names that wins).
 *
 * Identity: the sandbox has its own user namespace. As an unprivileged caller, the sandbox
 * user (uid 0 by default) is mapped to the caller. As root, it is mapped to an otherwise
 * unused host uid (SANDBOX_HOST_UID), so host files owned by root stay out of reach even
 * though the host root is visible; the workspace is an idmapped mount that shows the
 * caller's files as the sandbox user's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hutch/hutch.h"
#include "spec/spec.h"

#define SANDBOX_HOST_UID 2147418112u /* 0x7fff0000: no account uses it */
/* Owners of sandboxes' user namespaces (as root): base + 1 .. base + 0xfffe, at random. */
#define SANDBOX_OWNER_UID_BASE 2147352576u /* 0x7ffe0000 */
#define SANDBOX_DEFAULT_MEMORY (1LL << 30)
#define SANDBOX_DEFAULT_PIDS 512
#define SANDBOX_DEFAULT_CPUS 1.0
#define SANDBOX_DEFAULT_HOSTNAME "hutch"
#define SANDBOX_DEFAULT_ROOTFS_SIZE "1g"
#define SANDBOX_AGENT_PATH "/dev/.hutch-agent"

struct sandbox_opts {
	const char *rootfs;    /* NULL: the host's "/" */
	const char *rootfs_size;    /* --rootfs: size of the tmpfs holding its writes (default 1g) */
	const char *rootfs_changes; /* --rootfs: keep its writes in this host dir instead */
	const char *workspace; /* NULL: current directory; "" none */
	char **mounts;         /* "SRC:DST[:ro|rw]" */
	char **tmpfs;          /* "DST[:size=64m,mode=1777]" */
	bool read_only;        /* the workspace read-only too */
	char **env;            /* "K=V" set explicitly (always passed) */
	char **env_allow;      /* globs added to the allowlist */
	char **env_block;      /* globs added to the blocklist (wins) */
	bool has_user;
	uint32_t uid, gid;
	const char *hostname;
	const char *cwd;       /* NULL: /work (or / without a workspace) */
	int64_t memory;        /* bytes; 0 default; -1 unlimited */
	double cpus;           /* 0 default; -1 unlimited */
	int64_t pids;          /* 0 default; -1 unlimited */
	bool network_host;
	char **cap_add;        /* "CAP_NET_RAW" or "NET_RAW" */
	const char *seccomp;   /* NULL default, "unconfined", or a JSON file */
	const char *agent;     /* host path of the hutch-agent binary */
	char **rules;          /* path rules, "ACCESS[:KIND][:PRIORITY]:PATTERN" (rules/rules.h) */
	const char *default_access; /* where no rule decides; NULL = "layout" */
	int64_t workspace_quota;    /* bytes the sandbox may add to the workspace; 0 none */
	const char *disk_reserve;   /* free space kept on writable host file systems (NULL:
				     * auto; see disk-reserve.h) */
};


/*
 * The environment a sandboxed command gets: the host's, filtered (allowlist, then the
 * blocklist wins), plus the explicit --env entries. Heap strv.
 */
int sandbox_filter_env(const struct sandbox_opts *o, char *const *host_env, char ***ret,
		       struct hutch_err *err);
/* True if the variable name matches the default or given blocklist. */
bool sandbox_env_blocked(const struct sandbox_opts *o, const char *name);

/* Builds the spec (agent as process, listening on fd 3). */
int sandbox_build_spec(const struct sandbox_opts *o, struct spec **ret, struct hutch_err *err);

/* The effective limits (defaults applied) as text lines "key: value" for inspect/--dry-run. */
char *sandbox_describe(const struct spec *s);
