/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Persistent sandboxes (hutch create/start/stop/rm): the sandbox's directory outlives its
 * engine container, so a stop/start cycle can make the container again while the record,
 * the name and the log stay. Layout under the state root (see also store.h):
 *   <root>/<id>/sandbox.json, lock, main.log
 *   <root>/<id>/engine/<id>/               the engine container (while it exists)
 *   <root>/<id>/engine/agents/<id>.sock    its agent socket, bound by sandbox_start()
 *   <root>/agents/<id>.sock                a symlink to it, where sandbox_connect() looks
 * Every change happens under the sandbox's lock (sandbox_lock), so concurrent CLI calls
 * serialise per sandbox; the engine container has its own lock one level down.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hutch/hutch.h"
#include "sandbox/meta.h"
#include "sandbox/run.h"

#define SANDBOX_LOG_FILE "main.log"
#define SANDBOX_LOG_MAX (8u << 20) /* bytes of main-process output kept on disk */

enum sandbox_status {
	SANDBOX_CREATING, /* being made (or a crashed make: prune removes it) */
	SANDBOX_RUNNING,
	SANDBOX_PAUSED,
	SANDBOX_STOPPED,
};
const char *sandbox_status_name(enum sandbox_status st);

/* "<root>/<id>/engine" (heap): the engine's state root for this sandbox. */
char *sandbox_engine_root(const char *root, const char *id);

/* Opens <root>/<id> and takes its lock (blocking). -ENOENT "sandbox 'x' does not exist". */
int sandbox_lock(const char *root, const char *id, int *ret_dirfd, int *ret_lockfd,
		 struct hutch_err *err);

/* The live status of a persistent sandbox, from its engine container. */
enum sandbox_status sandbox_live_status(const char *root, const char *id);

struct sandbox_up_result {
	uint32_t main_id;    /* the agent's id of the main process; 0 without argv */
	bool no_limits;      /* unprivileged without delegated cgroups: limits not enforced */
	bool main_not_found; /* the failure was: the main command does not exist */
};

/*
 * Makes the sandbox's container from m->opts and starts it (agent as PID 1), links its
 * socket for sandbox_connect(), and spawns m->argv (if any) detached, tagged "main", with
 * its output kept by the agent. On failure the container is gone again.
 * Note: the agent inherits fds 0-2 of the caller; a CLI that exits must point them at
 * /dev/null first. fd 3 is taken for the agent's socket: keep nothing there.
 */
int sandbox_up(const char *root, const char *id, const struct sandbox_meta *m,
	       struct sandbox_up_result *ret, struct hutch_err *err);

/*
 * Stops the container: SIGTERM to everything through the agent, SIGKILL after grace_ms,
 * then the container (cgroups, engine state, sockets) is deleted. The sandbox's directory
 * stays. A sandbox already stopped is fine.
 */
int sandbox_down(const char *root, const char *id, uint32_t grace_ms, struct hutch_err *err);

/* Kills a helper process of ours if it is still the same process (not ourselves). */
void sandbox_helper_kill(const struct sandbox_helper *h);
/* Waits up to timeout_ms for a helper to be gone. */
void sandbox_helper_wait(const struct sandbox_helper *h, int timeout_ms);

/*
 * Removes everything of a sandbox whose lock the caller holds: the container (killed), the
 * helpers, the name (if it still points here), the directory. m may be NULL (a corrupt one).
 */
void sandbox_destroy(const char *root, const char *id, const struct sandbox_meta *m);

/* Names: <root>/names/<name> -> id, claimed under a lock on the names directory so a name
 * left by a crashed sandbox can be taken over safely. -EEXIST "name 'x' is already in use". */
int sandbox_name_claim(const char *root, const char *name, const char *id, struct hutch_err *err);
/* The name that points at id (a `hutch run --name`, which has no record), or NULL. */
char *sandbox_name_of(const char *root, const char *id);
/* Whether the name points at id. */
bool sandbox_name_is(const char *root, const char *name, const char *id);
/* Removes the name if it points at id. */
void sandbox_name_release(const char *root, const char *name, const char *id);
