/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linux.resources (LinuxResources): the cgroup limits of a container, also the input of
 * `runc update --resources`. Names that end up in cgroup file names (unified keys, hugepage
 * sizes) are checked here so that no config can point a write outside the cgroup directory.
 */
#include <ctype.h>
#include <string.h>

#include "spec-json.h"

void spec_resources_init(struct spec_resources *r)
{
	*r = (struct spec_resources){0};
	r->memory = (struct spec_memory){.limit = SPEC_UNSET,
					 .reservation = SPEC_UNSET,
					 .swap = SPEC_UNSET,
					 .kernel = SPEC_UNSET,
					 .kernel_tcp = SPEC_UNSET,
					 .swappiness = SPEC_UNSET};
	r->cpu = (struct spec_cpu){.shares = SPEC_UNSET,
				   .quota = SPEC_UNSET,
				   .burst = SPEC_UNSET,
				   .period = SPEC_UNSET,
				   .realtime_runtime = SPEC_UNSET,
				   .realtime_period = SPEC_UNSET,
				   .idle = SPEC_UNSET};
	r->pids_limit = SPEC_UNSET;
	r->blkio.weight = SPEC_UNSET;
	r->blkio.leaf_weight = SPEC_UNSET;
}

/* Runs parse_one over every entry of an array of objects, into a calloc'ed vector. */
#define PARSE_LIST(c, v, vec, count, parse_one)                                                    \
	({                                                                                         \
		size_t _n;                                                                         \
		int _r = spec_json_want_array(c, v, &_n);                                          \
		if (_r >= 0 && !((vec) = calloc(_n ? _n : 1, sizeof(*(vec)))))                     \
			_r = pctx_fail(c, ENOMEM, "out of memory");                                \
		for (size_t _i = 0; _r >= 0 && _i < _n; _i++) {                                    \
			enter_idx(c, _i);                                                          \
			(count) = _i + 1;                                                          \
			_r = parse_one(c, json_object_array_get_idx(v, _i), &(vec)[_i]);           \
			if (_r >= 0)                                                               \
				leave(c);                                                          \
		}                                                                                  \
		_r;                                                                                \
	})

static int parse_device_rule(struct pctx *c, json_object *v, struct spec_device_rule *d)
{
	const char *s;
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	json_object *allow = member(v, "allow");
	if (!allow)
		return spec_missing(c, "allow");
	if ((r = spec_bool_at(c, v, "allow", &d->allow, NULL)) < 0)
		return r;
	d->type = 'a';
	d->major = d->minor = -1;
	strcpy(d->access, "rwm");
	json_object *t = member(v, "type");
	if (t) {
		enter_key(c, "type");
		if ((r = spec_json_str_ref(c, t, &s)) < 0)
			return r;
		if (strlen(s) != 1 || !strchr("abc", s[0]))
			return pctx_fail(c, EINVAL, "unknown device type '%s'", s);
		d->type = s[0];
		leave(c);
	}
	if ((r = spec_i64_at(c, v, "major", false, -1, UINT32_MAX, &d->major)) < 0 ||
	    (r = spec_i64_at(c, v, "minor", false, -1, UINT32_MAX, &d->minor)) < 0)
		return r;
	json_object *a = member(v, "access");
	if (a) {
		enter_key(c, "access");
		if ((r = spec_json_str_ref(c, a, &s)) < 0)
			return r;
		/* Each of r, w, m at most once: the result always fits access[4]. */
		size_t len = strlen(s);
		bool bad = len > 3;
		for (size_t i = 0; i < len && !bad; i++)
			bad = !strchr("rwm", s[i]) || memchr(s, s[i], i);
		if (bad)
			return pctx_fail(c, EINVAL, "invalid access '%s' (a subset of \"rwm\")", s);
		memcpy(d->access, s, len + 1);
		leave(c);
	}
	return 0;
}

static int parse_memory(struct pctx *c, json_object *v, struct spec_resources *res)
{
	struct spec_memory *m = &res->memory;
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	/* -1 means "unlimited" for the byte counts (docker writes it for swap). */
	if ((r = spec_i64_at(c, v, "limit", false, -1, INT64_MAX, &m->limit)) < 0 ||
	    (r = spec_i64_at(c, v, "reservation", false, -1, INT64_MAX, &m->reservation)) < 0 ||
	    (r = spec_i64_at(c, v, "swap", false, -1, INT64_MAX, &m->swap)) < 0 ||
	    (r = spec_i64_at(c, v, "kernel", false, -1, INT64_MAX, &m->kernel)) < 0 ||
	    (r = spec_i64_at(c, v, "kernelTCP", false, -1, INT64_MAX, &m->kernel_tcp)) < 0)
		return r;
	json_object *sw = member(v, "swappiness");
	if (sw) {
		uint64_t u;
		enter_key(c, "swappiness");
		if ((r = spec_json_u64(c, sw, UINT64_MAX, &u)) < 0)
			return r;
		/* Go clients write uint64(-1) for "not set". */
		if (u != UINT64_MAX && u > 100)
			return pctx_fail(c, ERANGE, "value out of range [0, 100]");
		m->swappiness = u == UINT64_MAX ? SPEC_UNSET : (int64_t)u;
		leave(c);
	}
	if ((r = spec_bool_at(c, v, "disableOOMKiller", &m->disable_oom_killer,
			      &m->has_disable_oom_killer)) < 0 ||
	    (r = spec_bool_at(c, v, "useHierarchy", &m->use_hierarchy, &m->has_use_hierarchy)) <
		0 ||
	    (r = spec_bool_at(c, v, "checkBeforeUpdate", &m->check_before_update, NULL)) < 0)
		return r;
	res->has_memory = true;
	return 0;
}

static int parse_cpu(struct pctx *c, json_object *v, struct spec_resources *res)
{
	struct spec_cpu *p = &res->cpu;
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if ((r = spec_i64_at(c, v, "shares", false, 0, INT64_MAX, &p->shares)) < 0 ||
	    (r = spec_i64_at(c, v, "quota", false, -1, INT64_MAX, &p->quota)) < 0 ||
	    (r = spec_i64_at(c, v, "burst", false, 0, INT64_MAX, &p->burst)) < 0 ||
	    (r = spec_i64_at(c, v, "period", false, 0, INT64_MAX, &p->period)) < 0 ||
	    (r = spec_i64_at(c, v, "realtimeRuntime", false, -1, INT64_MAX, &p->realtime_runtime)) <
		0 ||
	    (r = spec_i64_at(c, v, "realtimePeriod", false, 0, INT64_MAX, &p->realtime_period)) <
		0 ||
	    (r = spec_i64_at(c, v, "idle", false, 0, 1, &p->idle)) < 0 ||
	    (r = spec_str_at(c, v, "cpus", false, &p->cpus)) < 0 ||
	    (r = spec_str_at(c, v, "mems", false, &p->mems)) < 0)
		return r;
	res->has_cpu = true;
	return 0;
}

static int parse_pids(struct pctx *c, json_object *v, struct spec_resources *res)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	return spec_i64_at(c, v, "limit", false, -1, INT64_MAX, &res->pids_limit);
}

static int parse_dev_numbers(struct pctx *c, json_object *v, int64_t *major, int64_t *minor)
{
	int r = spec_json_want_object(c, v);
	if (r >= 0)
		r = spec_i64_at(c, v, "major", true, 0, UINT32_MAX, major);
	if (r >= 0)
		r = spec_i64_at(c, v, "minor", true, 0, UINT32_MAX, minor);
	return r;
}

static int parse_weight_device(struct pctx *c, json_object *v, struct spec_weight_device *w)
{
	w->weight = w->leaf_weight = SPEC_UNSET;
	int r = parse_dev_numbers(c, v, &w->major, &w->minor);
	if (r >= 0)
		r = spec_i64_at(c, v, "weight", false, 0, UINT16_MAX, &w->weight);
	if (r >= 0)
		r = spec_i64_at(c, v, "leafWeight", false, 0, UINT16_MAX, &w->leaf_weight);
	return r;
}

static int parse_throttle_device(struct pctx *c, json_object *v, struct spec_throttle_device *t)
{
	int r = parse_dev_numbers(c, v, &t->major, &t->minor);
	if (r >= 0)
		r = spec_u64_at(c, v, "rate", true, UINT64_MAX, &t->rate);
	return r;
}

static int parse_weight_devices(struct pctx *c, json_object *v, struct spec_blkio *b)
{
	return PARSE_LIST(c, v, b->weight_devices, b->n_weight_devices, parse_weight_device);
}

static int parse_throttle(struct pctx *c, json_object *v, struct spec_blkio *b, int which)
{
	return PARSE_LIST(c, v, b->throttle[which], b->n_throttle[which], parse_throttle_device);
}

static int parse_blkio(struct pctx *c, json_object *v, struct spec_resources *res)
{
	static const char *const throttle_keys[] = {
	    [SPEC_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
	    [SPEC_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
	    [SPEC_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
	    [SPEC_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
	};
	struct spec_blkio *b = &res->blkio;
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if ((r = spec_i64_at(c, v, "weight", false, 0, UINT16_MAX, &b->weight)) < 0 ||
	    (r = spec_i64_at(c, v, "leafWeight", false, 0, UINT16_MAX, &b->leaf_weight)) < 0 ||
	    (r = SUB(c, v, "weightDevice", parse_weight_devices, b)) < 0)
		return r;
	for (int i = 0; i < 4; i++)
		if ((r = SUB(c, v, throttle_keys[i], parse_throttle, b, i)) < 0)
			return r;
	res->has_blkio = true;
	return 0;
}

static int parse_hugepage(struct pctx *c, json_object *v, struct spec_hugepage_limit *h)
{
	int r = spec_json_want_object(c, v);
	if (r >= 0)
		r = spec_str_at(c, v, "pageSize", true, &h->page_size);
	if (r >= 0)
		r = spec_u64_at(c, v, "limit", true, UINT64_MAX, &h->limit);
	return r;
}

static int parse_devices(struct pctx *c, json_object *v, struct spec_resources *res)
{
	return PARSE_LIST(c, v, res->devices, res->n_devices, parse_device_rule);
}

static int parse_hugepages(struct pctx *c, json_object *v, struct spec_resources *res)
{
	return PARSE_LIST(c, v, res->hugepage_limits, res->n_hugepage_limits, parse_hugepage);
}

/* Fills *res, which the caller set up with spec_resources_init(). */
int spec_read_resources(struct pctx *c, json_object *v, struct spec_resources *res)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if ((r = SUB(c, v, "devices", parse_devices, res)) < 0 ||
	    (r = SUB(c, v, "memory", parse_memory, res)) < 0 ||
	    (r = SUB(c, v, "cpu", parse_cpu, res)) < 0 ||
	    (r = SUB(c, v, "pids", parse_pids, res)) < 0 ||
	    (r = SUB(c, v, "blockIO", parse_blkio, res)) < 0 ||
	    (r = SUB(c, v, "hugepageLimits", parse_hugepages, res)) < 0)
		return r;
	return spec_kv_at(c, v, "unified", &res->unified, &res->n_unified);
}

void spec_resources_release(struct spec_resources *r)
{
	if (!r)
		return;
	free(r->devices);
	free(r->cpu.cpus);
	free(r->cpu.mems);
	free(r->blkio.weight_devices);
	for (int i = 0; i < 4; i++)
		free(r->blkio.throttle[i]);
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	spec_kv_free(r->unified, r->n_unified);
	spec_resources_init(r);
}

/* A single file name inside a cgroup directory: no separators, no dot tricks. */
static bool cgroup_file_name_ok(const char *s)
{
	return s && s[0] && s[0] != '.' && !strchr(s, '/');
}

int spec_resources_validate(const struct spec_resources *r, const char *prefix,
			    struct hutch_err *err)
{
	for (size_t i = 0; i < r->n_unified; i++)
		if (!cgroup_file_name_ok(r->unified[i].key))
			return err_set(err, EINVAL, "%sunified['%s']: not a cgroup file name",
				       prefix, r->unified[i].key ? r->unified[i].key : "");
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		const char *p = r->hugepage_limits[i].page_size;
		/* Becomes part of "hugetlb.<size>.limit_in_bytes": letters and digits only. */
		bool ok = p && p[0] != '\0';
		for (const char *q = p; ok && *q; q++)
			ok = isalnum((unsigned char)*q);
		if (!ok)
			return err_set(err, EINVAL,
				       "%shugepageLimits[%zu].pageSize: invalid size '%s'", prefix,
				       i, p ? p : "");
	}
	return 0;
}

int spec_resources_parse(const char *buf, size_t len, struct spec_resources *ret,
			 struct hutch_err *err)
{
	json_object *root = NULL;
	struct pctx c;

	spec_resources_init(ret);
	int r = spec_json_tokenize(buf, len, &root, err);
	if (r < 0)
		return r;
	pctx_init(&c, err);
	r = spec_read_resources(&c, root, ret);
	json_object_put(root);
	if (r >= 0)
		r = spec_resources_validate(ret, "", err);
	if (r < 0)
		spec_resources_release(ret);
	return r;
}
