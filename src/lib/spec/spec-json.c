/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Typed, limited readers over json-c objects (see spec-json.h). Everything read here comes
 * from the config author, who may be hostile: every length and count is checked before any
 * allocation sized by it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spec-json.h"
#include "strv.h"

static size_t format_path(const struct pctx *c, char *buf, size_t size)
{
	size_t n = 0;
	unsigned depth = c->depth < PATH_MAX_DEPTH ? c->depth : PATH_MAX_DEPTH;

	buf[0] = '\0';
	for (unsigned i = 0; i < depth && n < size; i++) {
		const struct path_elem *e = &c->path[i];
		int w;
		if (!e->key)
			w = snprintf(buf + n, size - n, "[%zu]", e->idx);
		else if (e->map_key)
			w = snprintf(buf + n, size - n, "['%s']", e->key);
		else
			w = snprintf(buf + n, size - n, "%s%s", i ? "." : "", e->key);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return n < size ? n : size - 1;
}

int pctx_fail(struct pctx *c, int code, const char *fmt, ...)
{
	char path[HUTCH_ERR_MSG_MAX / 2], msg[HUTCH_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (format_path(c, path, sizeof(path)) == 0)
		return err_set(c->err, code, "%s", msg);
	return err_set(c->err, code, "%s: %s", path, msg);
}

/*
 * One pass over the raw text before json-c allocates anything: counts objects and arrays, and
 * values (every value but the first in a container follows a comma), skipping string contents.
 * Malformed text is left for json-c to report.
 */
static int prescan(const char *buf, size_t len, struct hutch_err *err)
{
	size_t containers = 0, commas = 0;
	const char *p = buf, *end = buf + len;
	while (p < end) {
		char ch = *p++;
		if (ch == '"') {
			/* Most of a config is string text: jump to the closing quote, one that no
			 * odd run of backslashes escapes. */
			for (;;) {
				const char *q = memchr(p, '"', (size_t)(end - p));
				if (!q) {
					p = end;
					break;
				}
				size_t bs = 0;
				while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\')
					bs++;
				p = q + 1;
				if (bs % 2 == 0)
					break;
			}
		} else if (ch == '{' || ch == '[') {
			containers++;
		} else if (ch == ',') {
			commas++;
		}
	}
	if (containers > SPEC_MAX_JSON_CONTAINERS)
		return err_set(err, E2BIG, "invalid JSON: more than %u objects and arrays",
			       SPEC_MAX_JSON_CONTAINERS);
	if (containers + commas > SPEC_MAX_JSON_VALUES)
		return err_set(err, E2BIG, "invalid JSON: more than %u values",
			       SPEC_MAX_JSON_VALUES);
	return 0;
}

int spec_json_tokenize(const char *buf, size_t len, json_object **ret, struct hutch_err *err)
{
	if (len > SPEC_MAX_FILE_SIZE)
		return err_set(err, EFBIG, "config is %zu bytes, more than the limit of %u", len,
			       SPEC_MAX_FILE_SIZE);
	int r = prescan(buf, len, err);
	if (r < 0)
		return r;
	/* json-c counts its own nesting: deeper input stops with json_tokener_error_depth. */
	json_tokener *tok = json_tokener_new_ex(SPEC_MAX_JSON_DEPTH);
	if (!tok)
		return err_set(err, ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	if (jerr == json_tokener_error_depth) {
		json_object_put(o);
		return err_set(err, EINVAL, "invalid JSON: nested deeper than %d levels",
			       SPEC_MAX_JSON_DEPTH);
	}
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		if (jerr == json_tokener_success) /* the document is a bare null */
			return err_set(err, EINVAL, "expected a JSON object at the top level");
		if (jerr == json_tokener_continue)
			return err_set(err, EINVAL, "invalid JSON: unexpected end of input");
		return err_set(err, EINVAL, "invalid JSON at byte %zu: %s", end,
			       json_tokener_error_desc(jerr));
	}
	/* One document only: anything but whitespace after it is an error. */
	for (size_t i = end; i < len; i++) {
		if (!strchr(" \t\r\n", buf[i]) || buf[i] == '\0') {
			json_object_put(o);
			return err_set(err, EINVAL, "invalid JSON at byte %zu: trailing data", i);
		}
	}
	*ret = o;
	return 0;
}

int spec_json_want_object(struct pctx *c, json_object *v)
{
	if (!json_object_is_type(v, json_type_object))
		return pctx_fail(c, EINVAL, "expected an object");
	return 0;
}

int spec_json_want_map(struct pctx *c, json_object *v)
{
	int r = spec_json_want_object(c, v);
	if (r < 0)
		return r;
	if (json_object_object_length(v) > SPEC_MAX_ARRAY)
		return pctx_fail(c, E2BIG, "more than %d entries", SPEC_MAX_ARRAY);
	return 0;
}

int spec_json_want_array(struct pctx *c, json_object *v, size_t *ret_n)
{
	if (!json_object_is_type(v, json_type_array))
		return pctx_fail(c, EINVAL, "expected an array");
	size_t n = json_object_array_length(v);
	if (n > SPEC_MAX_ARRAY)
		return pctx_fail(c, E2BIG, "more than %d entries", SPEC_MAX_ARRAY);
	*ret_n = n;
	return 0;
}

int spec_json_str_ref(struct pctx *c, json_object *v, const char **ret)
{
	if (!json_object_is_type(v, json_type_string))
		return pctx_fail(c, EINVAL, "expected a string");
	int len = json_object_get_string_len(v);
	const char *s = json_object_get_string(v);
	if (len < 0 || (size_t)len > SPEC_MAX_STRING)
		return pctx_fail(c, E2BIG, "string longer than %u bytes", SPEC_MAX_STRING);
	/* "\u0000" survives JSON decoding; C would silently cut the string there. */
	if (memchr(s, '\0', (size_t)len))
		return pctx_fail(c, EINVAL, "string contains a NUL byte");
	*ret = s;
	return 0;
}

int spec_json_str(struct pctx *c, json_object *v, char **ret)
{
	const char *s = NULL;
	int r = spec_json_str_ref(c, v, &s);
	if (r < 0)
		return r;
	size_t len = (size_t)json_object_get_string_len(v);
	char *copy = malloc(len + 1);
	if (!copy)
		return pctx_fail(c, ENOMEM, "out of memory");
	memcpy(copy, s, len + 1);
	free(*ret);
	*ret = copy;
	return 0;
}

int spec_json_read_bool(struct pctx *c, json_object *v, bool *ret)
{
	if (!json_object_is_type(v, json_type_boolean))
		return pctx_fail(c, EINVAL, "expected a boolean");
	*ret = json_object_get_boolean(v);
	return 0;
}

/*
 * json-c keeps integers as int64 or uint64 and saturates beyond that; doubles are a separate
 * type, which we refuse as the Go runtimes do ("1.0" is not a uid).
 */
int spec_json_u64(struct pctx *c, json_object *v, uint64_t max, uint64_t *ret)
{
	if (!json_object_is_type(v, json_type_int))
		return pctx_fail(c, EINVAL, "expected an integer");
	int64_t s = json_object_get_int64(v);
	uint64_t u = json_object_get_uint64(v);
	if (s < 0 || u > max)
		return pctx_fail(c, ERANGE, "value out of range [0, %" PRIu64 "]", max);
	*ret = u;
	return 0;
}

int spec_json_i64(struct pctx *c, json_object *v, int64_t min, int64_t max, int64_t *ret)
{
	if (!json_object_is_type(v, json_type_int))
		return pctx_fail(c, EINVAL, "expected an integer");
	int64_t s = json_object_get_int64(v);
	/* A uint64 above INT64_MAX reads back as INT64_MAX: look at the unsigned value too. */
	bool too_big = s == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX;
	/* INT64_MIN doubles as SPEC_UNSET and is where json-c saturates: never a real value. */
	if (too_big || s == INT64_MIN || s < min || s > max)
		return pctx_fail(c, ERANGE, "value out of range [%" PRId64 ", %" PRId64 "]", min,
				 max);
	*ret = s;
	return 0;
}

int spec_json_u32(struct pctx *c, json_object *v, uint32_t *ret)
{
	uint64_t u = 0;
	int r = spec_json_u64(c, v, UINT32_MAX, &u);
	if (r >= 0)
		*ret = (uint32_t)u;
	return r;
}

int spec_json_strv(struct pctx *c, json_object *v, char ***ret)
{
	size_t n = 0;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	_cleanup_strv_ char **sv = calloc(n + 1, sizeof(char *));
	if (!sv)
		return pctx_fail(c, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		enter_idx(c, i);
		r = spec_json_str(c, json_object_array_get_idx(v, i), &sv[i]);
		if (r < 0)
			return r;
		leave(c);
	}
	strv_free(*ret);
	*ret = TAKE_PTR(sv);
	return 0;
}

void spec_kv_free(struct spec_key_value *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

int spec_json_kv(struct pctx *c, json_object *v, struct spec_key_value **ret, size_t *ret_n)
{
	int r = spec_json_want_map(c, v);
	if (r < 0)
		return r;
	size_t n = (size_t)json_object_object_length(v), i = 0;
	struct spec_key_value *kv = calloc(n ? n : 1, sizeof(*kv));
	if (!kv)
		return pctx_fail(c, ENOMEM, "out of memory");
	json_object_object_foreach(v, key, val)
	{
		enter_map_key(c, key);
		size_t klen = strlen(key);
		if (klen > SPEC_MAX_STRING)
			r = pctx_fail(c, E2BIG, "key longer than %u bytes", SPEC_MAX_STRING);
		else if (!(kv[i].key = strdup(key)))
			r = pctx_fail(c, ENOMEM, "out of memory");
		else
			r = spec_json_str(c, val, &kv[i].value);
		i++;
		if (r < 0) {
			spec_kv_free(kv, i);
			return r;
		}
		leave(c);
	}
	spec_kv_free(*ret, *ret_n);
	*ret = kv;
	*ret_n = n;
	return 0;
}

int spec_missing(struct pctx *c, const char *key)
{
	enter_key(c, key);
	return pctx_fail(c, EINVAL, "missing required field");
}

int spec_name_at(struct pctx *c, json_object *o, const char *key, int (*lookup)(const char *),
		 const char *what, int *ret)
{
	const char *name;
	json_object *v = member(o, key);
	if (!v)
		return spec_missing(c, key);
	enter_key(c, key);
	int r = spec_json_str_ref(c, v, &name);
	if (r < 0)
		return r;
	int n = lookup(name);
	if (n < 0)
		return pctx_fail(c, EINVAL, "unknown %s '%s'", what, name);
	leave(c);
	*ret = n;
	return 0;
}

#define AT(c, o, key, required, call)                                                              \
	({                                                                                         \
		json_object *_v = member(o, key);                                                  \
		int _r = 0;                                                                        \
		if (!_v) {                                                                         \
			if (required)                                                              \
				_r = spec_missing(c, key);                                         \
		} else {                                                                           \
			enter_key(c, key);                                                         \
			_r = (call);                                                               \
			if (_r >= 0)                                                               \
				leave(c);                                                          \
		}                                                                                  \
		_r;                                                                                \
	})

int spec_str_at(struct pctx *c, json_object *o, const char *key, bool required, char **ret)
{
	return AT(c, o, key, required, spec_json_str(c, _v, ret));
}

/* Sets *has (if given) once a member was read successfully. */
static int mark_has(int r, bool *has)
{
	if (r >= 0 && has)
		*has = true;
	return r;
}

int spec_bool_at(struct pctx *c, json_object *o, const char *key, bool *ret, bool *has)
{
	return AT(c, o, key, false, mark_has(spec_json_read_bool(c, _v, ret), has));
}

int spec_u32_at(struct pctx *c, json_object *o, const char *key, bool required, uint32_t *ret,
		bool *has)
{
	return AT(c, o, key, required, mark_has(spec_json_u32(c, _v, ret), has));
}

int spec_u64_at(struct pctx *c, json_object *o, const char *key, bool required, uint64_t max,
		uint64_t *ret)
{
	return AT(c, o, key, required, spec_json_u64(c, _v, max, ret));
}

int spec_i64_at(struct pctx *c, json_object *o, const char *key, bool required, int64_t min,
		int64_t max, int64_t *ret)
{
	return AT(c, o, key, required, spec_json_i64(c, _v, min, max, ret));
}

int spec_strv_at(struct pctx *c, json_object *o, const char *key, bool required, char ***ret)
{
	return AT(c, o, key, required, spec_json_strv(c, _v, ret));
}

int spec_kv_at(struct pctx *c, json_object *o, const char *key, struct spec_key_value **ret,
	       size_t *ret_n)
{
	return AT(c, o, key, false, spec_json_kv(c, _v, ret, ret_n));
}

static int id_map(struct pctx *c, json_object *v, struct spec_id_map *m)
{
	int r = spec_json_want_object(c, v);
	if (r >= 0)
		r = spec_u32_at(c, v, "containerID", true, &m->container_id, NULL);
	if (r >= 0)
		r = spec_u32_at(c, v, "hostID", true, &m->host_id, NULL);
	if (r >= 0)
		r = spec_u32_at(c, v, "size", true, &m->size, NULL);
	return r;
}

int spec_json_id_maps(struct pctx *c, json_object *v, struct spec_id_map **ret, size_t *ret_n)
{
	size_t n = 0;
	int r = spec_json_want_array(c, v, &n);
	if (r < 0)
		return r;
	_cleanup_free_ struct spec_id_map *maps = calloc(n ? n : 1, sizeof(*maps));
	if (!maps)
		return pctx_fail(c, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		enter_idx(c, i);
		r = id_map(c, json_object_array_get_idx(v, i), &maps[i]);
		if (r < 0)
			return r;
		leave(c);
	}
	free(*ret);
	*ret = TAKE_PTR(maps);
	*ret_n = n;
	return 0;
}
