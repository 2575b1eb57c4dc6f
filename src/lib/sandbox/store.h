/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandboxes on disk, under a state root (default /run/hutch/sandboxes):
 *   <root>/<id>/             a `hutch run` sandbox: the engine's container state itself
 *                            (state.json, lock, start.sock);
 *                            a persistent one (hutch create): sandbox.json (name, labels, ttl,
 *                            main command, the options), lock, main.log, and the engine's
 *                            container one level down in engine/ (see persist.h), so it can
 *                            be stopped and made again while the sandbox stays
 *   <root>/agents/<id>.sock  the agent's socket (outside the sandbox's view); for a
 *                            persistent sandbox a symlink to engine/agents/<id>.sock
 *   <root>/names/<name>      a symlink to the id; made with symlink(2) under names/lock, so
 *                            names are unique
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
