/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Path permission rules: model, matching and precedence (see rules.h). */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "path.h"
#include "rules/rules.h"

#define RULES_FILE_MAX (1u << 20)
#define RULES_JSON_DEPTH 8
#define GLOB_COMPONENTS_MAX 128

static const char *const kind_names[] = { "glob", "directory", "file", "auto" };
static const char *const access_names[] = { "none", "view", "read", "write", "layout" };

const char *rule_kind_name(enum rule_kind k)
{
	return k <= RULE_KIND_AUTO ? kind_names[k] : "?";
}

const char *rule_access_name(enum rule_access a)
{
	return a <= RULE_ACCESS_LAYOUT ? access_names[a] : "?";
}

int rule_kind_from_name(const char *name, enum rule_kind *ret)
{
	for (size_t i = 0; i <= RULE_KIND_AUTO; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return *ret = (enum rule_kind)i, 0;
	return -EINVAL;
}

int rule_access_from_name(const char *name, enum rule_access *ret)
{
	for (size_t i = 0; i <= RULE_ACCESS_LAYOUT; i++)
		if (strcmp(name, access_names[i]) == 0)
			return *ret = (enum rule_access)i, 0;
	return -EINVAL;
}

static bool has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

int rule_normalise(const char *in, char *buf, size_t size, struct hutch_err *err)
{
	if (!*in)
		return err_set(err, EINVAL, "empty path pattern");
	if (strlen(in) >= RULE_PATTERN_MAX)
		return err_set(err, ENAMETOOLONG, "path pattern is longer than %d bytes", RULE_PATTERN_MAX);
	size_t n = 0;
	const char *p = in;
	if (*in != '/') {
		n = (size_t)snprintf(buf, size, "/work");
		if (n >= size)
			return err_set(err, ENAMETOOLONG, "path pattern '%s' is too long", in);
	}
	while (*p) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return err_set(err, EINVAL, "path pattern '%s': '..' is not allowed", in);
		if (!(len == 1 && p[0] == '.')) {
			if (n + 1 + len >= size)
				return err_set(err, ENAMETOOLONG, "path pattern '%s' is too long", in);
			buf[n++] = '/';
			memcpy(buf + n, p, len);
			n += len;
		}
		p += len;
	}
	if (n == 0)
		buf[n++] = '/';
	buf[n] = '\0';
	return 0;
}

int rule_set_add(struct rule_set *s, const char *pattern, enum rule_kind kind,
		 enum rule_access access, int32_t priority, struct hutch_err *err)
{
	if (s->n >= RULES_MAX)
		return err_set(err, E2BIG, "more than %d path rules", RULES_MAX);
	if (access == RULE_ACCESS_LAYOUT)
		return err_set(err, EINVAL, "rule '%s': access must be none, view, read or write", pattern);
	char buf[RULE_PATTERN_MAX + 8];
	int r = rule_normalise(pattern, buf, sizeof(buf), err);
	if (r < 0)
		return r;
	if (kind == RULE_KIND_AUTO && has_wildcard(buf))
		kind = RULE_GLOB;
	if (kind == RULE_GLOB) {
		size_t comps = 0;
		for (const char *c = buf; *c; c++)
			comps += *c == '/';
		if (comps > GLOB_COMPONENTS_MAX)
			return err_set(err, EINVAL, "glob '%s' has more than %d components", pattern,
				       GLOB_COMPONENTS_MAX);
	}
	struct rule *n = realloc(s->rules, (s->n + 1) * sizeof(*n));
	if (!n)
		return err_set(err, ENOMEM, "out of memory");
	s->rules = n;
	char *copy = strdup(buf);
	if (!copy)
		return err_set(err, ENOMEM, "out of memory");
	s->rules[s->n++] = (struct rule){ copy, kind, access, priority };
	return 0;
}

int rule_set_add_flag(struct rule_set *s, const char *flag, const char *arg, struct hutch_err *err)
{
	static const struct {
		const char *flag;
		enum rule_access access;
	} flags[] = {
		{ "--deny", RULE_ACCESS_NONE },
		{ "--allow-view", RULE_ACCESS_VIEW },
		{ "--allow-read", RULE_ACCESS_READ },
		{ "--allow-write", RULE_ACCESS_WRITE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (strcmp(flag, flags[i].flag) == 0) {
			int r = rule_set_add(s, arg, RULE_KIND_AUTO, flags[i].access, 0, err);
			return r < 0 ? err_prefix(err, "%s", flag) : r;
		}
	return err_set(err, EINVAL, "unknown rule flag '%s'", flag);
}

static int add_json_rule(struct rule_set *s, json_object *o, size_t i, struct hutch_err *err)
{
	json_object *v;
	if (!json_object_is_type(o, json_type_object))
		return err_set(err, EINVAL, "rules[%zu]: expected an object", i);
	const char *pattern = NULL, *access = NULL;
	enum rule_kind kind = RULE_KIND_AUTO;
	enum rule_access acc;
	int64_t prio = 0;
	if (!json_object_object_get_ex(o, "pattern", &v) || !json_object_is_type(v, json_type_string))
		return err_set(err, EINVAL, "rules[%zu].pattern: expected a string", i);
	pattern = json_object_get_string(v);
	if (!json_object_object_get_ex(o, "access", &v) || !json_object_is_type(v, json_type_string))
		return err_set(err, EINVAL, "rules[%zu].access: expected none, view, read or write", i);
	access = json_object_get_string(v);
	if (rule_access_from_name(access, &acc) < 0 || acc == RULE_ACCESS_LAYOUT)
		return err_set(err, EINVAL, "rules[%zu].access: '%s' is not none, view, read or write",
			       i, access);
	if (json_object_object_get_ex(o, "kind", &v)) {
		const char *k = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		if (rule_kind_from_name(k, &kind) < 0)
			return err_set(err, EINVAL, "rules[%zu].kind: expected file, directory, glob or auto", i);
	}
	if (json_object_object_get_ex(o, "priority", &v)) {
		errno = 0;
		prio = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || prio < -1000000 || prio > 1000000)
			return err_set(err, EINVAL, "rules[%zu].priority: expected an integer in "
				       "-1000000..1000000", i);
	}
	int r = rule_set_add(s, pattern, kind, acc, (int32_t)prio, err);
	return r < 0 ? err_prefix(err, "rules[%zu]", i) : r;
}

static int add_json_value(struct rule_set *s, json_object *root, struct hutch_err *err)
{
	json_object *rules = root, *v;
	if (json_object_is_type(root, json_type_object)) {
		if (json_object_object_get_ex(root, "default", &v)) {
			const char *d = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
			if (rule_access_from_name(d, &s->default_access) < 0)
				return err_set(err, EINVAL, "default: expected none, view, read, write or layout");
		}
		if (!json_object_object_get_ex(root, "rules", &rules))
			return 0;
	}
	if (!json_object_is_type(rules, json_type_array))
		return err_set(err, EINVAL, "rules: expected an array of rule objects");
	size_t n = json_object_array_length(rules);
	for (size_t i = 0; i < n; i++) {
		int r = add_json_rule(s, json_object_array_get_idx(rules, i), i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int rule_set_add_json(struct rule_set *s, const char *json, size_t len, const char *what,
		      struct hutch_err *err)
{
	if (len > RULES_FILE_MAX)
		return err_set(err, EFBIG, "%s: larger than %u bytes", what, RULES_FILE_MAX);
	json_tokener *tok = json_tokener_new_ex(RULES_JSON_DEPTH);
	if (!tok)
		return err_set(err, ENOMEM, "out of memory");
	json_object *root = json_tokener_parse_ex(tok, json, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!root || e != json_tokener_success) {
		json_object_put(root);
		return err_set(err, EINVAL, "%s: invalid JSON: %s", what, json_tokener_error_desc(e));
	}
	int r = add_json_value(s, root, err);
	json_object_put(root);
	return r < 0 ? err_prefix(err, "%s", what) : 0;
}

int rule_set_add_file(struct rule_set *s, const char *path, struct hutch_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_at(AT_FDCWD, path, RULES_FILE_MAX, &buf, &len);
	if (r < 0)
		return err_set_errno(err, -r, "rules file '%s'", path);
	char what[256];
	snprintf(what, sizeof(what), "rules file '%s'", path);
	return rule_set_add_json(s, buf, len, what, err);
}

void rule_set_release(struct rule_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rules[i].pattern);
	free(s->rules);
	s->rules = NULL;
	s->n = 0;
}

/* Splits a normalised path into NUL-terminated components inside buf. */
static size_t split(const char *path, char *buf, size_t size, const char **comps, size_t max)
{
	size_t len = strlen(path);
	if (len >= size)
		return SIZE_MAX;
	memcpy(buf, path, len + 1);
	size_t n = 0;
	for (char *p = buf; *p;) {
		while (*p == '/')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == max)
			return SIZE_MAX;
		comps[n++] = p;
		p += strcspn(p, "/");
	}
	return n;
}

enum glob_mode {
	GLOB_WHOLE,  /* the glob matches the whole path */
	GLOB_PREFIX, /* the glob matches the path or one of its ancestors */
	GLOB_BELOW,  /* the glob's first components match the whole path and more remain:
			it may match something beneath the path */
};

/*
 * Dynamic programming over (glob component, path component): row i says which path
 * prefixes the first i glob components match. Time O(G*P), no recursion, so a hostile
 * pattern or path cannot blow the stack or the clock.
 */
static bool glob_dp(const char *glob, const char *path, enum glob_mode mode)
{
	char gbuf[RULE_PATTERN_MAX + 8], pbuf[RULE_PATTERN_MAX + 8];
	const char *g[GLOB_COMPONENTS_MAX + 1], *p[RULE_PATTERN_MAX / 2 + 1];
	size_t G = split(glob, gbuf, sizeof(gbuf), g, GLOB_COMPONENTS_MAX + 1);
	size_t P = split(path, pbuf, sizeof(pbuf), p, RULE_PATTERN_MAX / 2 + 1);
	if (G == SIZE_MAX || P == SIZE_MAX)
		return mode == GLOB_BELOW; /* conservative where it matters */
	bool prev[RULE_PATTERN_MAX / 2 + 2], cur[RULE_PATTERN_MAX / 2 + 2];
	for (size_t j = 0; j <= P; j++)
		prev[j] = j == 0;
	bool below = false;
	for (size_t i = 1; i <= G; i++) {
		below |= prev[P];
		bool star2 = strcmp(g[i - 1], "**") == 0;
		for (size_t j = 0; j <= P; j++) {
			if (star2)
				cur[j] = prev[j] || (j > 0 && cur[j - 1]);
			else
				cur[j] = j > 0 && prev[j - 1] && fnmatch(g[i - 1], p[j - 1], 0) == 0;
		}
		memcpy(prev, cur, (P + 1) * sizeof(bool));
	}
	if (mode == GLOB_BELOW)
		return below || (G > 0 && strcmp(g[G - 1], "**") == 0 && prev[P]);
	if (mode == GLOB_WHOLE)
		return prev[P];
	for (size_t j = G ? 1 : 0; j <= P; j++)
		if (prev[j])
			return true;
	return false;
}

bool rule_glob_match(const char *glob, const char *path)
{
	return glob_dp(glob, path, GLOB_WHOLE);
}

bool rule_matches(const struct rule *r, const char *path)
{
	switch (r->kind) {
	case RULE_FILE:
		return strcmp(r->pattern, path) == 0;
	case RULE_DIRECTORY:
	case RULE_KIND_AUTO: /* unresolved: as a directory (a superset of file) */
		return path_is_under(path, r->pattern);
	case RULE_GLOB:
		return glob_dp(r->pattern, path, GLOB_PREFIX);
	}
	return false;
}

static int kind_rank(enum rule_kind k)
{
	return k == RULE_FILE ? 2 : k == RULE_GLOB ? 0 : 1;
}

/* True if a decides over b (both match): priority, kind, pattern length; b is earlier. */
static bool wins(const struct rule *a, const struct rule *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	if (kind_rank(a->kind) != kind_rank(b->kind))
		return kind_rank(a->kind) > kind_rank(b->kind);
	return strlen(a->pattern) >= strlen(b->pattern);
}

const struct rule *rule_set_decide(const struct rule_set *s, const char *path)
{
	const struct rule *best = NULL;
	for (size_t i = 0; i < s->n; i++)
		if (rule_matches(&s->rules[i], path) && (!best || wins(&s->rules[i], best)))
			best = &s->rules[i];
	return best;
}

enum rule_access rule_set_access(const struct rule_set *s, const char *path,
				 enum rule_access fallback)
{
	const struct rule *r = rule_set_decide(s, path);
	enum rule_access a = r ? r->access : s->default_access;
	return a == RULE_ACCESS_LAYOUT ? fallback : a;
}

bool rule_glob_reaches(const char *glob, const char *dir)
{
	return glob_dp(glob, dir, GLOB_PREFIX) || glob_dp(glob, dir, GLOB_BELOW);
}

bool rule_set_has_rules_below(const struct rule_set *s, const char *dir)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct rule *r = &s->rules[i];
		if (r->kind == RULE_GLOB ? glob_dp(r->pattern, dir, GLOB_BELOW)
					 : path_is_under(r->pattern, dir) && strcmp(dir, r->pattern) != 0)
			return true;
	}
	return false;
}

/* Takes the next ':'-separated token if accept() says it is one; advances *p past it. */
static bool take_token(const char **p, bool (*accept)(const char *tok, void *ret), void *ret)
{
	const char *colon = strchr(*p, ':');
	if (!colon || colon - *p > 32)
		return false;
	char tok[40];
	memcpy(tok, *p, (size_t)(colon - *p));
	tok[colon - *p] = '\0';
	if (!accept(tok, ret))
		return false;
	*p = colon + 1;
	return true;
}

static bool accept_access(const char *tok, void *ret)
{
	enum rule_access *a = ret;
	return rule_access_from_name(tok, a) == 0 && *a != RULE_ACCESS_LAYOUT;
}

static bool accept_kind(const char *tok, void *ret)
{
	return rule_kind_from_name(tok, ret) == 0;
}

static bool accept_priority(const char *tok, void *ret)
{
	char *end;
	errno = 0;
	long v = strtol(tok, &end, 10);
	/* The full int32 range: the default access's own rules (RULE_PRIORITY_DEFAULT) are
	 * written in this form too. */
	if (!*tok || *end || errno || v < INT32_MIN || v > INT32_MAX)
		return false;
	*(int32_t *)ret = (int32_t)v;
	return true;
}

int rule_set_add_text(struct rule_set *s, const char *text, struct hutch_err *err)
{
	const char *p = text;
	enum rule_access access;
	enum rule_kind kind = RULE_KIND_AUTO;
	int32_t prio = 0;
	if (!take_token(&p, accept_access, &access))
		return err_set(err, EINVAL, "rule '%s': expected ACCESS[:KIND][:PRIORITY]:PATTERN "
			       "with ACCESS none, view, read or write", text);
	take_token(&p, accept_kind, &kind);
	take_token(&p, accept_priority, &prio);
	int r = rule_set_add(s, p, kind, access, prio, err);
	return r < 0 ? err_prefix(err, "rule '%s'", text) : r;
}

char *rule_to_text(const struct rule *r)
{
	char *t = NULL;
	if (asprintf(&t, "%s:%s:%d:%s", rule_access_name(r->access), rule_kind_name(r->kind),
		     (int)r->priority, r->pattern) < 0)
		return NULL;
	return t;
}
