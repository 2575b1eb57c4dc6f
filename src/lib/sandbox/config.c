/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandbox config files: finding them, parsing them (JSON, json-c) into settings layers, and
 * choosing the profile. See config.h for the format and the order of the layers.
 *
 * Trust boundary: a project's hutch.json may come from an untrusted repository. Everything
 * in it is bounded (SANDBOX_CONFIG_MAX_*), opened without following it into a FIFO or device,
 * and validated by the same code as the flags; anything not understood is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "path.h"
#include "sandbox/config.h"
#include "strv.h"

enum value_kind {
	KIND_STRING,  /* a JSON string */
	KIND_PATH,    /* a string; relative paths resolve against the file's directory */
	KIND_BOOL,
	KIND_STR_INT, /* a string or an integer (user, memory) */
	KIND_NUMBER,  /* an integer or a fraction (cpus, timeout) */
	KIND_INT,     /* an integer (pids) */
	KIND_LIST,    /* an array of strings */
	KIND_MOUNTS,  /* an array of "SRC:DST[:ro|rw]" (SRC is a path) */
	KIND_ENV,     /* an object of string values */
};

static const struct {
	const char *key;
	enum value_kind kind;
} keys[] = {
	{ "rootfs", KIND_PATH },     { "workspace", KIND_PATH },   { "mounts", KIND_MOUNTS },
	{ "tmpfs", KIND_LIST },      { "read_only", KIND_BOOL },   { "env", KIND_ENV },
	{ "env_allow", KIND_LIST },  { "env_block", KIND_LIST },   { "user", KIND_STR_INT },
	{ "hostname", KIND_STRING }, { "cwd", KIND_STRING },       { "memory", KIND_STR_INT },
	{ "cpus", KIND_NUMBER },     { "pids", KIND_INT },         { "timeout", KIND_NUMBER },
	{ "network", KIND_STRING },  { "cap_add", KIND_LIST },     { "seccomp", KIND_PATH },
	{ "rules", KIND_LIST },      { "default_access", KIND_STRING },
	{ "workspace_quota", KIND_STR_INT }, { "disk_reserve", KIND_STR_INT },
};

static const char *const kind_names[] = {
	[KIND_STRING] = "a string",
	[KIND_PATH] = "a string",
	[KIND_BOOL] = "true or false",
	[KIND_STR_INT] = "a string or an integer",
	[KIND_NUMBER] = "a number",
	[KIND_INT] = "an integer",
	[KIND_LIST] = "an array of strings",
	[KIND_MOUNTS] = "an array of strings",
	[KIND_ENV] = "an object of strings",
};

void sandbox_config_file_free(struct sandbox_config_file *f)
{
	if (!f)
		return;
	free(f->path);
	sandbox_settings_release(&f->def);
	for (size_t i = 0; i < f->n_profiles; i++)
		sandbox_settings_release(&f->profiles[i]);
	free(f->profiles);
	strv_free(f->profile_names);
	free(f);
}

/* Where parsing is, for messages: "'file': profiles.claude.memory". */
struct ctx {
	const char *origin;
	const char *base_dir;
	const char *section; /* "default" or "profiles.NAME" */
	struct hutch_err *err;
};

static int fail_key(const struct ctx *c, const char *key, int code, const char *what)
{
	return err_set(c->err, code, "'%s': %s.%s: %s", c->origin, c->section, key, what);
}

/* Relative paths in a file mean relative to that file; "~/" means the user's home. */
static int resolve_path(const struct ctx *c, const char *p, char **ret)
{
	const char *home = getenv("HOME");
	if (strncmp(p, "~/", 2) == 0 && home && home[0] == '/')
		*ret = path_join(home, p + 2);
	else if (p[0] == '/' || !c->base_dir || !*p || strcmp(p, "unconfined") == 0)
		*ret = strdup(p);
	else
		*ret = path_join(c->base_dir, p);
	return *ret ? 0 : -ENOMEM;
}

static int set_one(const struct ctx *c, struct sandbox_settings *s, const char *key,
		   const char *text)
{
	struct hutch_err e = { 0 };
	int r = sandbox_settings_set(s, key, text, &e);
	return r < 0 ? fail_key(c, key, -r, e.msg) : 0;
}

/* One list entry; for mounts, the source part gets path resolution. */
static int set_list_item(const struct ctx *c, struct sandbox_settings *s, const char *key,
			 enum value_kind kind, const char *v)
{
	if (kind != KIND_MOUNTS || v[0] == '/' || !strchr(v, ':'))
		return set_one(c, s, key, v);
	const char *colon = strchr(v, ':');
	_cleanup_free_ char *src = strndup(v, (size_t)(colon - v));
	_cleanup_free_ char *abs = NULL, *entry = NULL;
	if (!src || resolve_path(c, src, &abs) < 0 || asprintf(&entry, "%s%s", abs, colon) < 0)
		return err_set(c->err, ENOMEM, "out of memory");
	return set_one(c, s, key, entry);
}

static int parse_list(const struct ctx *c, struct sandbox_settings *s, const char *key,
		      enum value_kind kind, json_object *v)
{
	size_t n = json_object_array_length(v);
	if (n > SANDBOX_CONFIG_MAX_LIST)
		return fail_key(c, key, E2BIG, "too many entries");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string))
			return fail_key(c, key, EINVAL, "expected an array of strings");
		int r = set_list_item(c, s, key, kind, json_object_get_string(e));
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_env(const struct ctx *c, struct sandbox_settings *s, json_object *v)
{
	if (json_object_object_length(v) > SANDBOX_CONFIG_MAX_LIST)
		return fail_key(c, "env", E2BIG, "too many entries");
	json_object_object_foreach(v, name, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return fail_key(c, "env", EINVAL, "expected an object of strings");
		if (!*name || strchr(name, '='))
			return fail_key(c, "env", EINVAL, "a variable name is empty or has '='");
		_cleanup_free_ char *kv = NULL;
		if (asprintf(&kv, "%s=%s", name, json_object_get_string(val)) < 0)
			return err_set(c->err, ENOMEM, "out of memory");
		int r = set_one(c, s, "env", kv);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool type_ok(enum value_kind kind, json_type t)
{
	switch (kind) {
	case KIND_STRING: case KIND_PATH: return t == json_type_string;
	case KIND_BOOL: return t == json_type_boolean;
	case KIND_STR_INT: return t == json_type_string || t == json_type_int;
	case KIND_NUMBER: return t == json_type_int || t == json_type_double;
	case KIND_INT: return t == json_type_int;
	case KIND_LIST: case KIND_MOUNTS: return t == json_type_array;
	case KIND_ENV: return t == json_type_object;
	}
	return false;
}

static int parse_value(const struct ctx *c, struct sandbox_settings *s, const char *key,
		       enum value_kind kind, json_object *v)
{
	if (!type_ok(kind, json_object_get_type(v))) {
		char what[64];
		snprintf(what, sizeof(what), "expected %s", kind_names[kind]);
		return fail_key(c, key, EINVAL, what);
	}
	if (kind == KIND_LIST || kind == KIND_MOUNTS)
		return parse_list(c, s, key, kind, v);
	if (kind == KIND_ENV)
		return parse_env(c, s, v);
	char num[64];
	const char *text = num;
	json_type t = json_object_get_type(v);
	if (t == json_type_int)
		snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(v));
	else if (t == json_type_double)
		snprintf(num, sizeof(num), "%.10g", json_object_get_double(v));
	else if (t == json_type_boolean)
		text = json_object_get_boolean(v) ? "true" : "false";
	else
		text = json_object_get_string(v);
	if (kind != KIND_PATH || !*text)
		return set_one(c, s, key, text);
	_cleanup_free_ char *abs = NULL;
	if (resolve_path(c, text, &abs) < 0)
		return err_set(c->err, ENOMEM, "out of memory");
	return set_one(c, s, key, abs);
}

/* A "default" section or one profile: an object of settings, nothing else. */
static int parse_section(const struct ctx *c, json_object *obj, struct sandbox_settings *s)
{
	if (!json_object_is_type(obj, json_type_object))
		return err_set(c->err, EINVAL, "'%s': %s: expected an object of settings",
			       c->origin, c->section);
	json_object_object_foreach(obj, key, val)
	{
		size_t i;
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (strcmp(keys[i].key, key) == 0)
				break;
		if (i == ARRAY_SIZE(keys)) {
			/* A misspelt security setting must not be silently dropped. */
			if (strlen(key) > SANDBOX_CONFIG_MAX_NAME)
				return err_set(c->err, EINVAL, "'%s': %s: unknown key", c->origin, c->section);
			return fail_key(c, key, EINVAL, "unknown key");
		}
		int r = parse_value(c, s, key, keys[i].kind, val);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool profile_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > SANDBOX_CONFIG_MAX_NAME)
		return false;
	for (const char *p = n; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-", *p))
			return false;
	return true;
}

static int parse_profiles(struct ctx *c, json_object *obj, struct sandbox_config_file *f)
{
	if (!json_object_is_type(obj, json_type_object))
		return err_set(c->err, EINVAL, "'%s': profiles: expected an object of profiles",
			       c->origin);
	size_t n = (size_t)json_object_object_length(obj);
	if (n > SANDBOX_CONFIG_MAX_PROFILES)
		return err_set(c->err, E2BIG, "'%s': profiles: too many (at most %d)", c->origin,
			       SANDBOX_CONFIG_MAX_PROFILES);
	f->profiles = calloc(n ? n : 1, sizeof(*f->profiles));
	if (!f->profiles)
		return err_set(c->err, ENOMEM, "out of memory");
	json_object_object_foreach(obj, name, val)
	{
		if (!profile_name_ok(name))
			return err_set(c->err, EINVAL, "'%s': profiles: invalid profile name "
				       "(1-%d letters, digits, '.', '_', '+', '-')",
				       c->origin, SANDBOX_CONFIG_MAX_NAME);
		char section[SANDBOX_CONFIG_MAX_NAME + 16];
		snprintf(section, sizeof(section), "profiles.%s", name);
		c->section = section;
		if (strv_push(&f->profile_names, name) < 0)
			return err_set(c->err, ENOMEM, "out of memory");
		/* Counted before parsing, so a failure releases this one too. */
		int r = parse_section(c, val, &f->profiles[f->n_profiles++]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_top(struct ctx *c, json_object *root, struct sandbox_config_file *f)
{
	if (!json_object_is_type(root, json_type_object))
		return err_set(c->err, EINVAL, "'%s': expected a JSON object", c->origin);
	json_object_object_foreach(root, key, val)
	{
		int r;
		if (strcmp(key, "default") == 0) {
			c->section = "default";
			r = parse_section(c, val, &f->def);
		} else if (strcmp(key, "profiles") == 0) {
			r = parse_profiles(c, val, f);
		} else {
			r = err_set(c->err, EINVAL, "'%s': unknown key '%.*s' (expected default or profiles)",
				    c->origin, SANDBOX_CONFIG_MAX_NAME, key);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_json(const char *text, size_t len, const char *origin, json_object **ret,
		      struct hutch_err *err)
{
	if (len > SANDBOX_CONFIG_MAX_SIZE)
		return err_set(err, EFBIG, "'%s': larger than %u bytes", origin, SANDBOX_CONFIG_MAX_SIZE);
	if (strnlen(text, len) != len)
		return err_set(err, EINVAL, "'%s': contains a NUL byte", origin);
	json_tokener *tok = json_tokener_new_ex(SANDBOX_CONFIG_MAX_DEPTH);
	if (!tok)
		return err_set(err, ENOMEM, "out of memory");
	json_object *root = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || e != json_tokener_success) {
		json_object_put(root);
		return err_set(err, EINVAL, "'%s': invalid JSON at byte %zu: %s", origin, end,
			       e == json_tokener_continue ? "unexpected end"
							  : json_tokener_error_desc(e));
	}
	for (; end < len; end++)
		if (!strchr(" \t\r\n", text[end])) {
			json_object_put(root);
			return err_set(err, EINVAL, "'%s': trailing data at byte %zu", origin, end);
		}
	*ret = root;
	return 0;
}

int sandbox_config_parse(const char *text, size_t len, const char *origin, const char *base_dir,
			 struct sandbox_config_file **ret, struct hutch_err *err)
{
	json_object *root = NULL;
	int r = parse_json(text, len, origin, &root, err);
	if (r < 0)
		return r;
	struct sandbox_config_file *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(origin))) {
		free(f);
		json_object_put(root);
		return err_set(err, ENOMEM, "out of memory");
	}
	struct ctx c = { .origin = origin, .base_dir = base_dir, .section = "default", .err = err };
	r = parse_top(&c, root, f);
	json_object_put(root);
	if (r < 0) {
		sandbox_config_file_free(f);
		return r;
	}
	*ret = f;
	return 0;
}

int sandbox_config_load(const char *path, struct sandbox_config_file **ret, struct hutch_err *err)
{
	/* O_NONBLOCK: a FIFO planted as hutch.json must not hang us; then regular files only. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return err_set_errno(err, errno, "config file '%s'", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_set_errno(err, errno, "config file '%s'", path);
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, "config file '%s': not a regular file", path);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_fd_max(fd, SANDBOX_CONFIG_MAX_SIZE, &buf, &len);
	if (r == -EFBIG)
		return err_set(err, EFBIG, "config file '%s': larger than %u bytes", path,
			       SANDBOX_CONFIG_MAX_SIZE);
	if (r < 0)
		return err_set_errno(err, -r, "config file '%s'", path);
	_cleanup_free_ char *abs = realpath(path, NULL);
	if (!abs)
		return err_set_errno(err, errno, "config file '%s'", path);
	char *slash = strrchr(abs, '/');
	if (slash == abs)
		slash[1] = '\0';
	else
		*slash = '\0';
	return sandbox_config_parse(buf, len, path, abs, ret, err);
}

int sandbox_config_find_project(const char *dir, const char *stop, char **ret,
				struct hutch_err *err)
{
	_cleanup_free_ char *d = realpath(dir, NULL);
	if (!d)
		return err_set_errno(err, errno, "directory '%s'", dir);
	_cleanup_free_ char *stop_real = stop ? realpath(stop, NULL) : NULL;
	*ret = NULL;
	for (;;) {
		_cleanup_free_ char *cand = path_join(d, SANDBOX_CONFIG_PROJECT_FILE);
		if (!cand)
			return err_set(err, ENOMEM, "out of memory");
		struct stat st;
		if (lstat(cand, &st) == 0) {
			*ret = TAKE_PTR(cand);
			return 0;
		}
		if (errno != ENOENT && errno != ENOTDIR && errno != EACCES)
			return err_set_errno(err, errno, "config file '%s'", cand);
		if (strcmp(d, "/") == 0 || (stop_real && strcmp(d, stop_real) == 0))
			return 0;
		char *slash = strrchr(d, '/');
		if (slash == d)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

char *sandbox_config_user_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && xdg[0] == '/')
		return path_join(xdg, "hutch/config.json");
	const char *home = getenv("HOME");
	if (home && home[0] == '/')
		return path_join(home, ".config/hutch/config.json");
	return NULL;
}

static const struct sandbox_settings *find_profile(const struct sandbox_config_file *f,
						   const char *name, const char **ret_name)
{
	for (size_t i = 0; f && i < f->n_profiles; i++)
		if (strcmp(f->profile_names[i], name) == 0) {
			*ret_name = f->profile_names[i];
			return &f->profiles[i];
		}
	return NULL;
}

int sandbox_config_resolve(struct sandbox_config_file *const *files, size_t n_files,
			   const char *profile, const char *cmd, struct sandbox_settings *ret,
			   const char **ret_profile, struct hutch_err *err)
{
	struct sandbox_settings s = { 0 };
	const char *used = NULL;
	for (size_t i = 0; i < n_files; i++)
		if (files[i] && sandbox_settings_merge(&s, &files[i]->def) < 0)
			goto oom;
	const char *name = profile;
	if (!name && cmd) {
		const char *slash = strrchr(cmd, '/');
		name = slash ? slash + 1 : cmd;
	}
	for (size_t i = 0; name && *name && i < n_files; i++) {
		const struct sandbox_settings *p = find_profile(files[i], name, &used);
		if (p && sandbox_settings_merge(&s, p) < 0)
			goto oom;
	}
	if (profile && !used) {
		sandbox_settings_release(&s);
		return err_set(err, ENOENT, "profile '%s' is not defined in any config file", profile);
	}
	if (ret_profile)
		*ret_profile = used;
	*ret = s;
	return 0;
oom:
	sandbox_settings_release(&s);
	return err_set(err, ENOMEM, "out of memory");
}
