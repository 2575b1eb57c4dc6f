/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for path rules → spec (src/lib/sandbox/rules-plan.c, rules-spec.c): which
 * mechanism each rule gets, the mounts it adds (and their order), the FUSE servers and
 * their sources, the annotation read back, the default access, and the errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "sandbox/rules-plan.h"
#include "sandbox/sandbox.h"
#include "strv.h"

static char ws[64];

static int make_workspace(void **state)
{
	(void)state;
	strcpy(ws, "/tmp/hutch-rules-plan-XXXXXX");
	if (!mkdtemp(ws))
		return -1;
	char p[128];
	snprintf(p, sizeof(p), "%s/sub", ws);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/.env", ws);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	return 0;
}

static int remove_workspace(void **state)
{
	(void)state;
	char p[128];
	snprintf(p, sizeof(p), "%s/sub", ws);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/.env", ws);
	unlink(p);
	return rmdir(ws);
}

/* Builds the spec of a sandbox with these rules (NULL-terminated). */
static int build(const char *default_access, struct spec **ret, struct hutch_err *err, ...)
{
	va_list ap;
	va_start(ap, err);
	char **rules = NULL;
	for (const char *r; (r = va_arg(ap, const char *));)
		strv_push(&rules, r);
	va_end(ap);
	struct sandbox_opts o = { .workspace = ws, .agent = "/bin/true", .rules = rules,
				  .default_access = default_access };
	int r = sandbox_build_spec(&o, ret, err);
	strv_free(rules);
	return r;
}

static struct json_object *plan_of(const struct spec *s)
{
	const char *a = rules_plan_annotation(s);
	assert_non_null(a);
	return json_tokener_parse(a);
}

/* enforced_by and at of rule i. */
static void expect_rule(struct json_object *plan, size_t i, const char *mech, const char *at)
{
	struct json_object *rules, *e, *v;
	assert_true(json_object_object_get_ex(plan, "rules", &rules));
	e = json_object_array_get_idx(rules, i);
	assert_non_null(e);
	assert_true(json_object_object_get_ex(e, "enforced_by", &v));
	assert_string_equal(json_object_get_string(v), mech);
	if (at) {
		assert_true(json_object_object_get_ex(e, "at", &v));
		assert_string_equal(json_object_get_string(v), at);
	}
}

static const struct spec_mount *mount_at(const struct spec *s, const char *dst, size_t nth)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i].destination, dst) == 0 && nth-- == 0)
			return &s->mounts[i];
	return NULL;
}

static void test_no_rules_no_annotation(void **state)
{
	(void)state;
	struct spec *s = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(build(NULL, &s, &err, NULL), 0);
	assert_null(rules_plan_annotation(s));
	spec_free(s);
}

static void test_read_existing_is_a_bind(void **state)
{
	(void)state;
	struct spec *s = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(build(NULL, &s, &err, "read:sub", NULL), 0);
	const struct spec_mount *m = mount_at(s, "/work/sub", 0);
	assert_non_null(m);
	assert_string_equal(m->type, "bind");
	assert_true(strv_contains(m->options, "ro"));
	/* The source is opened at start without following symlinks (rules-source.c): the
	 * spec names it by its place in the annotation's binds. */
	assert_string_equal(m->source, RULES_BIND_SOURCE "0");
	/* The workspace's id mapping comes along, as root. */
	if (geteuid() == 0)
		assert_int_equal(m->n_uid_mappings, 1);
	struct json_object *p = plan_of(s);
	expect_rule(p, 0, "mount", "/work/sub");
	struct json_object *binds, *b, *v;
	assert_true(json_object_object_get_ex(p, "binds", &binds));
	b = json_object_array_get_idx(binds, 0);
	assert_true(json_object_object_get_ex(b, "base", &v));
	assert_string_equal(json_object_get_string(v), ws);
	assert_true(json_object_object_get_ex(b, "rel", &v));
	assert_string_equal(json_object_get_string(v), "sub");
	assert_true(json_object_object_get_ex(b, "root", &v));
	assert_false(json_object_get_boolean(v));
	json_object_put(p);
	/* Read back: the bind, and its source opened (no symlink on the way). */
	struct rules_plan back;
	struct hutch_err e2 = { 0 };
	assert_int_equal(rules_plan_from_spec(s, &back, &e2), 0);
	assert_int_equal(back.n_binds, 1);
	int fd = rules_open_source(back.binds[0].base, back.binds[0].rel, back.binds[0].host_root, &e2);
	assert_true(fd >= 0);
	close(fd);
	rules_plan_release(&back);
	spec_free(s);
}

static void test_sources_refuse_planted_symlinks(void **state)
{
	(void)state;
	struct hutch_err err = { 0 };
	char link[128];
	snprintf(link, sizeof(link), "%s/lnk", ws);
	assert_int_equal(symlink("/root", link), 0);
	assert_int_equal(rules_open_source(ws, "lnk", false, &err), -ELOOP);
	assert_non_null(strstr(err.msg, "symlink"));
	assert_int_equal(rules_open_source(ws, "lnk/x", false, &err), -ELOOP);
	unlink(link);
	/* The host root: the system's own links are followed (/bin -> usr/bin on merged /usr),
	 * one in a directory others can write is not. */
	int fd = rules_open_source("/", "usr/bin", true, &err);
	assert_true(fd >= 0);
	close(fd);
	char tmpl[] = "/tmp/hutch-rules-src-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	chmod(tmpl, 0777);
	snprintf(link, sizeof(link), "%s/l", tmpl);
	assert_int_equal(symlink("/etc", link), 0);
	assert_int_equal(rules_open_source("/", link + 1, true, &err), -ELOOP);
	unlink(link);
	rmdir(tmpl);
}

static void test_deny_is_fuse_at_the_region(void **state)
{
	(void)state;
	struct spec *s = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(build(NULL, &s, &err, "none:.env", "none:glob:/work/**/*.pem", "read:sub", NULL), 0);
	struct json_object *p = plan_of(s);
	expect_rule(p, 0, "fuse", "/work");
	expect_rule(p, 1, "fuse", "/work");
	expect_rule(p, 2, "fuse", "/work"); /* inside the anchor: the server enforces it */
	struct json_object *servers, *sv, *v;
	assert_true(json_object_object_get_ex(p, "servers", &servers));
	assert_int_equal(json_object_array_length(servers), 1); /* one server for both */
	sv = json_object_array_get_idx(servers, 0);
	assert_true(json_object_object_get_ex(sv, "source", &v));
	assert_string_equal(json_object_get_string(v), ws);
	assert_true(json_object_object_get_ex(sv, "fallback", &v));
	assert_string_equal(json_object_get_string(v), "write");
	json_object_put(p);
	/* The FUSE mount comes after the workspace's bind, and no bind for sub remains. */
	const struct spec_mount *fm = mount_at(s, "/work", 1);
	assert_non_null(fm);
	assert_string_equal(fm->source, RULES_PATHFS_SOURCE "0");
	assert_null(mount_at(s, "/work/sub", 0));
	/* Read back for sandbox_start: the rules and the server. */
	struct rules_plan back;
	assert_int_equal(rules_plan_from_spec(s, &back, &err), 0);
	assert_int_equal(back.rules.n, 3);
	assert_int_equal(back.n_servers, 1);
	assert_string_equal(back.servers[0].anchor, "/work");
	assert_int_equal(rule_set_access(&back.rules, "/work/a/b.pem", RULE_ACCESS_WRITE), RULE_ACCESS_NONE);
	rules_plan_release(&back);
	spec_free(s);
}

static void test_top_level_and_missing(void **state)
{
	(void)state;
	struct spec *s = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(build(NULL, &s, &err, "none:/proc-not-here-xyz", "none:/etc", "view:/usr/share", NULL), 0);
	struct json_object *p = plan_of(s);
	expect_rule(p, 0, "layout", NULL); /* nothing can create it in the read-only root */
	expect_rule(p, 1, "mount", "/etc");  /* an empty tmpfs over a top-level directory */
	expect_rule(p, 2, "fuse", "/usr");
	json_object_put(p);
	const struct spec_mount *m = mount_at(s, "/etc", 0);
	assert_non_null(m);
	assert_string_equal(m->type, "tmpfs");
	assert_true(strv_contains(m->options, "mode=000"));
	spec_free(s);
}

static void test_mounts_ordered_parents_first(void **state)
{
	(void)state;
	struct spec *s = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(build(NULL, &s, &err, "read:/work/sub", "write:/usr/share", "read:/usr", NULL), 0);
	for (size_t i = 1; i < s->n_mounts; i++) {
		const char *a = s->mounts[i - 1].destination, *b = s->mounts[i].destination;
		size_t da = 0, db = 0;
		for (; *a; a++)
			da += *a == '/';
		for (; *b; b++)
			db += *b == '/';
		assert_true(da <= db);
	}
	spec_free(s);
}

static void fails(const char *rule, const char *want)
{
	struct spec *s = NULL;
	struct hutch_err err = { 0 };
	assert_true(build(NULL, &s, &err, rule, NULL) < 0);
	if (!strstr(err.msg, want))
		fail_msg("'%s': error '%s' does not contain '%s'", rule, err.msg, want);
	assert_null(s);
}

static void test_errors(void **state)
{
	(void)state;
	fails("none:glob:/**/*.pem", "whole root");
	fails("none:/tmp/x", "/tmp' is a tmpfs");
	fails("read:/proc/x", "'/proc' is a proc");
	fails("none:/dev/.hutch-agent", "agent");
	fails("exec:/work", "ACCESS");
	fails("read:/a/../b", "'..'");
}

static void test_default_none(void **state)
{
	(void)state;
	struct spec *s = NULL;
	struct hutch_err err = { 0 };
	int r = build("none", &s, &err, "write:/work", "read:/usr", NULL);
	if (r < 0 && geteuid() != 0)
		skip(); /* the empty root needs a runtime dir */
	assert_int_equal(r, 0);
	assert_true(s->root_readonly);
	assert_string_not_equal(s->root_path, "/");
	assert_non_null(spec_annotation(s, "run.hutch.rootfs.overlay"));
	struct json_object *p = plan_of(s);
	expect_rule(p, 0, "mount", "/work");
	expect_rule(p, 1, "mount", "/usr");
	expect_rule(p, 2, "shadowed", "/work"); /* the default's own rule for /work */
	json_object_put(p);
	spec_free(s);
	assert_true(build("view", &s, &err, NULL) < 0);
	assert_non_null(strstr(err.msg, "default access 'view'"));
	assert_true(build("sometimes", &s, &err, NULL) < 0);
}

/* A workspace the host root also shows (not under a tmpfs of the sandbox): its host path is
 * covered, so a rule on /work cannot be read around. A --mount inside /work keeps a server
 * of its own. */
static void test_host_path_hidden_and_nested_regions(void **state)
{
	(void)state;
	char dir[] = "/var/lib/hutch-unit-XXXXXX", sub[64];
	if (!mkdtemp(dir))
		skip();
	chmod(dir, 0755);
	snprintf(sub, sizeof(sub), "%s/data", dir);
	mkdir(sub, 0755);
	char *rules[] = { (char *)"none:/work/.env", (char *)"none:/work/data/key", NULL };
	char mnt[96];
	snprintf(mnt, sizeof(mnt), "%s:/work/data", sub);
	char *mounts[] = { mnt, NULL };
	struct sandbox_opts o = { .workspace = dir, .agent = "/bin/true", .rules = rules,
				  .mounts = mounts };
	struct spec *s = NULL;
	struct hutch_err err = { 0 };
	int r = sandbox_build_spec(&o, &s, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	const struct spec_mount *h = mount_at(s, dir, 0);
	assert_non_null(h);
	assert_string_equal(h->type, "tmpfs");
	struct json_object *p = plan_of(s), *servers, *hidden;
	assert_true(json_object_object_get_ex(p, "servers", &servers));
	assert_int_equal(json_object_array_length(servers), 2); /* /work and /work/data */
	assert_true(json_object_object_get_ex(p, "hidden_sources", &hidden));
	assert_int_equal(json_object_array_length(hidden), 2);
	json_object_put(p);
	/* /work/data's FUSE mount comes after its bind. */
	const struct spec_mount *bind = mount_at(s, "/work/data", 0), *fuse = mount_at(s, "/work/data", 1);
	assert_non_null(bind);
	assert_non_null(fuse);
	assert_string_equal(fuse->source, RULES_PATHFS_SOURCE "1");
	spec_free(s);
	rmdir(sub);
	rmdir(dir);
}

/* A glob that a same-priority directory rule overrides is worth a warning; not with a
 * higher priority. */
static void test_warning_when_a_directory_beats_a_glob(void **state)
{
	(void)state;
	struct spec *s = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(build(NULL, &s, &err, "none:glob:/work/**/*.pem", "read:sub", NULL), 0);
	char **w = rules_plan_warnings(s);
	assert_int_equal(strv_length(w), 1);
	assert_non_null(strstr(w[0], "does not apply inside '/work/sub'"));
	strv_free(w);
	spec_free(s);
	assert_int_equal(build(NULL, &s, &err, "none:glob:1:/work/**/*.pem", "read:sub", NULL), 0);
	w = rules_plan_warnings(s);
	assert_int_equal(strv_length(w), 0);
	strv_free(w);
	spec_free(s);
	assert_int_equal(build(NULL, &s, &err, "none:glob:/work/sub/*.key", "read:/etc", NULL), 0);
	w = rules_plan_warnings(s); /* the glob cannot reach /etc */
	assert_int_equal(strv_length(w), 0);
	strv_free(w);
	spec_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_rules_no_annotation),
		cmocka_unit_test(test_read_existing_is_a_bind),
		cmocka_unit_test(test_deny_is_fuse_at_the_region),
		cmocka_unit_test(test_sources_refuse_planted_symlinks),
		cmocka_unit_test(test_top_level_and_missing),
		cmocka_unit_test(test_mounts_ordered_parents_first),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_default_none),
		cmocka_unit_test(test_host_path_hidden_and_nested_regions),
		cmocka_unit_test(test_warning_when_a_directory_beats_a_glob),
	};
	return cmocka_run_group_tests(tests, make_workspace, remove_workspace);
}
