/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to src/lib/spec: typed readers over json-c objects that enforce the SPEC_MAX_*
 * limits and name the offending field on failure ("linux.namespaces[2].type: ...").
 *
 * The field path is kept as a small stack of pointers (keys, indexes) that is only turned into
 * text when an error is reported, so the success path never formats anything.
 *
 * Conventions: every reader takes the value (NULL = absent or JSON null, which the Go
 * runtimes treat as absent too) and returns 0 or -errno with ctx->err filled. Readers named
 * *_at look the member up themselves and push its key.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "spec.h"

#define PATH_MAX_DEPTH (SPEC_MAX_JSON_DEPTH + 4)

struct path_elem {
	const char *key; /* NULL: an array index */
	size_t idx;
	bool map_key; /* key of a free-form map: printed as ['key'] */
};

struct pctx {
	struct hutch_err *err;
	unsigned depth;
	struct path_elem path[PATH_MAX_DEPTH];
};

static inline void pctx_init(struct pctx *c, struct hutch_err *err)
{
	c->err = err;
	c->depth = 0;
}

/* The stack cannot overflow for parsed input (json-c caps nesting); clamp for hand-made calls. */
static inline void enter_key(struct pctx *c, const char *key)
{
	if (c->depth < PATH_MAX_DEPTH)
		c->path[c->depth] = (struct path_elem){.key = key};
	c->depth++;
}

static inline void enter_map_key(struct pctx *c, const char *key)
{
	if (c->depth < PATH_MAX_DEPTH)
		c->path[c->depth] = (struct path_elem){.key = key, .map_key = true};
	c->depth++;
}

static inline void enter_idx(struct pctx *c, size_t idx)
{
	if (c->depth < PATH_MAX_DEPTH)
		c->path[c->depth] = (struct path_elem){.idx = idx};
	c->depth++;
}

static inline void leave(struct pctx *c)
{
	c->depth--;
}

/* Member `key` of object o, or NULL when absent or null. */
static inline json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* Runs fn on member `key` of o with the key on the path; absent members are skipped. */
#define SUB(c, o, key, fn, ...)                                                                    \
	({                                                                                         \
		json_object *_s = member(o, key);                                                  \
		int _r = 0;                                                                        \
		if (_s) {                                                                          \
			enter_key(c, key);                                                         \
			_r = fn(c, _s, __VA_ARGS__);                                               \
			if (_r >= 0)                                                               \
				leave(c);                                                          \
		}                                                                                  \
		_r;                                                                                \
	})

/* Fills ctx->err with "<path>: <message>" and returns -code. */
int pctx_fail(struct pctx *c, int code, const char *fmt, ...) _printf_(3, 4);

/* Parses a whole buffer into a json-c object with the depth, size and trailing-data checks. */
int spec_json_tokenize(const char *buf, size_t len, json_object **ret, struct hutch_err *err);

int spec_json_want_object(struct pctx *c, json_object *v);
/* Checks v is an array of at most SPEC_MAX_ARRAY entries; returns its length in *ret_n. */
int spec_json_want_array(struct pctx *c, json_object *v, size_t *ret_n);
/* Checks v is an object of at most SPEC_MAX_ARRAY members. */
int spec_json_want_map(struct pctx *c, json_object *v);

/* String of at most SPEC_MAX_STRING bytes, no embedded NUL; a heap copy in *ret. */
int spec_json_str(struct pctx *c, json_object *v, char **ret);
/* Same checks, borrowing json-c's buffer (valid while the tree lives). */
int spec_json_str_ref(struct pctx *c, json_object *v, const char **ret);
int spec_json_read_bool(struct pctx *c, json_object *v, bool *ret);
/* Integers only (no fractions, no exponent forms that json-c reads as doubles). */
int spec_json_u64(struct pctx *c, json_object *v, uint64_t max, uint64_t *ret);
int spec_json_i64(struct pctx *c, json_object *v, int64_t min, int64_t max, int64_t *ret);
int spec_json_u32(struct pctx *c, json_object *v, uint32_t *ret);
/* Array of strings into a NULL-terminated vector (an empty array gives an empty vector). */
int spec_json_strv(struct pctx *c, json_object *v, char ***ret);
/* Object of string values into key/value pairs. */
int spec_json_kv(struct pctx *c, json_object *v, struct spec_key_value **ret, size_t *ret_n);

/* The same, looking up member `key` of o. Absent optional members leave *ret untouched. */
int spec_str_at(struct pctx *c, json_object *o, const char *key, bool required, char **ret);
int spec_bool_at(struct pctx *c, json_object *o, const char *key, bool *ret, bool *has);
int spec_u32_at(struct pctx *c, json_object *o, const char *key, bool required, uint32_t *ret,
		bool *has);
int spec_u64_at(struct pctx *c, json_object *o, const char *key, bool required, uint64_t max,
		uint64_t *ret);
int spec_i64_at(struct pctx *c, json_object *o, const char *key, bool required, int64_t min,
		int64_t max, int64_t *ret);
int spec_strv_at(struct pctx *c, json_object *o, const char *key, bool required, char ***ret);
int spec_kv_at(struct pctx *c, json_object *o, const char *key, struct spec_key_value **ret,
	       size_t *ret_n);
int spec_missing(struct pctx *c, const char *key);
/* Required string member `key` looked up with lookup(); "unknown <what> '<name>'" if < 0. */
int spec_name_at(struct pctx *c, json_object *o, const char *key, int (*lookup)(const char *),
		 const char *what, int *ret);

/* Reads an array of ID mappings ({containerID, hostID, size}). */
int spec_json_id_maps(struct pctx *c, json_object *v, struct spec_id_map **ret, size_t *ret_n);

void spec_kv_free(struct spec_key_value *kv, size_t n);

/* Name tables (spec-names.c). Return -1 when unknown. */
int spec_namespace_from_name(const char *name);
const char *spec_namespace_to_name(int type);
int spec_rlimit_from_name(const char *name);
int spec_sched_policy_from_name(const char *name);
int spec_sched_flag_from_name(const char *name); /* bit number */
int spec_ioprio_class_from_name(const char *name);
int spec_personality_from_name(const char *name);

/* Section parsers shared by spec_parse and the stand-alone entry points. */
int spec_read_process(struct pctx *c, json_object *v, struct spec_process *p);
int spec_read_resources(struct pctx *c, json_object *v, struct spec_resources *r);
int spec_read_linux(struct pctx *c, json_object *v, struct spec_linux *l);
void spec_resources_init(struct spec_resources *r);
void spec_linux_release(struct spec_linux *l);
/* prefix names the object in messages: "process." in a config, "" for process.json. */
int spec_resources_validate(const struct spec_resources *r, const char *prefix,
			    struct hutch_err *err);
int spec_process_validate(const struct spec_process *p, const char *prefix, struct hutch_err *err);
