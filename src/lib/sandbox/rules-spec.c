/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A rules plan into the spec (mounts + annotation) and back (see rules-plan.h). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "path.h"
#include "sandbox/rules-plan.h"
#include "strv.h"

#define PLAN_JSON_MAX (4u << 20)

/* An id mapping to copy onto a new mount: by value, as pushing a mount moves the array
 * that the region it comes from lives in. */
struct idmap_copy {
	bool set;
	struct spec_id_map uid, gid;
};

static struct idmap_copy idmap_of(const struct spec_mount *m)
{
	struct idmap_copy c = { 0 };
	if (m && m->n_uid_mappings && m->n_gid_mappings)
		c = (struct idmap_copy){ true, m->uid_mappings[0], m->gid_mappings[0] };
	return c;
}

static int push_mount(struct spec *s, const char *dst, const char *type, const char *src,
		      const char *const *options, struct idmap_copy idmap)
{
	struct spec_mount *nm = realloc(s->mounts, (s->n_mounts + 1) * sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	s->mounts = nm;
	struct spec_mount *m = &s->mounts[s->n_mounts];
	*m = (struct spec_mount){ .destination = strdup(dst), .type = strdup(type),
				  .source = strdup(src) };
	s->n_mounts++;
	if (!m->destination || !m->type || !m->source)
		return -ENOMEM;
	for (size_t i = 0; options[i]; i++)
		if (strv_push(&m->options, options[i]) < 0)
			return -ENOMEM;
	if (idmap.set) {
		m->uid_mappings = calloc(1, sizeof(*m->uid_mappings));
		m->gid_mappings = calloc(1, sizeof(*m->gid_mappings));
		if (!m->uid_mappings || !m->gid_mappings || strv_push(&m->options, "idmap") < 0)
			return -ENOMEM;
		m->uid_mappings[0] = idmap.uid;
		m->gid_mappings[0] = idmap.gid;
		m->n_uid_mappings = m->n_gid_mappings = 1;
	}
	return 0;
}


/* An empty, read-only tmpfs nobody may enter: what hides a directory in place. */
static const char *const hide[] = { "ro", "nosuid", "nodev", "noexec", "mode=000", "size=4k",
				    NULL };

/* A bind's source: opened by sandbox_start() from base/rel (rules-source.c), never by
 * its path string. */
static json_object *bind_json(const struct spec_mount *region, const char *at)
{
	const char *rest = at + (region ? strlen(region->destination) : 0);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "at", json_object_new_string(at));
	json_object_object_add(o, "base", json_object_new_string(region ? region->source : "/"));
	json_object_object_add(o, "rel", json_object_new_string(rest + (*rest == '/')));
	json_object_object_add(o, "root", json_object_new_boolean(!region));
	return o;
}

static int add_rule_mount(struct spec *s, size_t n_layout, const struct rule *r, const char *at,
			  json_object *binds)
{
	static const char *const ro[] = { "rbind", "ro", "nosuid", "nodev", NULL };
	static const char *const rw[] = { "rbind", "nosuid", "nodev", NULL };
	if (r->access == RULE_ACCESS_NONE)
		return push_mount(s, at, "tmpfs", "tmpfs", hide, idmap_of(NULL));
	/* its id mapping comes along (the workspace's) */
	const struct spec_mount *region = rules_region_of(s, n_layout, at);
	char src[32];
	snprintf(src, sizeof(src), RULES_BIND_SOURCE "%zu", json_object_array_length(binds));
	json_object_array_add(binds, bind_json(region, at));
	return push_mount(s, at, "bind", src, r->access == RULE_ACCESS_WRITE ? rw : ro,
			  idmap_of(region));
}

static size_t depth(const char *p)
{
	size_t d = 0;
	for (; *p; p++)
		d += *p == '/';
	return d;
}

/* Parents before children, otherwise in the order given (insertion sort: stable). */
static void sort_by_depth(struct spec *s)
{
	for (size_t i = 1; i < s->n_mounts; i++) {
		struct spec_mount m = s->mounts[i];
		size_t j = i, d = depth(m.destination);
		while (j > 0 && depth(s->mounts[j - 1].destination) > d) {
			s->mounts[j] = s->mounts[j - 1];
			j--;
		}
		s->mounts[j] = m;
	}
}

static json_object *plan_json(const struct rules_plan *p, json_object *binds)
{
	json_object *o = json_object_new_object(), *rules = json_object_new_array(),
		    *servers = json_object_new_array();
	json_object_object_add(o, "default",
			       json_object_new_string(rule_access_name(p->rules.default_access)));
	for (size_t i = 0; i < p->n_rules; i++) {
		json_object *e = json_object_new_object();
		char *text = rule_to_text(&p->rules.rules[i]);
		json_object_object_add(e, "rule", json_object_new_string(text ? text : ""));
		free(text);
		json_object_object_add(e, "enforced_by", json_object_new_string(rule_mech_name(p->mech[i])));
		if (p->at[i])
			json_object_object_add(e, "at", json_object_new_string(p->at[i]));
		json_object_array_add(rules, e);
	}
	for (size_t i = 0; i < p->n_servers; i++) {
		const struct rules_server *sv = &p->servers[i];
		json_object *e = json_object_new_object();
		json_object_object_add(e, "anchor", json_object_new_string(sv->anchor));
		json_object_object_add(e, "source", json_object_new_string(sv->source));
		json_object_object_add(e, "base", json_object_new_string(sv->base));
		json_object_object_add(e, "rel", json_object_new_string(sv->rel));
		json_object_object_add(e, "root", json_object_new_boolean(sv->host_root));
		json_object_object_add(e, "fallback", json_object_new_string(rule_access_name(sv->fallback)));
		if (sv->quota_bytes)
			json_object_object_add(e, "quota_bytes", json_object_new_int64((int64_t)sv->quota_bytes));
		if (sv->idmap) {
			json_object *m = json_object_new_array();
			json_object_array_add(m, json_object_new_int64(sv->idmap_uid.container_id));
			json_object_array_add(m, json_object_new_int64(sv->idmap_uid.host_id));
			json_object_array_add(m, json_object_new_int64(sv->idmap_gid.container_id));
			json_object_array_add(m, json_object_new_int64(sv->idmap_gid.host_id));
			json_object_object_add(e, "idmap", m);
		}
		json_object_array_add(servers, e);
	}
	json_object_object_add(o, "rules", rules);
	json_object_object_add(o, "servers", servers);
	json_object_object_add(o, "binds", binds);
	json_object *hidden = json_object_new_array();
	for (size_t i = 0; p->hides && p->hides[i]; i++)
		json_object_array_add(hidden, json_object_new_string(p->hides[i]));
	/* host paths of the workspace or mounts, covered where the root would show them */
	json_object_object_add(o, "hidden_sources", hidden);
	json_object *warnings = json_object_new_array();
	for (size_t i = 0; p->warnings && p->warnings[i]; i++)
		json_object_array_add(warnings, json_object_new_string(p->warnings[i]));
	json_object_object_add(o, "warnings", warnings);
	return o;
}

int rules_plan_apply(struct spec *s, const struct rules_plan *p, struct hutch_err *err)
{
	if (!p->n_rules && !p->n_servers)
		return 0;
	size_t n_layout = s->n_mounts;
	static const char *const fuse_opts[] = { "bind", "nosuid", "nodev", NULL };
	json_object *binds = json_object_new_array();
	int r = binds ? 0 : -ENOMEM;
	for (size_t i = 0; r >= 0 && i < p->n_rules; i++)
		if (p->mech[i] == RULE_MECH_MOUNT)
			r = add_rule_mount(s, n_layout, &p->rules.rules[i], p->at[i], binds);
	for (size_t i = 0; r >= 0 && p->hides && p->hides[i]; i++)
		r = push_mount(s, p->hides[i], "tmpfs", "tmpfs", hide, idmap_of(NULL));
	for (size_t i = 0; r >= 0 && i < p->n_servers; i++) {
		char src[32];
		snprintf(src, sizeof(src), RULES_PATHFS_SOURCE "%zu", i);
		r = push_mount(s, p->servers[i].anchor, "bind", src, fuse_opts, idmap_of(NULL));
	}
	if (r < 0) {
		json_object_put(binds);
		return err_set(err, -r, "path rules: %s", strerror(-r));
	}
	sort_by_depth(s);
	json_object *o = plan_json(p, binds);
	const char *text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	r = text ? spec_annotation_add(s, RULES_ANNOTATION, text) : -ENOMEM;
	json_object_put(o);
	return r < 0 ? err_set(err, ENOMEM, "out of memory") : 0;
}

const char *rules_plan_annotation(const struct spec *s)
{
	return spec_annotation(s, RULES_ANNOTATION);
}

static int read_server(json_object *e, struct rules_server *sv)
{
	json_object *v;
	const char *fallback = NULL;
	*sv = (struct rules_server){ 0 };
	if (json_object_object_get_ex(e, "anchor", &v))
		sv->anchor = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(e, "source", &v))
		sv->source = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(e, "base", &v))
		sv->base = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(e, "rel", &v))
		sv->rel = strdup(json_object_get_string(v));
	if (json_object_object_get_ex(e, "root", &v))
		sv->host_root = json_object_get_boolean(v);
	if (json_object_object_get_ex(e, "fallback", &v))
		fallback = json_object_get_string(v);
	if (!sv->anchor || !sv->source || !sv->base || !sv->rel || !fallback ||
	    rule_access_from_name(fallback, &sv->fallback) < 0)
		return -EBADMSG;
	if (json_object_object_get_ex(e, "quota_bytes", &v))
		sv->quota_bytes = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(e, "idmap", &v)) {
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 4)
			return -EBADMSG;
		sv->idmap = true;
		sv->idmap_uid.container_id = (uint32_t)json_object_get_int64(json_object_array_get_idx(v, 0));
		sv->idmap_uid.host_id = (uint32_t)json_object_get_int64(json_object_array_get_idx(v, 1));
		sv->idmap_gid.container_id = (uint32_t)json_object_get_int64(json_object_array_get_idx(v, 2));
		sv->idmap_gid.host_id = (uint32_t)json_object_get_int64(json_object_array_get_idx(v, 3));
		sv->idmap_uid.size = sv->idmap_gid.size = 1;
	}
	return 0;
}

static int read_binds(json_object *o, struct rules_plan *p, struct hutch_err *err)
{
	json_object *binds, *v;
	if (!json_object_object_get_ex(o, "binds", &binds) || !json_object_is_type(binds, json_type_array))
		return 0;
	size_t n = json_object_array_length(binds);
	p->binds = calloc(n + 1, sizeof(*p->binds));
	if (!p->binds)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(binds, i);
		struct rules_bind *b = &p->binds[i];
		p->n_binds = i + 1;
		if (json_object_object_get_ex(e, "base", &v))
			b->base = strdup(json_object_get_string(v));
		if (json_object_object_get_ex(e, "rel", &v))
			b->rel = strdup(json_object_get_string(v));
		b->host_root = json_object_object_get_ex(e, "root", &v) && json_object_get_boolean(v);
		if (!b->base || !b->rel)
			return err_set(err, EBADMSG, "path rules annotation: bind %zu is corrupt", i);
	}
	return 0;
}

static int read_plan(json_object *o, struct rules_plan *p, struct hutch_err *err)
{
	json_object *rules, *servers, *v;
	if (!json_object_object_get_ex(o, "rules", &rules) || !json_object_is_type(rules, json_type_array) ||
	    !json_object_object_get_ex(o, "servers", &servers) ||
	    !json_object_is_type(servers, json_type_array))
		return err_set(err, EBADMSG, "path rules annotation is corrupt");
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *e = json_object_array_get_idx(rules, i);
		if (!json_object_object_get_ex(e, "rule", &v))
			return err_set(err, EBADMSG, "path rules annotation is corrupt");
		int r = rule_set_add_text(&p->rules, json_object_get_string(v), err);
		if (r < 0)
			return r;
	}
	p->n_rules = 0; /* mech/at stay unread */
	size_t n = json_object_array_length(servers);
	p->servers = calloc(n + 1, sizeof(*p->servers));
	if (!p->servers)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		p->n_servers = i + 1;
		if (read_server(json_object_array_get_idx(servers, i), &p->servers[i]) < 0)
			return err_set(err, EBADMSG, "path rules annotation: server %zu is corrupt", i);
	}
	return 0;
}

int rules_plan_from_spec(const struct spec *s, struct rules_plan *ret, struct hutch_err *err)
{
	*ret = (struct rules_plan){ .rules.default_access = RULE_ACCESS_LAYOUT };
	const char *text = rules_plan_annotation(s);
	if (!text)
		return 0;
	if (strlen(text) > PLAN_JSON_MAX)
		return err_set(err, EFBIG, "path rules annotation is too large");
	json_object *o = json_tokener_parse(text);
	if (!o)
		return err_set(err, EBADMSG, "path rules annotation is not JSON");
	json_object *d;
	if (json_object_object_get_ex(o, "default", &d))
		rule_access_from_name(json_object_get_string(d), &ret->rules.default_access);
	int r = read_plan(o, ret, err);
	if (r >= 0)
		r = read_binds(o, ret, err);
	json_object_put(o);
	if (r < 0)
		rules_plan_release(ret);
	return r;
}

char **rules_plan_warnings(const struct spec *s)
{
	const char *text = rules_plan_annotation(s);
	json_object *o = text ? json_tokener_parse(text) : NULL, *w;
	char **ret = NULL;
	if (o && json_object_object_get_ex(o, "warnings", &w) && json_object_is_type(w, json_type_array))
		for (size_t i = 0; i < json_object_array_length(w); i++)
			if (strv_push(&ret, json_object_get_string(json_object_array_get_idx(w, i))) < 0)
				break;
	json_object_put(o);
	return ret;
}
