/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "linux" object of config.json: namespaces, ID mappings, time offsets, devices, sysctl,
 * seccomp and the path lists. Resources live in spec-resources.c.
 */
#include <string.h>

#include "spec-json.h"
#include "strv.h"

static int parse_namespace(struct pctx *c, json_object *v, struct spec_namespace *ns)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	r = spec_name_at(c, v, "type", spec_namespace_from_name, "namespace type", &ns->type);
	if (r < 0)
		return r;
	return spec_str_at(c, v, "path", false, &ns->path);
}

static int parse_namespaces(struct pctx *c, json_object *v, struct spec_linux *l)
{
	size_t n;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	l->namespaces = calloc(n ? n : 1, sizeof(*l->namespaces));
	if (!l->namespaces)
		return pctx_fail(c, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		enter_idx(c, i);
		/* Count first so a failure half-way still frees the path just read. */
		l->n_namespaces = i + 1;
		r = parse_namespace(c, json_object_array_get_idx(v, i), &l->namespaces[i]);
		if (r < 0)
			return r;
		/* A second entry of one type is ambiguous (create or join?): refuse it. */
		for (size_t j = 0; j < i; j++)
			if (l->namespaces[j].type == l->namespaces[i].type)
				return pctx_fail(c, EINVAL, "duplicate namespace type '%s'",
						 spec_namespace_to_name(l->namespaces[i].type));
		leave(c);
	}
	return 0;
}

static int parse_offset(struct pctx *c, json_object *v, struct spec_time_offset *t)
{
	int r = spec_json_want_object(c, v);
	if (r >= 0)
		r = spec_i64_at(c, v, "secs", false, INT64_MIN + 1, INT64_MAX, &t->secs);
	if (r >= 0) {
		uint64_t ns = 0;
		r = spec_u64_at(c, v, "nanosecs", false, 999999999, &ns);
		t->nanosecs = (uint32_t)ns;
	}
	if (r >= 0)
		t->present = true;
	return r;
}

static int parse_time_offsets(struct pctx *c, json_object *v, struct spec_linux *l)
{
	int r = spec_json_want_object(c, v);
	if (r >= 0)
		r = SUB(c, v, "monotonic", parse_offset, &l->time_monotonic);
	if (r >= 0)
		r = SUB(c, v, "boottime", parse_offset, &l->time_boottime);
	return r;
}

static int parse_device(struct pctx *c, json_object *v, struct spec_device *d)
{
	const char *type;
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	d->major = d->minor = SPEC_UNSET;
	if ((r = spec_str_at(c, v, "path", true, &d->path)) < 0)
		return r;
	json_object *t = member(v, "type");
	if (!t)
		return spec_missing(c, "type");
	enter_key(c, "type");
	if ((r = spec_json_str_ref(c, t, &type)) < 0)
		return r;
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return pctx_fail(c, EINVAL, "unknown device type '%s'", type);
	d->type = type[0];
	leave(c);
	/* Device numbers are 32-bit in the kernel's dev_t encoding (12+20 bits in practice). */
	if ((r = spec_i64_at(c, v, "major", false, 0, UINT32_MAX, &d->major)) < 0 ||
	    (r = spec_i64_at(c, v, "minor", false, 0, UINT32_MAX, &d->minor)) < 0)
		return r;
	uint64_t mode;
	json_object *m = member(v, "fileMode");
	if (m) {
		enter_key(c, "fileMode");
		if ((r = spec_json_u64(c, m, UINT32_MAX, &mode)) < 0)
			return r;
		leave(c);
		/*
		 * Some clients send a Go os.FileMode with type bits set. Keep the permission
		 * bits only: the node type comes from "type", never from these bits (mknod
		 * would take S_IFMT bits as the type).
		 */
		d->has_file_mode = true;
		d->file_mode = (mode_t)(mode & 07777);
	}
	if ((r = spec_u32_at(c, v, "uid", false, &d->uid, &d->has_uid)) < 0)
		return r;
	return spec_u32_at(c, v, "gid", false, &d->gid, &d->has_gid);
}

static int parse_devices(struct pctx *c, json_object *v, struct spec_linux *l)
{
	size_t n;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	l->devices = calloc(n ? n : 1, sizeof(*l->devices));
	if (!l->devices)
		return pctx_fail(c, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		enter_idx(c, i);
		l->n_devices = i + 1;
		r = parse_device(c, json_object_array_get_idx(v, i), &l->devices[i]);
		if (r < 0)
			return r;
		leave(c);
	}
	return 0;
}

static int parse_seccomp_arg(struct pctx *c, json_object *v, struct spec_seccomp_arg *a)
{
	uint64_t idx = 0;
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	/* Syscalls have six argument registers. */
	if ((r = spec_u64_at(c, v, "index", true, 5, &idx)) < 0)
		return r;
	a->index = (uint32_t)idx;
	if ((r = spec_u64_at(c, v, "value", true, UINT64_MAX, &a->value)) < 0 ||
	    (r = spec_u64_at(c, v, "valueTwo", false, UINT64_MAX, &a->value_two)) < 0)
		return r;
	return spec_str_at(c, v, "op", true, &a->op);
}

static int parse_seccomp_args(struct pctx *c, json_object *v, struct spec_seccomp_syscall *sc)
{
	size_t n;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	sc->args = calloc(n ? n : 1, sizeof(*sc->args));
	if (!sc->args)
		return pctx_fail(c, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		enter_idx(c, i);
		sc->n_args = i + 1;
		r = parse_seccomp_arg(c, json_object_array_get_idx(v, i), &sc->args[i]);
		if (r < 0)
			return r;
		leave(c);
	}
	return 0;
}

static int parse_syscall(struct pctx *c, json_object *v, struct spec_seccomp_syscall *sc)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if ((r = spec_strv_at(c, v, "names", true, &sc->names)) < 0 ||
	    (r = spec_str_at(c, v, "action", true, &sc->action)) < 0 ||
	    (r = spec_u32_at(c, v, "errnoRet", false, &sc->errno_ret, &sc->has_errno_ret)) < 0)
		return r;
	return SUB(c, v, "args", parse_seccomp_args, sc);
}

static int parse_syscalls(struct pctx *c, json_object *v, struct spec_seccomp *s)
{
	size_t n;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	s->syscalls = calloc(n ? n : 1, sizeof(*s->syscalls));
	if (!s->syscalls)
		return pctx_fail(c, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		enter_idx(c, i);
		s->n_syscalls = i + 1;
		r = parse_syscall(c, json_object_array_get_idx(v, i), &s->syscalls[i]);
		if (r < 0)
			return r;
		leave(c);
	}
	return 0;
}

static void seccomp_free(struct spec_seccomp *s)
{
	if (!s)
		return;
	free(s->default_action);
	strv_free(s->architectures);
	strv_free(s->flags);
	free(s->listener_path);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		struct spec_seccomp_syscall *sc = &s->syscalls[i];
		strv_free(sc->names);
		free(sc->action);
		for (size_t j = 0; j < sc->n_args; j++)
			free(sc->args[j].op);
		free(sc->args);
	}
	free(s->syscalls);
	free(s);
}

static int parse_seccomp(struct pctx *c, json_object *v, struct spec_linux *l)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	struct spec_seccomp *s = calloc(1, sizeof(*s));
	if (!s)
		return pctx_fail(c, ENOMEM, "out of memory");
	l->seccomp = s;
	if ((r = spec_str_at(c, v, "defaultAction", true, &s->default_action)) < 0 ||
	    (r = spec_u32_at(c, v, "defaultErrnoRet", false, &s->default_errno_ret,
			     &s->has_default_errno_ret)) < 0 ||
	    (r = spec_strv_at(c, v, "architectures", false, &s->architectures)) < 0 ||
	    (r = spec_strv_at(c, v, "flags", false, &s->flags)) < 0 ||
	    (r = spec_str_at(c, v, "listenerPath", false, &s->listener_path)) < 0)
		return r;
	return SUB(c, v, "syscalls", parse_syscalls, s);
}

static int parse_personality(struct pctx *c, json_object *v, struct spec_linux *l)
{
	int domain;
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	r = spec_name_at(c, v, "domain", spec_personality_from_name, "personality domain", &domain);
	if (r < 0)
		return r;
	/* "flags" has no defined values in the spec yet: nothing to read. */
	l->personality = (unsigned long)domain;
	l->has_personality = true;
	return 0;
}

static int parse_mappings(struct pctx *c, json_object *v, struct spec_id_map **maps, size_t *n)
{
	return spec_json_id_maps(c, v, maps, n);
}

static int parse_res(struct pctx *c, json_object *v, struct spec_linux *l)
{
	l->has_resources = true;
	return spec_read_resources(c, v, &l->resources);
}

int spec_read_linux(struct pctx *c, json_object *v, struct spec_linux *l)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	spec_resources_init(&l->resources);
	if ((r = SUB(c, v, "namespaces", parse_namespaces, l)) < 0 ||
	    (r = SUB(c, v, "uidMappings", parse_mappings, &l->uid_mappings, &l->n_uid_mappings)) <
		0 ||
	    (r = SUB(c, v, "gidMappings", parse_mappings, &l->gid_mappings, &l->n_gid_mappings)) <
		0 ||
	    (r = SUB(c, v, "timeOffsets", parse_time_offsets, l)) < 0 ||
	    (r = SUB(c, v, "devices", parse_devices, l)) < 0 ||
	    (r = spec_str_at(c, v, "cgroupsPath", false, &l->cgroups_path)) < 0 ||
	    (r = SUB(c, v, "resources", parse_res, l)) < 0 ||
	    (r = spec_kv_at(c, v, "sysctl", &l->sysctl, &l->n_sysctl)) < 0 ||
	    (r = SUB(c, v, "seccomp", parse_seccomp, l)) < 0 ||
	    (r = spec_str_at(c, v, "rootfsPropagation", false, &l->rootfs_propagation)) < 0 ||
	    (r = spec_strv_at(c, v, "maskedPaths", false, &l->masked_paths)) < 0 ||
	    (r = spec_strv_at(c, v, "readonlyPaths", false, &l->readonly_paths)) < 0 ||
	    (r = SUB(c, v, "personality", parse_personality, l)) < 0)
		return r;
	return spec_str_at(c, v, "mountLabel", false, &l->mount_label);
}

void spec_linux_release(struct spec_linux *l)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	spec_resources_release(&l->resources);
	spec_kv_free(l->sysctl, l->n_sysctl);
	seccomp_free(l->seccomp);
	free(l->rootfs_propagation);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	free(l->mount_label);
	*l = (struct spec_linux){0};
}
