/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Getting a sandbox's path rules ready to mount (see pathfs-launch.c, rules-source.c). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "spec/spec.h"

/* What must stay open until the container is created, then be undone. */
struct sandbox_rules_run {
	char **staging; /* the pathfs servers' staging mounts (NULL-terminated) */
	int *bind_fds;  /* the rules' bind sources, mounted as /proc/self/fd/N */
	size_t n_bind_fds;
	int *ctl_fds;   /* our ends of the servers' control sockets */
	size_t n_ctl;
};

/*
 * Opens the rules' bind sources without following planted symlinks and starts one pathfs
 * server per served directory, pointing the spec's placeholder mount sources at them.
 * sandbox_rules_done() must follow once the container is created, and on failure.
 */
int sandbox_rules_prepare(struct spec *spec, struct sandbox_rules_run *run, struct hutch_err *err);
void sandbox_rules_done(struct sandbox_rules_run *run);
/* Once the container is created: the servers join its cgroups (best effort). */
void sandbox_rules_join_cgroups(struct sandbox_rules_run *run, const struct spec *spec,
				const char *id);

/* Makes the calling process (a pathfs server about to serve) the sandbox's own host
 * identity, for good, under a seccomp filter (pathfs-confine.c). */
int pathfs_confine(uid_t uid, gid_t gid);
