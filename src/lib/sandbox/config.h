/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandbox config files (JSON): the same settings as the `hutch run` flags, per user
 * ($XDG_CONFIG_HOME/hutch/config.json) and per project (hutch.json in the current directory or
 * a parent), each with a "default" section and named "profiles":
 *
 *   { "default":  { "memory": "2g", "env_allow": ["EDITOR"] },
 *     "profiles": { "claude": { "mounts": ["~/.claude:/work/.claude:rw"], "network": "host" } } }
 *
 * Layers, later wins: built-in defaults < user default < project default < profile (user's,
 * then project's) < command-line flags. A scalar set by a later layer replaces the earlier
 * value; lists (mounts, tmpfs, env_allow, env_block, cap_add) accumulate; env objects merge by
 * name (later wins).
 *
 * Trust boundary: a project file comes with the code being worked on, which may be untrusted
 * too. It is parsed with hard limits (size, depth, counts, lengths), unknown keys and wrong
 * types are errors naming the key (a misspelt security setting must not be ignored), and its
 * relative paths are resolved against the file's own directory.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hutch/hutch.h"
#include "sandbox/sandbox.h"

#define SANDBOX_CONFIG_MAX_SIZE (256u * 1024)  /* bytes of one file */
#define SANDBOX_CONFIG_MAX_DEPTH 8             /* JSON nesting */
#define SANDBOX_CONFIG_MAX_PROFILES 64
#define SANDBOX_CONFIG_MAX_LIST 64             /* entries of one list (and of env) */
#define SANDBOX_CONFIG_MAX_STRING 4096         /* bytes of one value */
#define SANDBOX_CONFIG_MAX_NAME 64             /* bytes of a profile name */
#define SANDBOX_CONFIG_PROJECT_FILE "hutch.json"

/* The built-in defaults of spec-build.c, for --print-config (a unit test checks they agree). */

enum {
	SANDBOX_SET_ROOTFS = 1u << 0,
	SANDBOX_SET_WORKSPACE = 1u << 1,
	SANDBOX_SET_READ_ONLY = 1u << 2,
	SANDBOX_SET_USER = 1u << 3,
	SANDBOX_SET_HOSTNAME = 1u << 4,
	SANDBOX_SET_CWD = 1u << 5,
	SANDBOX_SET_MEMORY = 1u << 6,
	SANDBOX_SET_CPUS = 1u << 7,
	SANDBOX_SET_PIDS = 1u << 8,
	SANDBOX_SET_TIMEOUT = 1u << 9,
	SANDBOX_SET_NETWORK = 1u << 10,
	SANDBOX_SET_SECCOMP = 1u << 11,
	SANDBOX_SET_ROOTFS_SIZE = 1u << 12,
	SANDBOX_SET_ROOTFS_CHANGES = 1u << 13,
	SANDBOX_SET_DEFAULT_ACCESS = 1u << 14,
	SANDBOX_SET_WORKSPACE_QUOTA = 1u << 15,
	SANDBOX_SET_DISK_RESERVE = 1u << 16,
};

/* One layer of settings: a config section, a profile, the flags, or the merged result. */
struct sandbox_settings {
	uint32_t set; /* SANDBOX_SET_* of the scalars this layer gives */
	char *rootfs, *workspace, *hostname, *cwd, *seccomp, *rootfs_size, *rootfs_changes;
	char *default_access; /* path rules: access where no rule decides */
	char *disk_reserve;   /* free space kept on writable host file systems (disk-reserve.h) */
	bool read_only, network_host;
	uint32_t uid, gid;
	int64_t memory, pids; /* -1: unlimited */
	int64_t workspace_quota; /* bytes the sandbox may add to the workspace; 0 none */
	double cpus;          /* -1: unlimited */
	uint32_t timeout_ms;
	char **mounts, **tmpfs, **env, **env_allow, **env_block, **cap_add;
	char **rules; /* path rules, "ACCESS[:KIND][:PRIORITY]:PATTERN" (rules.h) */
};

void sandbox_settings_release(struct sandbox_settings *s);

/*
 * Sets one setting from text, as a flag gives it: key is the config name ("memory",
 * "env_allow", "mounts", ...; a list key appends one entry). The message (on failure) does not
 * name the key: callers prefix "--memory" or "'file': default.memory".
 */
int sandbox_settings_set(struct sandbox_settings *s, const char *key, const char *value,
			 struct hutch_err *err);

/* Applies src over dst (scalars replace, lists append, env merges by name). */
int sandbox_settings_merge(struct sandbox_settings *dst, const struct sandbox_settings *src);

/*
 * Fills o from s. Strings are borrowed from s (which must outlive o), lists are copied (o owns
 * them, as cli_sandbox_args_release expects). *ret_timeout_ms gets the timeout (0: none).
 */
int sandbox_settings_to_opts(const struct sandbox_settings *s, struct sandbox_opts *o,
			     uint32_t *ret_timeout_ms);

/* One parsed file. */
struct sandbox_config_file {
	char *path;
	struct sandbox_settings def;
	size_t n_profiles;
	char **profile_names;
	struct sandbox_settings *profiles;
};

void sandbox_config_file_free(struct sandbox_config_file *f);
static inline void sandbox_config_file_freep(struct sandbox_config_file **f)
{
	sandbox_config_file_free(*f);
}

/*
 * Parses the text of a config file. origin names it in messages; base_dir is where relative
 * paths are resolved (NULL: leave them as they are).
 */
int sandbox_config_parse(const char *text, size_t len, const char *origin, const char *base_dir,
			 struct sandbox_config_file **ret, struct hutch_err *err);
/* Reads and parses a file (relative paths in it resolve against its directory). */
int sandbox_config_load(const char *path, struct sandbox_config_file **ret, struct hutch_err *err);

/*
 * Finds the project file: hutch.json in dir or the nearest parent that has one, stopping after
 * `stop` (the user's home; may be NULL) or "/". *ret is NULL (and 0 returned) when none.
 */
int sandbox_config_find_project(const char *dir, const char *stop, char **ret,
				struct hutch_err *err);

/* The user file: $XDG_CONFIG_HOME/hutch/config.json or ~/.config/hutch/config.json (heap). */
char *sandbox_config_user_path(void);

/*
 * Merges the layers for one command: each file's default section (in order), then the profile
 * — named explicitly (it must exist in some file), or else the basename of cmd if a file has a
 * profile by that name. files may hold NULLs. *ret_profile (may be NULL) gets the profile used
 * (borrowed from files, NULL if none).
 */
/* The preset of a security level ("strict", "default", "permissive"), to be merged first. */
int sandbox_settings_level(const char *level, struct sandbox_settings *ret, struct hutch_err *err);

int sandbox_config_resolve(struct sandbox_config_file *const *files, size_t n_files,
			   const char *profile, const char *cmd, struct sandbox_settings *ret,
			   const char **ret_profile, struct hutch_err *err);

/*
 * The effective settings (built-in defaults filled in) as pretty JSON text (heap), with the
 * files read and the profile chosen. workspace_default is what an unset workspace means.
 */
char *sandbox_settings_to_json(const struct sandbox_settings *s, char *const *files,
			       const char *profile, const char *workspace_default);
