/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sandbox.json: what a persistent sandbox is (name, labels, ttl, its main command and the
 * options it was made from, so `start` can make it again) and what happened to it (the
 * main process's agent id and exit code, the helper processes that follow it).
 *
 * Written atomically (temp + rename) by callers that hold the sandbox's lock
 * (sandbox_lock() in persist.h); readers that only list may read without it, since a
 * rename never shows a half-written file.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hutch/hutch.h"
#include "sandbox/sandbox.h"

#define SANDBOX_META_FILE "sandbox.json"
#define SANDBOX_META_MAX (1u << 20) /* bytes: argv, env and options together */

/* A helper process of ours (log follower, ttl reaper), with its start time against reuse. */
struct sandbox_helper {
	pid_t pid;
	uint64_t start;
};

struct sandbox_meta {
	char *id;
	char *name;            /* NULL: none */
	char **labels;         /* "K=V" */
	int64_t created;       /* unix seconds */
	int64_t ttl;           /* seconds; 0: none */
	bool rm;               /* remove when the main process ends or the sandbox stops */
	char **argv;           /* the main command; NULL: an idle sandbox */
	char **env;            /* its environment, filtered when the sandbox was created */
	uint32_t timeout_ms;   /* of the main command; 0 none */
	struct json_object *opts; /* the sandbox_opts (sandbox_opts_to_json), owned */
	uint32_t generation;   /* bumped by each start: a follower of an older run stays quiet */
	uint32_t main_id;      /* the agent's id of the main process; 0 none */
	bool has_exit;
	int exit_code;         /* shell style: code, 128+signal, 124 timeout */
	int64_t finished;      /* unix seconds the main process ended */
	struct sandbox_helper logger, reaper;
	char *mp_workspace;    /* the mount points it made in the host's workspace (mountpoints.h) */
	char **mp_paths;
};

void sandbox_meta_release(struct sandbox_meta *m);
#define _cleanup_meta_ __attribute__((cleanup(sandbox_meta_release)))

/* dirfd: the sandbox's directory. Load fails with -ENOENT if there is no sandbox.json. */
int sandbox_meta_save(int dirfd, const struct sandbox_meta *m, struct hutch_err *err);
int sandbox_meta_load(int dirfd, struct sandbox_meta *ret, struct hutch_err *err);

/* The label's value ("K" of "K=V"), or NULL. */
const char *sandbox_meta_label(const struct sandbox_meta *m, const char *key);
/* True if every filter ("K=V", or "K" for any value) matches a label. */
bool sandbox_meta_match(const struct sandbox_meta *m, char *const *filters);

/* The options as JSON (new reference), and back. from_json points o's strings into j
 * (which must outlive o) and allocates its vectors: free them with sandbox_opts_release. */
struct json_object *sandbox_opts_to_json(const struct sandbox_opts *o);
int sandbox_opts_from_json(struct json_object *j, struct sandbox_opts *o, struct hutch_err *err);
void sandbox_opts_release(struct sandbox_opts *o);

/* strv <-> JSON array of strings (NULL for an empty/absent array). */
struct json_object *sandbox_strv_json(char *const *v);
int sandbox_json_strv(struct json_object *a, size_t max, char ***ret);
