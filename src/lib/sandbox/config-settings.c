/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandbox settings layers: one setting parsed from text (flags and config files share these
 * validators, so a value means the same in both), layers merged, the result turned into
 * sandbox_opts or shown as JSON.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "parse.h"
#include "rules/rules.h"
#include "sandbox/config.h"
#include "sandbox/disk-reserve.h"
#include "strv.h"

void sandbox_settings_release(struct sandbox_settings *s)
{
	free(s->rootfs);
	free(s->workspace);
	free(s->hostname);
	free(s->cwd);
	free(s->seccomp);
	free(s->rootfs_size);
	free(s->disk_reserve);
	free(s->rootfs_changes);
	free(s->default_access);
	strv_free(s->rules);
	strv_free(s->mounts);
	strv_free(s->tmpfs);
	strv_free(s->env);
	strv_free(s->env_allow);
	strv_free(s->env_block);
	strv_free(s->cap_add);
	*s = (struct sandbox_settings){ 0 };
}

static int set_str(char **dst, const char *v)
{
	char *c = strdup(v);
	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

static int parse_user(const char *s, uint32_t *uid, uint32_t *gid)
{
	char *end;
	errno = 0;
	unsigned long u = strtoul(s, &end, 10);
	if (end == s || !(*s >= '0' && *s <= '9') || (*end && *end != ':') || errno ||
	    u > 0xfffffffeUL)
		return -EINVAL;
	*uid = *gid = (uint32_t)u;
	if (*end == ':') {
		const char *gs = end + 1;
		errno = 0;
		unsigned long g = strtoul(gs, &end, 10);
		if (end == gs || !(*gs >= '0' && *gs <= '9') || *end || errno || g > 0xfffffffeUL)
			return -EINVAL;
		*gid = (uint32_t)g;
	}
	return 0;
}

/* A positive count or size, or -1 for "no limit". */
static int parse_limit(const char *v, bool size, int64_t *ret)
{
	if (strcmp(v, "-1") == 0) {
		*ret = -1;
		return 0;
	}
	if (!(*v >= '0' && *v <= '9'))
		return -EINVAL;
	if (size)
		return parse_size(v, ret) < 0 || *ret <= 0 ? -EINVAL : 0;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (*end || errno || n <= 0)
		return -EINVAL;
	*ret = n;
	return 0;
}

static int parse_double(const char *v, double min_excl, double max, double *ret)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (end == v || *end || errno || !(d > min_excl && d <= max))
		return -EINVAL;
	*ret = d;
	return 0;
}

static int push_list(char ***list, const char *v, struct hutch_err *err)
{
	if (strv_length(*list) >= SANDBOX_CONFIG_MAX_LIST)
		return err_set(err, E2BIG, "too many entries (at most %d)", SANDBOX_CONFIG_MAX_LIST);
	return strv_push(list, v) < 0 ? err_set(err, ENOMEM, "out of memory") : 0;
}

static int set_env(struct sandbox_settings *s, const char *v, struct hutch_err *err)
{
	const char *eq = strchr(v, '=');
	if (!eq || eq == v)
		return err_set(err, EINVAL, "expected KEY=VALUE, got '%s'", v);
	if (!strv_env_get(s->env, v) && strv_length(s->env) >= SANDBOX_CONFIG_MAX_LIST)
		return err_set(err, E2BIG, "too many entries (at most %d)", SANDBOX_CONFIG_MAX_LIST);
	return strv_env_set(&s->env, v) < 0 ? err_set(err, ENOMEM, "out of memory") : 0;
}

/* The list-valued settings, by key. */
static char ***list_of(struct sandbox_settings *s, const char *key)
{
	if (strcmp(key, "mounts") == 0)
		return &s->mounts;
	if (strcmp(key, "tmpfs") == 0)
		return &s->tmpfs;
	if (strcmp(key, "env_allow") == 0)
		return &s->env_allow;
	if (strcmp(key, "env_block") == 0)
		return &s->env_block;
	if (strcmp(key, "cap_add") == 0)
		return &s->cap_add;
	if (strcmp(key, "rules") == 0)
		return &s->rules;
	return NULL;
}

static int set_list_entry(struct sandbox_settings *s, const char *key, const char *v,
			  struct hutch_err *err)
{
	if (strcmp(key, "env") == 0)
		return set_env(s, v, err);
	if (!*v)
		return err_set(err, EINVAL, "empty value");
	if (strcmp(key, "mounts") == 0 && !strchr(v, ':'))
		return err_set(err, EINVAL, "expected SRC:DST[:ro|rw], got '%s'", v);
	if (strcmp(key, "tmpfs") == 0 && v[0] != '/')
		return err_set(err, EINVAL, "expected an absolute DST[:OPTS], got '%s'", v);
	if (strcmp(key, "rules") == 0) {
		struct rule_set check = { 0 };
		int r = rule_set_add_text(&check, v, err);
		rule_set_release(&check);
		if (r < 0)
			return r;
	}
	return push_list(list_of(s, key), v, err);
}

#define HOSTNAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-."

/* Settings that are one string. */
static int set_string_setting(struct sandbox_settings *s, const char *key, const char *v,
			      struct hutch_err *err)
{
	static const struct {
		const char *key;
		size_t off;
		uint32_t bit;
	} strs[] = {
		{ "rootfs", offsetof(struct sandbox_settings, rootfs), SANDBOX_SET_ROOTFS },
		{ "workspace", offsetof(struct sandbox_settings, workspace), SANDBOX_SET_WORKSPACE },
		{ "hostname", offsetof(struct sandbox_settings, hostname), SANDBOX_SET_HOSTNAME },
		{ "cwd", offsetof(struct sandbox_settings, cwd), SANDBOX_SET_CWD },
		{ "seccomp", offsetof(struct sandbox_settings, seccomp), SANDBOX_SET_SECCOMP },
		{ "rootfs_size", offsetof(struct sandbox_settings, rootfs_size), SANDBOX_SET_ROOTFS_SIZE },
		{ "rootfs_changes", offsetof(struct sandbox_settings, rootfs_changes),
		  SANDBOX_SET_ROOTFS_CHANGES },
		{ "default_access", offsetof(struct sandbox_settings, default_access),
		  SANDBOX_SET_DEFAULT_ACCESS },
		{ "disk_reserve", offsetof(struct sandbox_settings, disk_reserve),
		  SANDBOX_SET_DISK_RESERVE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		if (strcmp(key, strs[i].key) != 0)
			continue;
		/* Only the workspace may be empty: "" means none. */
		if (!*v && strs[i].bit != SANDBOX_SET_WORKSPACE)
			return err_set(err, EINVAL, "empty value");
		if (strs[i].bit == SANDBOX_SET_CWD && v[0] != '/')
			return err_set(err, EINVAL, "must be an absolute path, got '%s'", v);
		if (strs[i].bit == SANDBOX_SET_HOSTNAME && strlen(v) > 64)
			return err_set(err, EINVAL, "longer than 64 bytes");
		if (strs[i].bit == SANDBOX_SET_HOSTNAME && strspn(v, HOSTNAME_CHARS) != strlen(v))
			return err_set(err, EINVAL, "invalid hostname '%s' (letters, digits, '-' and "
				       "'.')", v);
		enum rule_access a;
		if (strs[i].bit == SANDBOX_SET_DEFAULT_ACCESS && rule_access_from_name(v, &a) < 0)
			return err_set(err, EINVAL, "invalid value '%s' (expected none, view, read, "
				       "write or layout)", v);
		struct disk_reserve dr;
		if (strs[i].bit == SANDBOX_SET_DISK_RESERVE && disk_reserve_parse(v, &dr) < 0)
			return err_set(err, EINVAL, "invalid value '%s' (expected auto, a percentage "
				       "like 5%%, a size like 2g, or 0 for none)", v);
		if (set_str((char **)((char *)s + strs[i].off), v) < 0)
			return err_set(err, ENOMEM, "out of memory");
		s->set |= strs[i].bit;
		return 1;
	}
	return 0;
}

static int set_scalar(struct sandbox_settings *s, const char *key, const char *v, uint32_t *bit)
{
	if (strcmp(key, "read_only") == 0) {
		*bit = SANDBOX_SET_READ_ONLY;
		if (strcmp(v, "true") && strcmp(v, "false"))
			return -EINVAL;
		s->read_only = strcmp(v, "true") == 0;
	} else if (strcmp(key, "user") == 0) {
		*bit = SANDBOX_SET_USER;
		return parse_user(v, &s->uid, &s->gid);
	} else if (strcmp(key, "memory") == 0) {
		*bit = SANDBOX_SET_MEMORY;
		/* Less than this cannot even start the sandbox's agent and shell. */
		if (parse_limit(v, true, &s->memory) < 0 || (s->memory >= 0 && s->memory < (4 << 20)))
			return -EINVAL;
		return 0;
	} else if (strcmp(key, "workspace_quota") == 0) {
		*bit = SANDBOX_SET_WORKSPACE_QUOTA;
		if (strcmp(v, "0") == 0) {
			s->workspace_quota = 0;
			return 0;
		}
		return parse_limit(v, true, &s->workspace_quota) < 0 || s->workspace_quota < 0 ? -EINVAL : 0;
	} else if (strcmp(key, "pids") == 0) {
		*bit = SANDBOX_SET_PIDS;
		return parse_limit(v, false, &s->pids);
	} else if (strcmp(key, "cpus") == 0) {
		*bit = SANDBOX_SET_CPUS;
		if (strcmp(v, "-1") == 0) {
			s->cpus = -1;
			return 0;
		}
		/* The kernel's smallest CFS quota is 1 ms of a 100 ms period: 0.01 CPU. */
		return parse_double(v, 0.01 - 1e-9, 4096, &s->cpus);
	} else if (strcmp(key, "timeout") == 0) {
		double d;
		*bit = SANDBOX_SET_TIMEOUT;
		if (parse_double(v, 0, 4e6, &d) < 0)
			return -EINVAL;
		s->timeout_ms = d * 1000 < 1 ? 1 : (uint32_t)(d * 1000);
	} else if (strcmp(key, "network") == 0) {
		*bit = SANDBOX_SET_NETWORK;
		if (strcmp(v, "none") && strcmp(v, "host"))
			return -EINVAL;
		s->network_host = strcmp(v, "host") == 0;
	} else {
		return -ENOENT;
	}
	return 0;
}

int sandbox_settings_set(struct sandbox_settings *s, const char *key, const char *value,
			 struct hutch_err *err)
{
	if (strlen(value) > SANDBOX_CONFIG_MAX_STRING)
		return err_set(err, E2BIG, "value longer than %d bytes", SANDBOX_CONFIG_MAX_STRING);
	if (strcmp(key, "env") == 0 || list_of(s, key))
		return set_list_entry(s, key, value, err);
	int r = set_string_setting(s, key, value, err);
	if (r != 0)
		return r < 0 ? r : 0;
	uint32_t bit = 0;
	r = set_scalar(s, key, value, &bit);
	if (r == -ENOENT)
		return err_set(err, ENOENT, "unknown setting");
	if (r < 0) {
		const char *want = strcmp(key, "user") == 0      ? "UID[:GID]"
				   : strcmp(key, "network") == 0 ? "none or host"
				   : strcmp(key, "read_only") == 0 ? "true or false"
				   : strcmp(key, "timeout") == 0 ? "seconds, > 0"
				   : strcmp(key, "cpus") == 0    ? "a number of CPUs from 0.01 to 4096, or -1 for none"
				   : strcmp(key, "memory") == 0  ? "a size like 512m (at least 4m), or -1 for none"
				   : strcmp(key, "workspace_quota") == 0 ? "a size like 10g, or 0 for none"
								 : "a positive number, or -1 for none";
		return err_set(err, EINVAL, "invalid value '%s' (expected %s)", value, want);
	}
	s->set |= bit;
	return 0;
}

static int append_all(char ***dst, char *const *src)
{
	for (size_t i = 0; src && src[i]; i++)
		if (strv_push(dst, src[i]) < 0)
			return -ENOMEM;
	return 0;
}

int sandbox_settings_merge(struct sandbox_settings *dst, const struct sandbox_settings *src)
{
	uint32_t set = src->set;
	if (((set & SANDBOX_SET_ROOTFS) && set_str(&dst->rootfs, src->rootfs) < 0) ||
	    ((set & SANDBOX_SET_WORKSPACE) && set_str(&dst->workspace, src->workspace) < 0) ||
	    ((set & SANDBOX_SET_HOSTNAME) && set_str(&dst->hostname, src->hostname) < 0) ||
	    ((set & SANDBOX_SET_CWD) && set_str(&dst->cwd, src->cwd) < 0) ||
	    ((set & SANDBOX_SET_SECCOMP) && set_str(&dst->seccomp, src->seccomp) < 0) ||
	    ((set & SANDBOX_SET_ROOTFS_SIZE) && set_str(&dst->rootfs_size, src->rootfs_size) < 0) ||
	    ((set & SANDBOX_SET_ROOTFS_CHANGES) &&
	     set_str(&dst->rootfs_changes, src->rootfs_changes) < 0) ||
	    ((set & SANDBOX_SET_DEFAULT_ACCESS) &&
	     set_str(&dst->default_access, src->default_access) < 0) ||
	    ((set & SANDBOX_SET_DISK_RESERVE) && set_str(&dst->disk_reserve, src->disk_reserve) < 0))
		return -ENOMEM;
	if (set & SANDBOX_SET_READ_ONLY)
		dst->read_only = src->read_only;
	if (set & SANDBOX_SET_USER) {
		dst->uid = src->uid;
		dst->gid = src->gid;
	}
	if (set & SANDBOX_SET_MEMORY)
		dst->memory = src->memory;
	if (set & SANDBOX_SET_CPUS)
		dst->cpus = src->cpus;
	if (set & SANDBOX_SET_PIDS)
		dst->pids = src->pids;
	if (set & SANDBOX_SET_WORKSPACE_QUOTA)
		dst->workspace_quota = src->workspace_quota;
	if (set & SANDBOX_SET_TIMEOUT)
		dst->timeout_ms = src->timeout_ms;
	if (set & SANDBOX_SET_NETWORK)
		dst->network_host = src->network_host;
	dst->set |= set;
	if (append_all(&dst->mounts, src->mounts) < 0 || append_all(&dst->tmpfs, src->tmpfs) < 0 ||
	    append_all(&dst->env_allow, src->env_allow) < 0 ||
	    append_all(&dst->env_block, src->env_block) < 0 ||
	    append_all(&dst->cap_add, src->cap_add) < 0 || append_all(&dst->rules, src->rules) < 0)
		return -ENOMEM;
	for (size_t i = 0; src->env && src->env[i]; i++)
		if (strv_env_set(&dst->env, src->env[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int copy_list(char ***dst, char *const *src)
{
	if (!src)
		return 0;
	char **c = strv_copy(src);
	if (!c)
		return -ENOMEM;
	strv_free(*dst);
	*dst = c;
	return 0;
}

int sandbox_settings_to_opts(const struct sandbox_settings *s, struct sandbox_opts *o,
			     uint32_t *ret_timeout_ms)
{
	uint32_t set = s->set;
	if (set & SANDBOX_SET_ROOTFS)
		o->rootfs = s->rootfs;
	if (set & SANDBOX_SET_WORKSPACE)
		o->workspace = s->workspace;
	if (set & SANDBOX_SET_HOSTNAME)
		o->hostname = s->hostname;
	if (set & SANDBOX_SET_CWD)
		o->cwd = s->cwd;
	if (set & SANDBOX_SET_SECCOMP)
		o->seccomp = s->seccomp;
	if (set & SANDBOX_SET_ROOTFS_SIZE)
		o->rootfs_size = s->rootfs_size;
	if (set & SANDBOX_SET_ROOTFS_CHANGES)
		o->rootfs_changes = s->rootfs_changes;
	if (set & SANDBOX_SET_DEFAULT_ACCESS)
		o->default_access = s->default_access;
	if (set & SANDBOX_SET_DISK_RESERVE)
		o->disk_reserve = s->disk_reserve;
	o->read_only = s->read_only;
	o->has_user = set & SANDBOX_SET_USER;
	o->uid = s->uid;
	o->gid = s->gid;
	o->memory = (set & SANDBOX_SET_MEMORY) ? s->memory : 0;
	o->cpus = (set & SANDBOX_SET_CPUS) ? s->cpus : 0;
	o->pids = (set & SANDBOX_SET_PIDS) ? s->pids : 0;
	o->workspace_quota = (set & SANDBOX_SET_WORKSPACE_QUOTA) ? s->workspace_quota : 0;
	o->network_host = s->network_host;
	if (ret_timeout_ms)
		*ret_timeout_ms = s->timeout_ms;
	if (copy_list(&o->mounts, s->mounts) < 0 || copy_list(&o->tmpfs, s->tmpfs) < 0 ||
	    copy_list(&o->env, s->env) < 0 || copy_list(&o->env_allow, s->env_allow) < 0 ||
	    copy_list(&o->env_block, s->env_block) < 0 || copy_list(&o->cap_add, s->cap_add) < 0 ||
	    copy_list(&o->rules, s->rules) < 0)
		return -ENOMEM;
	return 0;
}

static json_object *json_strv(char *const *v)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; a && v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *json_env(char *const *v)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; o && v && v[i]; i++) {
		const char *eq = strchr(v[i], '=');
		_cleanup_free_ char *k = eq ? strndup(v[i], (size_t)(eq - v[i])) : NULL;
		if (k)
			json_object_object_add(o, k, json_object_new_string(eq + 1));
	}
	return o;
}

static json_object *json_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void add_limits(json_object *o, const struct sandbox_settings *s)
{
	uint32_t set = s->set;
	json_object_object_add(o, "memory", json_object_new_int64(
		(set & SANDBOX_SET_MEMORY) ? s->memory : SANDBOX_DEFAULT_MEMORY));
	json_object_object_add(o, "cpus", json_object_new_double(
		(set & SANDBOX_SET_CPUS) ? s->cpus : SANDBOX_DEFAULT_CPUS));
	json_object_object_add(o, "pids", json_object_new_int64(
		(set & SANDBOX_SET_PIDS) ? s->pids : SANDBOX_DEFAULT_PIDS));
	json_object_object_add(o, "timeout", json_object_new_double(s->timeout_ms / 1000.0));
	json_object_object_add(o, "workspace_quota", json_object_new_int64(s->workspace_quota));
	json_object_object_add(o, "disk_reserve", json_object_new_string(
		s->disk_reserve ? s->disk_reserve : DISK_RESERVE_DEFAULT));
}

char *sandbox_settings_to_json(const struct sandbox_settings *s, char *const *files,
			       const char *profile, const char *workspace_default)
{
	uint32_t set = s->set;
	json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	const char *ws = (set & SANDBOX_SET_WORKSPACE) ? s->workspace : workspace_default;
	char user[32];
	snprintf(user, sizeof(user), "%u:%u", s->uid, s->gid);
	json_object_object_add(o, "config_files", json_strv(files));
	json_object_object_add(o, "profile", json_str_or_null(profile));
	/* null: the host's "/" (read-only) */
	json_object_object_add(o, "rootfs", json_str_or_null(s->rootfs));
	/* with a rootfs: its copy-on-write layer (a tmpfs of rootfs_size, or kept in a dir) */
	json_object_object_add(o, "rootfs_size", json_object_new_string(
		s->rootfs_size ? s->rootfs_size : SANDBOX_DEFAULT_ROOTFS_SIZE));
	json_object_object_add(o, "rootfs_changes", json_str_or_null(s->rootfs_changes));
	json_object_object_add(o, "workspace", json_str_or_null(ws));
	json_object_object_add(o, "mounts", json_strv(s->mounts));
	json_object_object_add(o, "tmpfs", json_strv(s->tmpfs));
	json_object_object_add(o, "read_only", json_object_new_boolean(s->read_only));
	json_object_object_add(o, "env", json_env(s->env));
	json_object_object_add(o, "env_allow", json_strv(s->env_allow));
	json_object_object_add(o, "env_block", json_strv(s->env_block));
	json_object_object_add(o, "user", json_object_new_string(user));
	json_object_object_add(o, "hostname", json_object_new_string(
		(set & SANDBOX_SET_HOSTNAME) ? s->hostname : SANDBOX_DEFAULT_HOSTNAME));
	json_object_object_add(o, "cwd", json_object_new_string(
		s->cwd ? s->cwd : (ws && !*ws) ? "/" : "/work"));
	add_limits(o, s);
	json_object_object_add(o, "network", json_object_new_string(s->network_host ? "host" : "none"));
	json_object_object_add(o, "cap_add", json_strv(s->cap_add));
	/* path rules (docs/sandbox.md): "ACCESS[:KIND][:PRIORITY]:PATTERN" */
	json_object_object_add(o, "rules", json_strv(s->rules));
	json_object_object_add(o, "default_access", json_object_new_string(
		s->default_access ? s->default_access : "layout"));
	/* null: hutch's default profile */
	json_object_object_add(o, "seccomp", json_str_or_null(s->seccomp));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								JSON_C_TO_STRING_SPACED |
								JSON_C_TO_STRING_NOSLASHESCAPE);
	char *ret = text ? strdup(text) : NULL;
	json_object_put(o);
	return ret;
}

/*
 * Security levels: presets below every config file and flag (they only change defaults).
 *   strict      the workspace read-only, no host variable passed (only --env), tighter
 *               limits: 512 MiB, 128 processes, half a CPU; default access none: of the
 *               host only the system directories (read) and the workspace exist inside
 *               (rules at priority -1000, so any rule given wins over them)
 *   default     hutch's defaults (sandbox.h)
 *   permissive  the host's network, no memory/pids/CPU limits, every host variable passed
 *               except the blocklisted secret-looking ones (the blocklist still wins)
 * Every level keeps the user namespace, no capabilities, no_new_privs and seccomp.
 */
int sandbox_settings_level(const char *level, struct sandbox_settings *ret, struct hutch_err *err)
{
	static const struct {
		const char *level, *key, *value;
	} presets[] = {
		{ "strict", "read_only", "true" },  { "strict", "env_block", "*" },
		{ "strict", "memory", "512m" },     { "strict", "pids", "128" },
		{ "strict", "cpus", "0.5" },        { "strict", "default_access", "none" },
		{ "strict", "rules", "read:directory:-1000:/usr" },
		{ "strict", "rules", "read:directory:-1000:/bin" },
		{ "strict", "rules", "read:directory:-1000:/sbin" },
		{ "strict", "rules", "read:directory:-1000:/lib" },
		{ "strict", "rules", "read:directory:-1000:/lib32" },
		{ "strict", "rules", "read:directory:-1000:/lib64" },
		{ "strict", "rules", "read:directory:-1000:/libx32" },
		{ "strict", "rules", "read:directory:-1000:/etc" },
		{ "strict", "rules", "read:directory:-1000:/work" },
		{ "permissive", "network", "host" },
		{ "permissive", "memory", "-1" },   { "permissive", "pids", "-1" },
		{ "permissive", "cpus", "-1" },     { "permissive", "env_allow", "*" },
	};
	*ret = (struct sandbox_settings){ 0 };
	if (strcmp(level, "strict") && strcmp(level, "default") && strcmp(level, "permissive"))
		return err_set(err, EINVAL, "unknown security level '%s' (strict, default or permissive)",
			       level);
	for (size_t i = 0; i < ARRAY_SIZE(presets); i++) {
		if (strcmp(presets[i].level, level) != 0)
			continue;
		int r = sandbox_settings_set(ret, presets[i].key, presets[i].value, err);
		if (r < 0) {
			sandbox_settings_release(ret);
			return r;
		}
	}
	return 0;
}
