/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * config.json → struct spec. Trust boundary: the config comes from whoever wrote the bundle
 * (containerd, a user, an attacker who controls an image's generated config). Everything is
 * read through the limited readers of spec-json.c straight into the structs; json-c's tree is
 * dropped before returning, so the spec owns plain heap memory that spec_free() releases.
 */
#include <fcntl.h>
#include <string.h>

#include "fileio.h"
#include "spec-json.h"
#include "strv.h"

static int parse_root(struct pctx *c, json_object *v, struct spec *s)
{
	int r = spec_json_want_object(c, v);
	if (r >= 0)
		r = spec_str_at(c, v, "path", true, &s->root_path);
	if (r >= 0)
		r = spec_bool_at(c, v, "readonly", &s->root_readonly, NULL);
	return r;
}

static int parse_mount(struct pctx *c, json_object *v, struct spec_mount *m)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if ((r = spec_str_at(c, v, "destination", true, &m->destination)) < 0 ||
	    (r = spec_str_at(c, v, "source", false, &m->source)) < 0 ||
	    (r = spec_str_at(c, v, "type", false, &m->type)) < 0 ||
	    (r = spec_strv_at(c, v, "options", false, &m->options)) < 0 ||
	    (r = SUB(c, v, "uidMappings", spec_json_id_maps, &m->uid_mappings,
		     &m->n_uid_mappings)) < 0)
		return r;
	return SUB(c, v, "gidMappings", spec_json_id_maps, &m->gid_mappings, &m->n_gid_mappings);
}

static int parse_mounts(struct pctx *c, json_object *v, struct spec *s)
{
	size_t n;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	s->mounts = calloc(n ? n : 1, sizeof(*s->mounts));
	if (!s->mounts)
		return pctx_fail(c, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		enter_idx(c, i);
		/* Counted before it is filled, so spec_free() sees a half-read entry too. */
		s->n_mounts = i + 1;
		r = parse_mount(c, json_object_array_get_idx(v, i), &s->mounts[i]);
		if (r < 0)
			return r;
		leave(c);
	}
	return 0;
}

static int parse_hook(struct pctx *c, json_object *v, struct spec_hook *h)
{
	int64_t timeout = SPEC_UNSET;
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if ((r = spec_str_at(c, v, "path", true, &h->path)) < 0 ||
	    (r = spec_strv_at(c, v, "args", false, &h->args)) < 0 ||
	    (r = spec_strv_at(c, v, "env", false, &h->env)) < 0)
		return r;
	json_object *t = member(v, "timeout");
	if (t) {
		enter_key(c, "timeout");
		if ((r = spec_json_i64(c, t, INT64_MIN + 1, INT64_MAX, &timeout)) < 0)
			return r;
		/* The spec: "timeout ... MUST be greater than zero". */
		if (timeout <= 0)
			return pctx_fail(c, EINVAL, "must be greater than zero");
		if (timeout > INT32_MAX)
			return pctx_fail(c, ERANGE, "value out of range [1, %d]", INT32_MAX);
		leave(c);
		h->timeout = (int)timeout;
	}
	return 0;
}

static const char *const hook_keys[_SPEC_HOOK_MAX] = {
    [SPEC_HOOK_PRESTART] = "prestart",
    [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
    [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
    [SPEC_HOOK_START_CONTAINER] = "startContainer",
    [SPEC_HOOK_POSTSTART] = "poststart",
    [SPEC_HOOK_POSTSTOP] = "poststop",
};

static int parse_hook_list(struct pctx *c, json_object *v, struct spec_hooks *hooks, int kind)
{
	size_t n;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	hooks->list[kind] = calloc(n ? n : 1, sizeof(struct spec_hook));
	if (!hooks->list[kind])
		return pctx_fail(c, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		enter_idx(c, i);
		hooks->n[kind] = i + 1;
		r = parse_hook(c, json_object_array_get_idx(v, i), &hooks->list[kind][i]);
		if (r < 0)
			return r;
		leave(c);
	}
	return 0;
}

static int parse_hooks(struct pctx *c, json_object *v, struct spec *s)
{
	int r = spec_json_want_object(c, v);
	for (int k = 0; r >= 0 && k < _SPEC_HOOK_MAX; k++)
		r = SUB(c, v, hook_keys[k], parse_hook_list, &s->hooks, k);
	return r;
}

static int parse_process_into(struct pctx *c, json_object *v, struct spec *s)
{
	s->has_process = true;
	return spec_read_process(c, v, &s->process);
}

static int parse_linux_into(struct pctx *c, json_object *v, struct spec *s)
{
	s->has_linux = true;
	return spec_read_linux(c, v, &s->linux);
}

static int parse_top(struct pctx *c, json_object *v, struct spec *s)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return pctx_fail(c, EINVAL, "expected a JSON object at the top level");
	if ((r = spec_str_at(c, v, "ociVersion", true, &s->oci_version)) < 0 ||
	    (r = SUB(c, v, "root", parse_root, s)) < 0 ||
	    (r = SUB(c, v, "process", parse_process_into, s)) < 0 ||
	    (r = spec_str_at(c, v, "hostname", false, &s->hostname)) < 0 ||
	    (r = spec_str_at(c, v, "domainname", false, &s->domainname)) < 0 ||
	    (r = SUB(c, v, "mounts", parse_mounts, s)) < 0 ||
	    (r = SUB(c, v, "hooks", parse_hooks, s)) < 0 ||
	    (r = spec_kv_at(c, v, "annotations", &s->annotations, &s->n_annotations)) < 0)
		return r;
	return SUB(c, v, "linux", parse_linux_into, s);
}

int spec_parse(const char *buf, size_t len, struct spec **ret, struct hutch_err *err)
{
	json_object *root = NULL;
	struct pctx c;

	int r = spec_json_tokenize(buf, len, &root, err);
	if (r < 0)
		return r;
	_cleanup_spec_ struct spec *s = calloc(1, sizeof(*s));
	if (!s) {
		json_object_put(root);
		return err_set(err, ENOMEM, "out of memory");
	}
	/* Numeric fields mean "absent" until the JSON says otherwise. */
	spec_resources_init(&s->linux.resources);
	pctx_init(&c, err);
	r = parse_top(&c, root, s);
	json_object_put(root);
	if (r < 0)
		return r;
	r = spec_validate(s, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int spec_load_bundle(const char *bundle, struct spec **ret, struct hutch_err *err)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	size_t len = 0;

	path = malloc(strlen(bundle) + sizeof("/config.json"));
	if (!path)
		return err_set(err, ENOMEM, "out of memory");
	strcpy(path, bundle);
	strcat(path, "/config.json");
	/* Capped read: a huge or endless file (a FIFO, /dev/zero link) cannot exhaust memory. */
	int r = read_file_at(AT_FDCWD, path, SPEC_MAX_FILE_SIZE, &buf, &len);
	if (r == -EFBIG)
		return err_set(err, EFBIG, "config '%s': larger than %u bytes", path,
			       SPEC_MAX_FILE_SIZE);
	if (r < 0)
		return err_set_errno(err, -r, "config '%s'", path);
	r = spec_parse(buf, len, ret, err);
	if (r < 0)
		return err_prefix(err, "config '%s'", path);
	return 0;
}

static void mount_release(struct spec_mount *m)
{
	free(m->destination);
	free(m->source);
	free(m->type);
	strv_free(m->options);
	free(m->uid_mappings);
	free(m->gid_mappings);
}

void spec_free(struct spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	spec_process_release(&s->process);
	free(s->hostname);
	free(s->domainname);
	for (size_t i = 0; i < s->n_mounts; i++)
		mount_release(&s->mounts[i]);
	free(s->mounts);
	for (int k = 0; k < _SPEC_HOOK_MAX; k++) {
		for (size_t i = 0; i < s->hooks.n[k]; i++) {
			struct spec_hook *h = &s->hooks.list[k][i];
			free(h->path);
			strv_free(h->args);
			strv_free(h->env);
		}
		free(s->hooks.list[k]);
	}
	spec_kv_free(s->annotations, s->n_annotations);
	spec_linux_release(&s->linux);
	free(s);
}
