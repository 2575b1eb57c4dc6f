/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "process" object: config.json's process, and the process.json of `runc exec --process`.
 * Capability and rlimit names become numbers here so the engine never sees a string.
 */
#include <string.h>

#include "spec-json.h"
#include "strv.h"

static int parse_console_size(struct pctx *c, json_object *v, struct spec_process *p)
{
	int r = spec_json_want_object(c, v);
	if (r >= 0)
		r = spec_u32_at(c, v, "height", true, &p->console_height, NULL);
	if (r >= 0)
		r = spec_u32_at(c, v, "width", true, &p->console_width, NULL);
	if (r >= 0)
		p->has_console_size = true;
	return r;
}

static int parse_gids(struct pctx *c, json_object *v, struct spec_user *u)
{
	size_t n;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	gid_t *gids = calloc(n ? n : 1, sizeof(gid_t));
	if (!gids)
		return pctx_fail(c, ENOMEM, "out of memory");
	free(u->additional_gids);
	u->additional_gids = gids;
	u->n_additional_gids = n;
	for (size_t i = 0; i < n; i++) {
		uint32_t g;
		enter_idx(c, i);
		r = spec_json_u32(c, json_object_array_get_idx(v, i), &g);
		if (r < 0)
			return r;
		leave(c);
		gids[i] = g;
	}
	return 0;
}

static int parse_user(struct pctx *c, json_object *v, struct spec_user *u)
{
	int r = spec_json_want_object(c, v);
	if (r >= 0)
		r = spec_u32_at(c, v, "uid", true, &u->uid, NULL);
	if (r >= 0)
		r = spec_u32_at(c, v, "gid", true, &u->gid, NULL);
	json_object *m = member(v, "umask");
	if (r >= 0 && m) {
		uint64_t mask;
		enter_key(c, "umask");
		r = spec_json_u64(c, m, 0777, &mask);
		if (r < 0)
			return r;
		leave(c);
		u->has_umask = true;
		u->umask = (mode_t)mask;
	}
	json_object *g = member(v, "additionalGids");
	if (r >= 0 && g) {
		enter_key(c, "additionalGids");
		r = parse_gids(c, g, u);
		if (r < 0)
			return r;
		leave(c);
	}
	return r;
}

static int parse_cap_set(struct pctx *c, json_object *v, uint64_t *set)
{
	size_t n;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	*set = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name;
		enter_idx(c, i);
		r = spec_json_str_ref(c, json_object_array_get_idx(v, i), &name);
		if (r < 0)
			return r;
		int cap = spec_cap_from_name(name);
		if (cap < 0)
			return pctx_fail(c, EINVAL, "unknown capability '%s'", name);
		*set |= UINT64_C(1) << cap;
		leave(c);
	}
	return 0;
}

static int parse_caps(struct pctx *c, json_object *v, struct spec_process *p)
{
	static const char *const names[] = {"bounding", "effective", "inheritable", "permitted",
					    "ambient"};
	uint64_t *sets[] = {&p->caps.bounding, &p->caps.effective, &p->caps.inheritable,
			    &p->caps.permitted, &p->caps.ambient};
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		json_object *s = member(v, names[i]);
		if (!s)
			continue;
		enter_key(c, names[i]);
		r = parse_cap_set(c, s, sets[i]);
		if (r < 0)
			return r;
		leave(c);
	}
	p->has_caps = true;
	return 0;
}

static int parse_rlimit(struct pctx *c, json_object *v, struct spec_rlimit *rl)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if ((r = spec_name_at(c, v, "type", spec_rlimit_from_name, "rlimit", &rl->resource)) < 0)
		return r;
	r = spec_u64_at(c, v, "soft", true, UINT64_MAX, &rl->soft);
	if (r >= 0)
		r = spec_u64_at(c, v, "hard", true, UINT64_MAX, &rl->hard);
	return r;
}

static int parse_rlimits(struct pctx *c, json_object *v, struct spec_process *p)
{
	size_t n;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	struct spec_rlimit *rls = calloc(n ? n : 1, sizeof(*rls));
	if (!rls)
		return pctx_fail(c, ENOMEM, "out of memory");
	free(p->rlimits);
	p->rlimits = rls;
	p->n_rlimits = n;
	for (size_t i = 0; i < n; i++) {
		enter_idx(c, i);
		r = parse_rlimit(c, json_object_array_get_idx(v, i), &rls[i]);
		if (r < 0)
			return r;
		leave(c);
	}
	return 0;
}

static int parse_sched_flags(struct pctx *c, json_object *v, uint64_t *flags)
{
	size_t n;
	int r = spec_json_want_array(c, v, &n);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		const char *name;
		enter_idx(c, i);
		if ((r = spec_json_str_ref(c, json_object_array_get_idx(v, i), &name)) < 0)
			return r;
		int bit = spec_sched_flag_from_name(name);
		if (bit < 0)
			return pctx_fail(c, EINVAL, "unknown scheduler flag '%s'", name);
		*flags |= UINT64_C(1) << bit;
		leave(c);
	}
	return r;
}

static int parse_scheduler(struct pctx *c, json_object *v, struct spec_process *p)
{
	struct spec_scheduler *s = &p->scheduler;
	int64_t nice = 0, prio = 0;
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if ((r = spec_name_at(c, v, "policy", spec_sched_policy_from_name, "scheduler policy",
			      &s->policy)) < 0 ||
	    (r = spec_i64_at(c, v, "nice", false, -20, 19, &nice)) < 0 ||
	    (r = spec_i64_at(c, v, "priority", false, INT32_MIN, INT32_MAX, &prio)) < 0 ||
	    (r = SUB(c, v, "flags", parse_sched_flags, &s->flags)) < 0 ||
	    (r = spec_u64_at(c, v, "runtime", false, UINT64_MAX, &s->runtime)) < 0 ||
	    (r = spec_u64_at(c, v, "deadline", false, UINT64_MAX, &s->deadline)) < 0 ||
	    (r = spec_u64_at(c, v, "period", false, UINT64_MAX, &s->period)) < 0)
		return r;
	s->nice = (int32_t)nice;
	s->priority = (int32_t)prio;
	p->has_scheduler = true;
	return 0;
}

static int parse_io_priority(struct pctx *c, json_object *v, struct spec_process *p)
{
	int64_t level = 0;
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if ((r = spec_name_at(c, v, "class", spec_ioprio_class_from_name, "io priority class",
			      &p->io_priority_class)) < 0 ||
	    (r = spec_i64_at(c, v, "priority", true, 0, 7, &level)) < 0)
		return r;
	p->io_priority = (int)level;
	p->has_io_priority = true;
	return 0;
}

/* Fills *p, which the caller zeroed; on failure *p may hold partial data to release. */
int spec_read_process(struct pctx *c, json_object *v, struct spec_process *p)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if ((r = spec_bool_at(c, v, "terminal", &p->terminal, NULL)) < 0 ||
	    (r = SUB(c, v, "consoleSize", parse_console_size, p)) < 0)
		return r;
	json_object *u = member(v, "user");
	if (!u)
		return spec_missing(c, "user");
	if ((r = SUB(c, v, "user", parse_user, &p->user)) < 0 ||
	    (r = spec_strv_at(c, v, "args", false, &p->args)) < 0 ||
	    (r = spec_strv_at(c, v, "env", false, &p->env)) < 0 ||
	    (r = spec_str_at(c, v, "cwd", true, &p->cwd)) < 0 ||
	    (r = SUB(c, v, "capabilities", parse_caps, p)) < 0 ||
	    (r = SUB(c, v, "rlimits", parse_rlimits, p)) < 0 ||
	    (r = spec_bool_at(c, v, "noNewPrivileges", &p->no_new_privileges, NULL)) < 0 ||
	    (r = spec_str_at(c, v, "apparmorProfile", false, &p->apparmor_profile)) < 0 ||
	    (r = spec_str_at(c, v, "selinuxLabel", false, &p->selinux_label)) < 0 ||
	    (r = SUB(c, v, "scheduler", parse_scheduler, p)) < 0 ||
	    (r = SUB(c, v, "ioPriority", parse_io_priority, p)) < 0)
		return r;
	int64_t adj = SPEC_UNSET;
	/* The kernel's range for /proc/<pid>/oom_score_adj. */
	r = spec_i64_at(c, v, "oomScoreAdj", false, -1000, 1000, &adj);
	if (r < 0)
		return r;
	if (adj != SPEC_UNSET) {
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)adj;
	}
	return 0;
}

void spec_process_release(struct spec_process *p)
{
	if (!p)
		return;
	free(p->user.additional_gids);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	*p = (struct spec_process){0};
}

int spec_process_validate(const struct spec_process *p, const char *prefix, struct hutch_err *err)
{
	if (!p->args || !p->args[0])
		return err_set(err, EINVAL, "%sargs: must not be empty", prefix);
	if (!p->cwd)
		return err_set(err, EINVAL, "%scwd: missing required field", prefix);
	if (p->cwd[0] != '/')
		return err_set(err, EINVAL, "%scwd: '%s' is not an absolute path", prefix, p->cwd);
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct spec_rlimit *rl = &p->rlimits[i];
		if (rl->soft > rl->hard)
			return err_set(err, EINVAL, "%srlimits[%zu]: soft limit above hard limit",
				       prefix, i);
		/* The spec makes a repeated type an error rather than "last one wins". */
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == rl->resource)
				return err_set(err, EINVAL, "%srlimits[%zu].type: duplicate rlimit",
					       prefix, i);
	}
	return 0;
}

int spec_process_parse(const char *buf, size_t len, struct spec_process *ret, struct hutch_err *err)
{
	json_object *root = NULL;
	struct pctx c;

	*ret = (struct spec_process){0};
	int r = spec_json_tokenize(buf, len, &root, err);
	if (r < 0)
		return r;
	pctx_init(&c, err);
	r = spec_read_process(&c, root, ret);
	json_object_put(root);
	if (r >= 0)
		r = spec_process_validate(ret, "", err);
	if (r < 0)
		spec_process_release(ret);
	return r;
}
