/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the path rules model (src/lib/rules/rules.c): normalising patterns, glob
 * matching with '**', which rule decides (priority, then kind, then length, then order),
 * the default, the JSON form with every error naming its field, and the rename guard.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

static void add(struct rule_set *s, const char *p, enum rule_kind k, enum rule_access a, int prio)
{
	struct hutch_err err = { 0 };
	if (rule_set_add(s, p, k, a, prio, &err) < 0)
		fail_msg("add '%s': %s", p, err.msg);
}

static const char *access_of(const struct rule_set *s, const char *path)
{
	return rule_access_name(rule_set_access(s, path, RULE_ACCESS_LAYOUT));
}

static void test_normalise(void **state)
{
	(void)state;
	char buf[RULE_PATTERN_MAX + 8];
	struct hutch_err err = { 0 };
	static const char *const cases[][2] = {
		{ "/a//b/./c/", "/a/b/c" }, { "secrets", "/work/secrets" }, { "./x/y", "/work/x/y" },
		{ "/", "/" }, { "//", "/" }, { "**/*.env", "/work/**/*.env" }, { ".", "/work" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(rule_normalise(cases[i][0], buf, sizeof(buf), &err), 0);
		assert_string_equal(buf, cases[i][1]);
	}
	assert_int_equal(rule_normalise("/a/../etc", buf, sizeof(buf), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'..'"));
	assert_int_equal(rule_normalise("", buf, sizeof(buf), &err), -EINVAL);
	char longp[RULE_PATTERN_MAX + 10];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(rule_normalise(longp, buf, sizeof(buf), &err), -ENAMETOOLONG);
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(rule_glob_match("/work/*.env", "/work/.env")); /* dot files are not special */
	assert_true(rule_glob_match("/work/*.env", "/work/a.env"));
	assert_false(rule_glob_match("/work/*.env", "/work/d/a.env")); /* '*' stays in a component */
	assert_true(rule_glob_match("/work/**/*.env", "/work/a.env")); /* '**' may be empty */
	assert_true(rule_glob_match("/work/**/*.env", "/work/a/b/c/x.env"));
	assert_false(rule_glob_match("/work/**/*.env", "/tmp/x.env"));
	assert_true(rule_glob_match("/**", "/anything/at/all"));
	assert_true(rule_glob_match("/work/?.txt", "/work/a.txt"));
	assert_false(rule_glob_match("/work/?.txt", "/work/ab.txt"));
	assert_true(rule_glob_match("/work/[ab]*", "/work/bee"));
	assert_true(rule_glob_match("/work/**/node_modules/**", "/work/x/node_modules/y/z"));
	/* A glob that matches a directory covers what is inside it. */
	struct rule r = { (char *)"/work/**/secret*", RULE_GLOB, RULE_ACCESS_NONE, 0 };
	assert_true(rule_matches(&r, "/work/a/secrets/inner/file"));
	assert_false(rule_matches(&r, "/work/a/public/file"));
}

static void test_glob_hostile_is_bounded(void **state)
{
	(void)state;
	/* Many '**' against a deep path: the DP is O(G*P), this returns at once. */
	char glob[1024] = "", path[4000] = "";
	for (int i = 0; i < 100; i++)
		strcat(glob, "/**");
	strcat(glob, "/x");
	for (int i = 0; i < 1900; i++)
		strcat(path, "/a");
	assert_false(rule_glob_match(glob, path));
	strcat(path, "/x");
	assert_true(rule_glob_match(glob, path));
	struct rule_set s = { 0 };
	struct hutch_err err = { 0 };
	char many[2048] = "";
	for (int i = 0; i < 200; i++)
		strcat(many, "/*");
	assert_int_equal(rule_set_add(&s, many, RULE_GLOB, RULE_ACCESS_NONE, 0, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "components"));
}

static void test_kinds(void **state)
{
	(void)state;
	struct rule f = { (char *)"/work/a", RULE_FILE, RULE_ACCESS_NONE, 0 };
	struct rule d = { (char *)"/work/a", RULE_DIRECTORY, RULE_ACCESS_NONE, 0 };
	assert_true(rule_matches(&f, "/work/a"));
	assert_false(rule_matches(&f, "/work/a/b"));
	assert_true(rule_matches(&d, "/work/a"));
	assert_true(rule_matches(&d, "/work/a/b/c"));
	assert_false(rule_matches(&d, "/work/ab")); /* a prefix of a name is not beneath */
	struct rule root = { (char *)"/", RULE_DIRECTORY, RULE_ACCESS_READ, 0 };
	assert_true(rule_matches(&root, "/etc/passwd"));
}

static void test_precedence(void **state)
{
	(void)state;
	struct rule_set s = { .default_access = RULE_ACCESS_LAYOUT };
	add(&s, "/work", RULE_DIRECTORY, RULE_ACCESS_WRITE, 0);
	add(&s, "/work/**/*.pem", RULE_GLOB, RULE_ACCESS_NONE, 0);
	add(&s, "/work/certs", RULE_DIRECTORY, RULE_ACCESS_READ, 0);
	add(&s, "/work/certs/ca.pem", RULE_FILE, RULE_ACCESS_VIEW, 0);
	add(&s, "/work/keep/**", RULE_GLOB, RULE_ACCESS_READ, 5);
	/* No rule: the layout decides. */
	assert_string_equal(access_of(&s, "/etc/passwd"), "layout");
	assert_string_equal(access_of(&s, "/work/src/main.c"), "write");
	/* Same priority: directory beats glob even though the glob's pattern is longer. */
	assert_string_equal(access_of(&s, "/work/certs/server.pem"), "read");
	/* ... and a file rule beats both. */
	assert_string_equal(access_of(&s, "/work/certs/ca.pem"), "view");
	/* Glob beats the shorter /work directory? No: directory beats glob at equal priority. */
	assert_string_equal(access_of(&s, "/work/deep/x.pem"), "write");
	/* Priority first: the priority 5 glob beats the /work directory rule. */
	assert_string_equal(access_of(&s, "/work/keep/a/b"), "read");
	rule_set_release(&s);

	struct rule_set t = { .default_access = RULE_ACCESS_LAYOUT };
	add(&t, "/work/**/*.pem", RULE_GLOB, RULE_ACCESS_NONE, 1);
	add(&t, "/work", RULE_DIRECTORY, RULE_ACCESS_WRITE, 0);
	assert_string_equal(access_of(&t, "/work/deep/x.pem"), "none");
	/* Same priority and kind: the longer pattern decides. */
	add(&t, "/work/a", RULE_DIRECTORY, RULE_ACCESS_READ, 0);
	add(&t, "/work/a/b", RULE_DIRECTORY, RULE_ACCESS_VIEW, 0);
	assert_string_equal(access_of(&t, "/work/a/b/c"), "view");
	assert_string_equal(access_of(&t, "/work/a/c"), "read");
	/* Everything equal: the later rule. */
	add(&t, "/work/a", RULE_DIRECTORY, RULE_ACCESS_NONE, 0);
	assert_string_equal(access_of(&t, "/work/a/c"), "none");
	rule_set_release(&t);
}

static void test_default_access(void **state)
{
	(void)state;
	struct rule_set s = { .default_access = RULE_ACCESS_NONE };
	add(&s, "/usr", RULE_DIRECTORY, RULE_ACCESS_READ, 0);
	assert_string_equal(access_of(&s, "/usr/bin/sh"), "read");
	assert_string_equal(access_of(&s, "/home/u/.ssh/id_rsa"), "none");
	assert_int_equal(rule_set_access(&s, "/home", RULE_ACCESS_WRITE), RULE_ACCESS_NONE);
	s.default_access = RULE_ACCESS_LAYOUT;
	assert_int_equal(rule_set_access(&s, "/home", RULE_ACCESS_WRITE), RULE_ACCESS_WRITE);
	rule_set_release(&s);
}

static void test_flags(void **state)
{
	(void)state;
	struct rule_set s = { 0 };
	struct hutch_err err = { 0 };
	assert_int_equal(rule_set_add_flag(&s, "--deny", ".env", &err), 0);
	assert_int_equal(rule_set_add_flag(&s, "--allow-read", "/etc/ssl", &err), 0);
	assert_int_equal(rule_set_add_flag(&s, "--allow-write", "/work/**/out", &err), 0);
	assert_int_equal(rule_set_add_flag(&s, "--allow-view", "/data", &err), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.rules[0].pattern, "/work/.env");
	assert_int_equal(s.rules[0].access, RULE_ACCESS_NONE);
	assert_int_equal(s.rules[0].kind, RULE_KIND_AUTO);
	assert_int_equal(s.rules[2].kind, RULE_GLOB);
	assert_int_equal(s.rules[3].access, RULE_ACCESS_VIEW);
	assert_int_equal(rule_set_add_flag(&s, "--deny", "/a/../b", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--deny"));
	assert_int_equal(rule_set_add_flag(&s, "--allow-exec", "/a", &err), -EINVAL);
	rule_set_release(&s);
}

static void json_fails(const char *text, const char *want)
{
	struct rule_set s = { 0 };
	struct hutch_err err = { 0 };
	assert_true(rule_set_add_json(&s, text, strlen(text), "rules file 'r.json'", &err) < 0);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' does not contain '%s'", err.msg, want);
	rule_set_release(&s);
}

static void test_json(void **state)
{
	(void)state;
	struct rule_set s = { .default_access = RULE_ACCESS_LAYOUT };
	struct hutch_err err = { 0 };
	const char *text = "{\"default\": \"none\", \"rules\": ["
			   "{\"pattern\": \"/usr\", \"access\": \"read\"},"
			   "{\"pattern\": \"**/*.key\", \"kind\": \"glob\", \"access\": \"none\", \"priority\": 9},"
			   "{\"pattern\": \"/work/out.txt\", \"kind\": \"file\", \"access\": \"write\", \"unknown\": 1}]}";
	assert_int_equal(rule_set_add_json(&s, text, strlen(text), "t", &err), 0);
	assert_int_equal(s.default_access, RULE_ACCESS_NONE);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.rules[1].priority, 9);
	assert_string_equal(s.rules[1].pattern, "/work/**/*.key");
	assert_int_equal(s.rules[2].kind, RULE_FILE);
	rule_set_release(&s);
	const char *arr = "[{\"pattern\": \"/a\", \"access\": \"view\"}]";
	assert_int_equal(rule_set_add_json(&s, arr, strlen(arr), "t", &err), 0);
	assert_int_equal(s.n, 1);
	rule_set_release(&s);

	json_fails("{", "invalid JSON");
	json_fails("{\"rules\": 3}", "rules: expected an array");
	json_fails("[3]", "rules[0]: expected an object");
	json_fails("[{\"access\": \"read\"}]", "rules[0].pattern");
	json_fails("[{\"pattern\": \"/a\"}]", "rules[0].access");
	json_fails("[{\"pattern\": \"/a\", \"access\": \"exec\"}]", "'exec' is not none");
	json_fails("[{\"pattern\": \"/a\", \"access\": \"read\", \"kind\": \"dir\"}]", "rules[0].kind");
	json_fails("[{\"pattern\": \"/a\", \"access\": \"read\", \"priority\": \"high\"}]", "priority");
	json_fails("[{\"pattern\": \"/a\", \"access\": \"read\", \"priority\": 99999999}]", "priority");
	json_fails("[{\"pattern\": \"/a/../b\", \"access\": \"read\"}]", "rules[0]: path pattern");
	json_fails("{\"default\": \"all\"}", "default");
	json_fails("[[[[[[[[[[[[1]]]]]]]]]]]]", "invalid JSON"); /* too deep */
}

static void test_rules_below(void **state)
{
	(void)state;
	struct rule_set s = { 0 };
	add(&s, "/work/a/secret", RULE_DIRECTORY, RULE_ACCESS_NONE, 0);
	add(&s, "/work/g/*.env", RULE_GLOB, RULE_ACCESS_NONE, 0);
	assert_true(rule_set_has_rules_below(&s, "/work/a"));
	assert_true(rule_set_has_rules_below(&s, "/work"));
	assert_false(rule_set_has_rules_below(&s, "/work/a/secret")); /* the rule is on it */
	assert_false(rule_set_has_rules_below(&s, "/work/b"));
	assert_true(rule_set_has_rules_below(&s, "/work/g")); /* g/x.env would move */
	assert_false(rule_set_has_rules_below(&s, "/work/h"));
	rule_set_release(&s);
	add(&s, "/work/**/*.env", RULE_GLOB, RULE_ACCESS_NONE, 0);
	assert_true(rule_set_has_rules_below(&s, "/work/any/dir")); /* conservative for '**' */
	assert_false(rule_set_has_rules_below(&s, "/tmp/x"));
	rule_set_release(&s);
}

static void test_text_form(void **state)
{
	(void)state;
	struct rule_set s = { 0 };
	struct hutch_err err = { 0 };
	assert_int_equal(rule_set_add_text(&s, "none:glob:10:/work/**/*.pem", &err), 0);
	assert_int_equal(rule_set_add_text(&s, "read:/etc/ssl", &err), 0);
	assert_int_equal(rule_set_add_text(&s, "view:file:/a:b", &err), 0); /* ':' in a pattern */
	assert_int_equal(rule_set_add_text(&s, "write:-3:out", &err), 0);
	assert_int_equal(s.rules[0].kind, RULE_GLOB);
	assert_int_equal(s.rules[0].priority, 10);
	assert_int_equal(s.rules[1].kind, RULE_KIND_AUTO);
	assert_string_equal(s.rules[2].pattern, "/a:b");
	assert_int_equal(s.rules[3].priority, -3);
	assert_string_equal(s.rules[3].pattern, "/work/out");
	char *t = rule_to_text(&s.rules[0]);
	assert_string_equal(t, "none:glob:10:/work/**/*.pem");
	/* The text form round-trips. */
	assert_int_equal(rule_set_add_text(&s, t, &err), 0);
	assert_string_equal(s.rules[4].pattern, s.rules[0].pattern);
	free(t);
	assert_int_equal(rule_set_add_text(&s, "/etc/ssl", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "ACCESS"));
	assert_int_equal(rule_set_add_text(&s, "exec:/bin", &err), -EINVAL);
	assert_int_equal(rule_set_add_text(&s, "read:", &err), -EINVAL);
	rule_set_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_glob_hostile_is_bounded),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_default_access),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_rules_below),
		cmocka_unit_test(test_text_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
