/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sandbox.json: reading and writing a persistent sandbox's record (see meta.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileio.h"
#include "sandbox/meta.h"
#include "strv.h"

/* Hard limits on what a record may hold: it is ours, but a corrupt one must not hurt. */
#define META_MAX_STRV 4096

void sandbox_meta_release(struct sandbox_meta *m)
{
	free(m->id);
	free(m->name);
	strv_free(m->labels);
	strv_free(m->argv);
	strv_free(m->env);
	json_object_put(m->opts);
	free(m->mp_workspace);
	strv_free(m->mp_paths);
	*m = (struct sandbox_meta){ 0 };
}

struct json_object *sandbox_strv_json(char *const *v)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; a && v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

int sandbox_json_strv(struct json_object *a, size_t max, char ***ret)
{
	*ret = NULL;
	if (!a || json_object_is_type(a, json_type_null))
		return 0;
	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) > max)
		return -EBADMSG;
	_cleanup_strv_ char **v = NULL;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_string))
			return -EBADMSG;
		if (strv_push(&v, json_object_get_string(s)) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static void put_str(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void put_i64(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void put_helper(struct json_object *o, const char *k, const struct sandbox_helper *h)
{
	if (h->pid <= 0)
		return;
	struct json_object *x = json_object_new_object();
	put_i64(x, "pid", h->pid);
	json_object_object_add(x, "start", json_object_new_uint64(h->start));
	json_object_object_add(o, k, x);
}

static struct json_object *meta_to_json(const struct sandbox_meta *m)
{
	struct json_object *o = json_object_new_object();
	put_str(o, "id", m->id);
	put_str(o, "name", m->name);
	json_object_object_add(o, "labels", sandbox_strv_json(m->labels));
	put_i64(o, "created", m->created);
	put_i64(o, "ttl", m->ttl);
	json_object_object_add(o, "rm", json_object_new_boolean(m->rm));
	if (m->argv)
		json_object_object_add(o, "argv", sandbox_strv_json(m->argv));
	json_object_object_add(o, "env", sandbox_strv_json(m->env));
	put_i64(o, "timeoutMs", m->timeout_ms);
	if (m->opts)
		json_object_object_add(o, "options", json_object_get(m->opts));
	put_i64(o, "generation", m->generation);
	put_i64(o, "mainId", m->main_id);
	if (m->has_exit) {
		put_i64(o, "exitCode", m->exit_code);
		put_i64(o, "finished", m->finished);
	}
	put_helper(o, "logger", &m->logger);
	put_helper(o, "reaper", &m->reaper);
	if (m->mp_workspace) {
		put_str(o, "mountPointsIn", m->mp_workspace);
		json_object_object_add(o, "mountPoints", sandbox_strv_json(m->mp_paths));
	}
	return o;
}

int sandbox_meta_save(int dirfd, const struct sandbox_meta *m, struct hutch_err *err)
{
	struct json_object *o = meta_to_json(m);
	if (!o)
		return err_set(err, ENOMEM, "out of memory");
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d/" SANDBOX_META_FILE, dirfd);
	int r = strlen(text) > SANDBOX_META_MAX ? -EFBIG : write_file_atomic(path, text, strlen(text), 0600);
	json_object_put(o);
	return r < 0 ? err_set_errno(err, -r, "write record of sandbox '%s'", m->id) : 0;
}

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;
	return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static char *get_str(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k);
	return v && json_object_is_type(v, json_type_string) ? strdup(json_object_get_string(v)) : NULL;
}

static int64_t get_i64(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k);
	return v ? json_object_get_int64(v) : 0;
}

static void get_helper(struct json_object *o, const char *k, struct sandbox_helper *h)
{
	struct json_object *x = get(o, k);
	if (!x)
		return;
	h->pid = (pid_t)get_i64(x, "pid");
	h->start = (uint64_t)get_i64(x, "start");
}

static int meta_from_json(struct json_object *o, struct sandbox_meta *m)
{
	m->id = get_str(o, "id");
	m->name = get_str(o, "name");
	m->created = get_i64(o, "created");
	m->ttl = get_i64(o, "ttl");
	m->rm = get(o, "rm") && json_object_get_boolean(get(o, "rm"));
	m->timeout_ms = (uint32_t)get_i64(o, "timeoutMs");
	m->generation = (uint32_t)get_i64(o, "generation");
	m->main_id = (uint32_t)get_i64(o, "mainId");
	m->has_exit = get(o, "exitCode") != NULL;
	m->exit_code = (int)get_i64(o, "exitCode");
	m->finished = get_i64(o, "finished");
	get_helper(o, "logger", &m->logger);
	get_helper(o, "reaper", &m->reaper);
	struct json_object *opts = get(o, "options");
	m->opts = opts ? json_object_get(opts) : NULL;
	if (!m->id || sandbox_json_strv(get(o, "labels"), META_MAX_STRV, &m->labels) < 0 ||
	    sandbox_json_strv(get(o, "argv"), META_MAX_STRV, &m->argv) < 0 ||
	    sandbox_json_strv(get(o, "env"), META_MAX_STRV, &m->env) < 0 ||
	    sandbox_json_strv(get(o, "mountPoints"), META_MAX_STRV, &m->mp_paths) < 0)
		return -EBADMSG;
	m->mp_workspace = get_str(o, "mountPointsIn");
	return 0;
}

int sandbox_meta_load(int dirfd, struct sandbox_meta *ret, struct hutch_err *err)
{
	*ret = (struct sandbox_meta){ 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_file_at(dirfd, SANDBOX_META_FILE, SANDBOX_META_MAX, &buf, &len);
	if (r == -ENOENT)
		return err_set(err, ENOENT, "sandbox record missing");
	if (r < 0)
		return err_set_errno(err, -r, "read sandbox record");
	struct json_tokener *tok = json_tokener_new_ex(32);
	struct json_object *o = tok ? json_tokener_parse_ex(tok, buf, (int)len) : NULL;
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object) || meta_from_json(o, ret) < 0) {
		json_object_put(o);
		sandbox_meta_release(ret);
		return err_set(err, EBADMSG, "sandbox record is corrupt");
	}
	json_object_put(o);
	return 0;
}

const char *sandbox_meta_label(const struct sandbox_meta *m, const char *key)
{
	return strv_env_get(m->labels, key);
}

bool sandbox_meta_match(const struct sandbox_meta *m, char *const *filters)
{
	for (size_t i = 0; filters && filters[i]; i++) {
		const char *eq = strchr(filters[i], '=');
		_cleanup_free_ char *k = eq ? strndup(filters[i], (size_t)(eq - filters[i])) : strdup(filters[i]);
		if (!k)
			return false;
		const char *v = sandbox_meta_label(m, k);
		if (!v || (eq && strcmp(v, eq + 1) != 0))
			return false;
	}
	return true;
}

/* ---- the options a sandbox was made from ---- */

struct json_object *sandbox_opts_to_json(const struct sandbox_opts *o)
{
	struct json_object *j = json_object_new_object();
	put_str(j, "rootfs", o->rootfs);
	put_str(j, "workspace", o->workspace);
	json_object_object_add(j, "mounts", sandbox_strv_json(o->mounts));
	json_object_object_add(j, "tmpfs", sandbox_strv_json(o->tmpfs));
	json_object_object_add(j, "readOnly", json_object_new_boolean(o->read_only));
	json_object_object_add(j, "env", sandbox_strv_json(o->env));
	json_object_object_add(j, "envAllow", sandbox_strv_json(o->env_allow));
	json_object_object_add(j, "envBlock", sandbox_strv_json(o->env_block));
	if (o->has_user) {
		put_i64(j, "uid", o->uid);
		put_i64(j, "gid", o->gid);
	}
	put_str(j, "hostname", o->hostname);
	put_str(j, "cwd", o->cwd);
	put_i64(j, "memory", o->memory);
	json_object_object_add(j, "cpus", json_object_new_double(o->cpus));
	put_i64(j, "pids", o->pids);
	json_object_object_add(j, "networkHost", json_object_new_boolean(o->network_host));
	json_object_object_add(j, "capAdd", sandbox_strv_json(o->cap_add));
	put_str(j, "seccomp", o->seccomp);
	put_str(j, "agent", o->agent);
	json_object_object_add(j, "rules", sandbox_strv_json(o->rules));
	put_str(j, "defaultAccess", o->default_access);
	put_i64(j, "workspaceQuota", o->workspace_quota);
	put_str(j, "diskReserve", o->disk_reserve);
	return j;
}

static const char *ref_str(struct json_object *j, const char *k)
{
	struct json_object *v = get(j, k);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool ref_bool(struct json_object *j, const char *k)
{
	struct json_object *v = get(j, k);
	return v && json_object_get_boolean(v);
}

int sandbox_opts_from_json(struct json_object *j, struct sandbox_opts *o, struct hutch_err *err)
{
	*o = (struct sandbox_opts){ 0 };
	if (!j || !json_object_is_type(j, json_type_object))
		return err_set(err, EBADMSG, "sandbox record has no options");
	o->rootfs = ref_str(j, "rootfs");
	o->workspace = ref_str(j, "workspace");
	o->read_only = ref_bool(j, "readOnly");
	o->has_user = get(j, "uid") != NULL;
	o->uid = (uint32_t)get_i64(j, "uid");
	o->gid = (uint32_t)get_i64(j, "gid");
	o->hostname = ref_str(j, "hostname");
	o->cwd = ref_str(j, "cwd");
	o->memory = get_i64(j, "memory");
	o->cpus = get(j, "cpus") ? json_object_get_double(get(j, "cpus")) : 0;
	o->pids = get_i64(j, "pids");
	o->network_host = ref_bool(j, "networkHost");
	o->seccomp = ref_str(j, "seccomp");
	o->agent = ref_str(j, "agent");
	o->default_access = ref_str(j, "defaultAccess");
	o->workspace_quota = get_i64(j, "workspaceQuota");
	o->disk_reserve = ref_str(j, "diskReserve");
	if (sandbox_json_strv(get(j, "mounts"), META_MAX_STRV, &o->mounts) < 0 ||
	    sandbox_json_strv(get(j, "tmpfs"), META_MAX_STRV, &o->tmpfs) < 0 ||
	    sandbox_json_strv(get(j, "env"), META_MAX_STRV, &o->env) < 0 ||
	    sandbox_json_strv(get(j, "envAllow"), META_MAX_STRV, &o->env_allow) < 0 ||
	    sandbox_json_strv(get(j, "envBlock"), META_MAX_STRV, &o->env_block) < 0 ||
	    sandbox_json_strv(get(j, "capAdd"), META_MAX_STRV, &o->cap_add) < 0 ||
	    sandbox_json_strv(get(j, "rules"), META_MAX_STRV, &o->rules) < 0) {
		sandbox_opts_release(o);
		return err_set(err, EBADMSG, "sandbox record: options are corrupt");
	}
	return 0;
}

void sandbox_opts_release(struct sandbox_opts *o)
{
	strv_free(o->mounts);
	strv_free(o->tmpfs);
	strv_free(o->env);
	strv_free(o->env_allow);
	strv_free(o->env_block);
	strv_free(o->cap_add);
	strv_free(o->rules);
	*o = (struct sandbox_opts){ 0 };
}
