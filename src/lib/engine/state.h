/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container state on disk: <root>/<id>/state.json, written atomically (temp + rename) while
 * holding <root>/<id>/lock (flock). The live status is derived, never trusted from the file:
 * a recorded pid whose start time no longer matches /proc is a stopped container (the pid
 * may have been reused), a frozen cgroup is "paused".
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hutch/hutch.h"

enum container_status {
	STATUS_CREATING, /* create has not finished (or crashed half-way: cleanable) */
	STATUS_CREATED,
	STATUS_RUNNING,
	STATUS_PAUSED,
	STATUS_STOPPED,
};

struct container_state {
	char *id;
	char *bundle;
	char *rootfs;
	char *cgroups_path;   /* from the spec; may be NULL */
	char *created;        /* RFC 3339 */
	char *owner;          /* user name or "" */
	pid_t pid;            /* init pid in the host pid namespace; 0 before it exists */
	uint64_t pid_start;   /* /proc/<pid>/stat field 22, to detect pid reuse */
	bool started;         /* `start` has released the process */
	bool has_userns;      /* exec must join the user namespace first */
	char **annotations;   /* "key=value" */
};

void container_state_release(struct container_state *s);

/* A valid container id: 1..1024 of [A-Za-z0-9_+.-], not "." or "..". */
bool container_id_valid(const char *id);

/* Creates <root>/<id> (0700) and returns an O_DIRECTORY fd; -EEXIST if the id is in use. */
int state_dir_create(const char *root, const char *id, int *ret_dirfd, struct hutch_err *err);
/* Opens an existing container's dir; -ENOENT with "container 'x' does not exist". */
int state_dir_open(const char *root, const char *id, int *ret_dirfd, struct hutch_err *err);
/* Takes the per-container lock (blocking). Returns the lock fd; closing it releases the lock. */
int state_lock(int dirfd, struct hutch_err *err);
/* Removes the state dir and everything in it (one level: the files we put there). */
int state_dir_remove(const char *root, const char *id);

int state_save(int dirfd, const struct container_state *s, struct hutch_err *err);
int state_load(int dirfd, const char *id, struct container_state *ret, struct hutch_err *err);

/* Start time of a pid (clock ticks since boot), 0 if it does not exist. */
uint64_t pid_start_time(pid_t pid);
/* True if the recorded init process is still the same process. */
bool state_pid_alive(const struct container_state *s);
/* The live status: from the file, /proc and the cgroup freezer. */
enum container_status state_status(const struct container_state *s);
/* The same without asking the freezer: a paused container reads as running (for callers to
 * whom both are just "live", such as delete; it spares opening every hierarchy). */
enum container_status state_status_unpaused(const struct container_state *s);
const char *container_status_name(enum container_status st);

/* The `runc state` JSON of a container (heap string). */
char *state_to_json(const struct container_state *s, enum container_status st, bool pretty);
