/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checks that need more than one field, or that a hand-built spec (the sandbox layer skips
 * JSON) must pass as well as a parsed one. Every message names the field.
 */
#include <sched.h>
#include <string.h>

#include "path.h"
#include "spec-json.h"
#include "strv.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* The kernel accepts at most this many lines in uid_map / gid_map (since Linux 4.15). */
#define MAX_ID_MAP_LINES 340

const struct spec_namespace *spec_find_namespace(const struct spec *s, int type)
{
	if (!s || !s->has_linux)
		return NULL;
	for (size_t i = 0; i < s->linux.n_namespaces; i++)
		if (s->linux.namespaces[i].type == type)
			return &s->linux.namespaces[i];
	return NULL;
}

static int validate_maps(const struct spec_id_map *m, size_t n, const char *what,
			 struct hutch_err *err)
{
	if (n > MAX_ID_MAP_LINES)
		return err_set(err, E2BIG, "%s: more than %d mappings", what, MAX_ID_MAP_LINES);
	for (size_t i = 0; i < n; i++) {
		if (m[i].size == 0)
			return err_set(err, EINVAL, "%s[%zu].size: must be greater than zero", what,
				       i);
		/* The kernel refuses ranges that wrap around the 32-bit ID space. */
		if ((uint64_t)m[i].container_id + m[i].size > (uint64_t)UINT32_MAX + 1 ||
		    (uint64_t)m[i].host_id + m[i].size > (uint64_t)UINT32_MAX + 1)
			return err_set(err, ERANGE, "%s[%zu]: range wraps past 4294967295", what,
				       i);
	}
	return 0;
}

static int validate_mounts(const struct spec *s, struct hutch_err *err)
{
	char what[64];
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		if (!m->destination)
			return err_set(err, EINVAL,
				       "mounts[%zu].destination: missing required field", i);
		/*
		 * Absolute, but not necessarily normalized: runc takes "/a/../b", and the engine
		 * resolves every destination inside the rootfs (RESOLVE_IN_ROOT), so ".." cannot
		 * climb out of it. A relative one has no agreed meaning: refuse it.
		 */
		if (m->destination[0] != '/')
			return err_set(err, EINVAL,
				       "mounts[%zu].destination: '%s' is not an absolute path", i,
				       m->destination);
		if (!m->n_uid_mappings && !m->n_gid_mappings)
			continue; /* nothing to check: spare the two names (most mounts) */
		snprintf(what, sizeof(what), "mounts[%zu].uidMappings", i);
		int r = validate_maps(m->uid_mappings, m->n_uid_mappings, what, err);
		if (r < 0)
			return r;
		snprintf(what, sizeof(what), "mounts[%zu].gidMappings", i);
		r = validate_maps(m->gid_mappings, m->n_gid_mappings, what, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int validate_hooks(const struct spec *s, struct hutch_err *err)
{
	static const char *const names[_SPEC_HOOK_MAX] = {
	    "prestart",	      "createRuntime", "createContainer",
	    "startContainer", "poststart",     "poststop",
	};
	for (int k = 0; k < _SPEC_HOOK_MAX; k++)
		for (size_t i = 0; i < s->hooks.n[k]; i++) {
			const struct spec_hook *h = &s->hooks.list[k][i];
			/* Hooks run on the host as the runtime's user: no $PATH lookup. */
			if (!h->path || h->path[0] != '/')
				return err_set(err, EINVAL,
					       "hooks.%s[%zu].path: '%s' is not an absolute path",
					       names[k], i, h->path ? h->path : "");
			if (h->timeout < 0)
				return err_set(err, EINVAL,
					       "hooks.%s[%zu].timeout: must be greater than zero",
					       names[k], i);
		}
	return 0;
}

/* A sysctl name as written in the spec ("net.ipv4.ip_forward"), mapped to /proc/sys/net/... */
static bool sysctl_key_ok(const char *k)
{
	if (!k || !k[0] || k[0] == '.' || strchr(k, '/'))
		return false;
	/* Empty components would make ".." once the dots become slashes. */
	return !strstr(k, "..") && k[strlen(k) - 1] != '.';
}

static int validate_devices(const struct spec_linux *l, struct hutch_err *err)
{
	for (size_t i = 0; i < l->n_devices; i++) {
		const struct spec_device *d = &l->devices[i];
		if (!d->path || strncmp(d->path, "/dev/", 5) != 0 || !d->path[5] ||
		    !path_is_normalized_absolute(d->path))
			return err_set(err, EINVAL,
				       "linux.devices[%zu].path: '%s' is not a path under /dev", i,
				       d->path ? d->path : "");
		if (!d->type || !strchr("cbup", d->type))
			return err_set(err, EINVAL,
				       "linux.devices[%zu].type: unknown device type '%c'", i,
				       d->type ? d->type : '?');
		if (d->type != 'p' && (d->major == SPEC_UNSET || d->minor == SPEC_UNSET))
			return err_set(
			    err, EINVAL,
			    "linux.devices[%zu]: major and minor are required for type '%c'", i,
			    d->type);
	}
	for (size_t i = 0; i < l->resources.n_devices; i++) {
		const struct spec_device_rule *d = &l->resources.devices[i];
		if (!d->type || !strchr("abc", d->type))
			return err_set(err, EINVAL,
				       "linux.resources.devices[%zu].type: unknown device type", i);
		if (strspn(d->access, "rwm") != strlen(d->access))
			return err_set(err, EINVAL,
				       "linux.resources.devices[%zu].access: invalid access", i);
	}
	return 0;
}

static int validate_paths(char *const *v, const char *what, struct hutch_err *err)
{
	for (size_t i = 0; v && v[i]; i++)
		if (v[i][0] != '/')
			return err_set(err, EINVAL, "%s[%zu]: '%s' is not an absolute path", what,
				       i, v[i]);
	return 0;
}

static int validate_namespaces(const struct spec *s, struct hutch_err *err)
{
	const struct spec_linux *l = &s->linux;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const struct spec_namespace *ns = &l->namespaces[i];
		for (size_t j = 0; j < i; j++)
			if (l->namespaces[j].type == ns->type)
				return err_set(
				    err, EINVAL,
				    "linux.namespaces[%zu]: duplicate namespace type '%s'", i,
				    spec_namespace_to_name(ns->type));
		if (ns->path && ns->path[0] != '/')
			return err_set(err, EINVAL,
				       "linux.namespaces[%zu].path: '%s' is not an absolute path",
				       i, ns->path);
	}
	/*
	 * Mappings only mean something for a user namespace. Joining one by path is fine (the
	 * mappings then describe it), as runc 1.2 allows.
	 */
	if ((l->n_uid_mappings || l->n_gid_mappings) && !spec_find_namespace(s, CLONE_NEWUSER))
		return err_set(err, EINVAL,
			       "linux.uidMappings: mappings given without a user namespace");
	if ((l->time_monotonic.present || l->time_boottime.present) &&
	    !spec_find_namespace(s, CLONE_NEWTIME))
		return err_set(err, EINVAL,
			       "linux.timeOffsets: offsets given without a time namespace");
	int r = validate_maps(l->uid_mappings, l->n_uid_mappings, "linux.uidMappings", err);
	if (r >= 0)
		r = validate_maps(l->gid_mappings, l->n_gid_mappings, "linux.gidMappings", err);
	return r;
}

static bool propagation_ok(const char *p)
{
	static const char *const valid[] = {"shared",  "rshared",  "slave",	 "rslave",
					    "private", "rprivate", "unbindable", "runbindable"};
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++)
		if (strcmp(p, valid[i]) == 0)
			return true;
	return false;
}

static int validate_linux(const struct spec *s, struct hutch_err *err)
{
	const struct spec_linux *l = &s->linux;
	int r = validate_namespaces(s, err);
	if (r < 0)
		return r;
	if (l->rootfs_propagation && !propagation_ok(l->rootfs_propagation))
		return err_set(err, EINVAL, "linux.rootfsPropagation: invalid value '%s'",
			       l->rootfs_propagation);
	for (size_t i = 0; i < l->n_sysctl; i++)
		if (!sysctl_key_ok(l->sysctl[i].key))
			return err_set(err, EINVAL, "linux.sysctl['%s']: invalid sysctl name",
				       l->sysctl[i].key ? l->sysctl[i].key : "");
	if ((r = validate_devices(l, err)) < 0 ||
	    (r = validate_paths(l->masked_paths, "linux.maskedPaths", err)) < 0 ||
	    (r = validate_paths(l->readonly_paths, "linux.readonlyPaths", err)) < 0)
		return r;
	if (l->seccomp && !l->seccomp->default_action)
		return err_set(err, EINVAL, "linux.seccomp.defaultAction: missing required field");
	if (l->cgroups_path && !l->cgroups_path[0])
		return err_set(err, EINVAL, "linux.cgroupsPath: must not be empty");
	return spec_resources_validate(&l->resources, "linux.resources.", err);
}

int spec_validate(const struct spec *s, struct hutch_err *err)
{
	int r;
	/* The major version decides what the fields mean; 1.0 to 1.2 share one schema. */
	if (!s->oci_version)
		return err_set(err, EINVAL, "ociVersion: missing required field");
	if (strncmp(s->oci_version, "1.", 2) != 0)
		return err_set(err, EINVAL, "ociVersion: unsupported version '%s' (1.x expected)",
			       s->oci_version);
	if (s->root_path && !s->root_path[0])
		return err_set(err, EINVAL, "root.path: must not be empty");
	if (s->has_process && (r = spec_process_validate(&s->process, "process.", err)) < 0)
		return r;
	for (size_t i = 0; i < s->n_annotations; i++)
		if (!s->annotations[i].key || !s->annotations[i].key[0])
			return err_set(err, EINVAL, "annotations: empty key");
	if ((r = validate_mounts(s, err)) < 0 || (r = validate_hooks(s, err)) < 0)
		return r;
	/* As runc: without its own uts namespace the container would rename the host. */
	if (s->hostname && s->hostname[0] && !spec_find_namespace(s, CLONE_NEWUTS))
		return err_set(err, EINVAL, "hostname: setting it needs a uts namespace");
	if (s->domainname && s->domainname[0] && !spec_find_namespace(s, CLONE_NEWUTS))
		return err_set(err, EINVAL, "domainname: setting it needs a uts namespace");
	return s->has_linux ? validate_linux(s, err) : 0;
}

const char *spec_annotation(const struct spec *s, const char *key)
{
	for (size_t i = 0; i < s->n_annotations; i++)
		if (strcmp(s->annotations[i].key, key) == 0)
			return s->annotations[i].value;
	return NULL;
}

int spec_annotation_add(struct spec *s, const char *key, const char *value)
{
	struct spec_key_value *kv = realloc(s->annotations, (s->n_annotations + 1) * sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	s->annotations = kv;
	kv[s->n_annotations] = (struct spec_key_value){ strdup(key), strdup(value) };
	s->n_annotations++;
	return kv[s->n_annotations - 1].key && kv[s->n_annotations - 1].value ? 0 : -ENOMEM;
}
