/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandboxes on disk, under a state root (default /run/hutch/sandboxes):
 *   <root>/<id>/             the engine's container state (state.json, lock, start.sock),
 *                            plus sandbox.json: name, labels, ttl, the effective options
 *   <root>/agents/<id>.sock  the agent's socket (outside the sandbox's view)
 *   <root>/names/<name>      a symlink to the id; made with symlink(2), so names are unique
 * An id is "sb-" + 12 hex digits; commands take an id, a unique id prefix, or a name.
 */
#pragma once

#include "hutch/hutch.h"
#include "sandbox/run.h"

/* Finds a sandbox by id, unique id prefix, or name. -ENOENT "sandbox 'x' does not exist". */
int sandbox_resolve(const char *root, const char *id_or_name, char ret_id[SANDBOX_ID_MAX],
		    struct hutch_err *err);

/* Resolves and connects to the sandbox's agent. A sandbox that is not running fails with
 * -ESRCH "sandbox 'x' is not running". ret_id (may be NULL) gets the id. */
int sandbox_connect(const char *root, const char *id_or_name, struct hutch_agent **ret,
		    char ret_id[SANDBOX_ID_MAX], struct hutch_err *err);

/* The agent socket path of a sandbox (heap), or NULL. */
char *sandbox_agent_socket(const char *root, const char *id);
