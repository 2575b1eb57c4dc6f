/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the environment filter (src/lib/sandbox/env.c) and its glob matcher
 * (src/basic/glob-match.c): the matcher must agree with fnmatch(3) everywhere, and the filter
 * must keep the allowlisted names, drop the blocklisted ones (the blocklist wins) and pass
 * every explicit --env.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob-match.h"
#include "macro.h"
#include "sandbox/sandbox.h"
#include "strv.h"

static void check_like_fnmatch(const char *p, const char *s)
{
	bool want = fnmatch(p, s, 0) == 0;
	if (glob_match(p, s) != want)
		fail_msg("glob_match('%s', '%s') = %d, fnmatch says %d", p, s, !want, want);
}

static void test_glob_table(void **state)
{
	(void)state;
	const char *pats[] = { "", "*", "**", "a", "a*", "*a", "*a*", "a*b", "a*b*c", "*_TOKEN",
			       "*_TOKEN_*", "LC_*", "*SECRET", "a**b", "*ab*ab*", ".*", "*/*",
			       "a?c", "[ab]*", "\\*x", "x*y*z*" };
	const char *strs[] = { "", "a", "b", "ab", "ba", "abc", "aXbYc", "acb", "GH_TOKEN",
			       "GH_TOKEN_X", "TOKEN", "_TOKEN", "LC_ALL", "LC_", "LC", "MYSECRET",
			       "abab", "aabab", "xabyab", ".hidden", "a/b", "*x", "xyz", "xxyyzz",
			       "xzy", "aab", "abb" };
	for (size_t i = 0; i < ARRAY_SIZE(pats); i++)
		for (size_t j = 0; j < ARRAY_SIZE(strs); j++)
			check_like_fnmatch(pats[i], strs[j]);
}

/* Random patterns of 'a', 'b' and '*' against random strings of 'a' and 'b'. */
static void test_glob_random(void **state)
{
	(void)state;
	srand(12345);
	for (int n = 0; n < 200000; n++) {
		char p[10], s[12];
		int pl = rand() % (int)sizeof(p), sl = rand() % (int)sizeof(s);
		for (int i = 0; i < pl; i++)
			p[i] = "ab*"[rand() % 3];
		for (int i = 0; i < sl; i++)
			s[i] = "ab"[rand() % 2];
		p[pl] = s[sl] = '\0';
		check_like_fnmatch(p, s);
	}
}

static bool has(char **env, const char *kv)
{
	for (size_t i = 0; env && env[i]; i++)
		if (!strcmp(env[i], kv))
			return true;
	return false;
}

static void test_filter(void **state)
{
	(void)state;
	char *host[] = { "LANG=C.UTF-8", "LC_ALL=C", "TERM=xterm", "HOME=/root", "SHELL=/bin/sh",
			 "GITHUB_TOKEN=x", "LC_SECRET=y", "MY_VAR=1", "OTHER=2", "AWS_REGION=eu",
			 "NOEQUALS", "=nameless", NULL };
	char *allow[] = { "MY_*", "AWS_*", NULL };
	char *block[] = { "LC_ALL", NULL };
	char *set[] = { "GITHUB_TOKEN=given", NULL };
	struct sandbox_opts o = { .env_allow = allow, .env_block = block, .env = set };
	char **env = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(sandbox_filter_env(&o, host, &env, &err), 0);
	assert_true(has(env, "LANG=C.UTF-8"));
	assert_true(has(env, "TERM=xterm"));
	assert_true(has(env, "MY_VAR=1"));		/* --env-allow */
	assert_true(has(env, "HOME=/work"));		/* the sandbox's own */
	assert_true(has(env, "GITHUB_TOKEN=given"));	/* explicit --env passes */
	assert_false(has(env, "LC_ALL=C"));		/* --env-block wins over LC_* */
	assert_false(has(env, "LC_SECRET=y"));		/* the default blocklist wins too */
	assert_false(has(env, "AWS_REGION=eu"));	/* AWS_* blocked by default, even allowed */
	assert_false(has(env, "OTHER=2"));
	assert_false(has(env, "SHELL=/bin/sh"));
	assert_false(has(env, "HOME=/root"));
	strv_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_table),
		cmocka_unit_test(test_glob_random),
		cmocka_unit_test(test_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
