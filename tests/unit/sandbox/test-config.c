/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the sandbox config files (src/lib/sandbox/config.c, config-settings.c):
 * every key, the order of the layers, profiles chosen by name and by command, relative paths,
 * finding the project file, and every kind of error naming what is wrong.
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

#include "fileio.h"
#include "macro.h"
#include "path.h"
#include "sandbox/config.h"
#include "strv.h"

static struct sandbox_config_file *parse_ok(const char *text)
{
	struct sandbox_config_file *f = NULL;
	struct hutch_err err = { 0 };
	int r = sandbox_config_parse(text, strlen(text), "test.json", "/proj", &f, &err);
	if (r < 0)
		fail_msg("parse failed: %s", err.msg);
	return f;
}

/* Parsing must fail, with a message containing want. */
static void parse_fails(const char *text, const char *want)
{
	struct sandbox_config_file *f = NULL;
	struct hutch_err err = { 0 };
	int r = sandbox_config_parse(text, strlen(text), "test.json", "/proj", &f, &err);
	if (r >= 0) {
		sandbox_config_file_free(f);
		fail_msg("expected failure for %s", text);
	}
	assert_null(f);
	if (!strstr(err.msg, want))
		fail_msg("message '%s' lacks '%s'", err.msg, want);
}

static void test_every_key(void **state)
{
	_cleanup_(sandbox_config_file_freep) struct sandbox_config_file *f = parse_ok(
		"{\"default\": {\"rootfs\": \"/srv/root\", \"workspace\": \"ws\", "
		"\"mounts\": [\"/a:/b:ro\", \"rel:/c\"], \"tmpfs\": [\"/scratch:size=1m\"], "
		"\"read_only\": true, \"env\": {\"A\": \"1\", \"B\": \"x=y\"}, "
		"\"env_allow\": [\"EDITOR\"], \"env_block\": [\"MY_*\"], \"user\": \"1000:100\", "
		"\"hostname\": \"box\", \"cwd\": \"/work/src\", \"memory\": \"512m\", \"cpus\": 0.5, "
		"\"pids\": 64, \"timeout\": 1.5, \"network\": \"host\", \"cap_add\": [\"NET_RAW\"], "
		"\"seccomp\": \"unconfined\"}}");
	const struct sandbox_settings *s = &f->def;
	assert_string_equal(s->rootfs, "/srv/root");
	assert_string_equal(s->workspace, "/proj/ws");
	assert_string_equal(s->mounts[0], "/a:/b:ro");
	assert_string_equal(s->mounts[1], "/proj/rel:/c");
	assert_string_equal(s->tmpfs[0], "/scratch:size=1m");
	assert_true(s->read_only);
	assert_string_equal(strv_env_get(s->env, "A"), "1");
	assert_string_equal(strv_env_get(s->env, "B"), "x=y");
	assert_string_equal(s->env_allow[0], "EDITOR");
	assert_string_equal(s->env_block[0], "MY_*");
	assert_int_equal(s->uid, 1000);
	assert_int_equal(s->gid, 100);
	assert_string_equal(s->hostname, "box");
	assert_string_equal(s->cwd, "/work/src");
	assert_int_equal(s->memory, 512LL << 20);
	assert_true(s->cpus == 0.5);
	assert_int_equal(s->pids, 64);
	assert_int_equal(s->timeout_ms, 1500);
	assert_true(s->network_host);
	assert_string_equal(s->cap_add[0], "NET_RAW");
	assert_string_equal(s->seccomp, "unconfined");

	struct sandbox_opts o = { 0 };
	uint32_t timeout = 0;
	assert_int_equal(sandbox_settings_to_opts(s, &o, &timeout), 0);
	assert_string_equal(o.rootfs, "/srv/root");
	assert_true(o.has_user && o.uid == 1000 && o.gid == 100);
	assert_int_equal(o.memory, 512LL << 20);
	assert_int_equal(o.pids, 64);
	assert_int_equal(timeout, 1500);
	assert_true(o.network_host && o.read_only);
	assert_string_equal(o.env_block[0], "MY_*");
	strv_free(o.mounts), strv_free(o.tmpfs), strv_free(o.env), strv_free(o.env_allow);
	strv_free(o.env_block), strv_free(o.cap_add);
}

static void test_unset_means_default(void **state)
{
	_cleanup_(sandbox_config_file_freep) struct sandbox_config_file *f = parse_ok("{}");
	struct sandbox_opts o = { 0 };
	assert_int_equal(sandbox_settings_to_opts(&f->def, &o, NULL), 0);
	assert_null(o.rootfs);
	assert_null(o.workspace);
	assert_null(o.seccomp);
	assert_false(o.has_user);
	assert_int_equal(o.memory, 0);
	assert_true(o.cpus == 0);
	assert_int_equal(o.pids, 0);
	assert_null(o.mounts);
}

static void test_numbers_as_strings_and_ints(void **state)
{
	_cleanup_(sandbox_config_file_freep) struct sandbox_config_file *f = parse_ok(
		"{\"default\": {\"memory\": 8388608, \"user\": 7, \"cpus\": 2, \"timeout\": 3,"
		" \"pids\": -1}, \"profiles\": {\"p\": {\"memory\": -1, \"cpus\": -1}}}");
	assert_int_equal(f->def.memory, 8388608);
	assert_int_equal(f->def.uid, 7);
	assert_int_equal(f->def.gid, 7);
	assert_true(f->def.cpus == 2);
	assert_int_equal(f->def.timeout_ms, 3000);
	assert_int_equal(f->def.pids, -1);
	assert_int_equal(f->profiles[0].memory, -1);
	assert_true(f->profiles[0].cpus == -1);
}

static void test_relative_paths_and_home(void **state)
{
	setenv("HOME", "/home/someone", 1);
	_cleanup_(sandbox_config_file_freep) struct sandbox_config_file *f = parse_ok(
		"{\"default\": {\"workspace\": \".\", \"rootfs\": \"~/roots/a\", \"seccomp\": "
		"\"prof.json\", \"mounts\": [\"~/.claude:/work/.claude:rw\", \"../x:/y\"]}}");
	assert_string_equal(f->def.workspace, "/proj/.");
	assert_string_equal(f->def.rootfs, "/home/someone/roots/a");
	assert_string_equal(f->def.seccomp, "/proj/prof.json");
	assert_string_equal(f->def.mounts[0], "/home/someone/.claude:/work/.claude:rw");
	assert_string_equal(f->def.mounts[1], "/proj/../x:/y");
	/* "" stays "": no workspace */
	_cleanup_(sandbox_config_file_freep) struct sandbox_config_file *g =
		parse_ok("{\"default\": {\"workspace\": \"\"}}");
	assert_string_equal(g->def.workspace, "");
}

/* user default < project default < profile (user's, then project's) < flags */
static void test_precedence(void **state)
{
	_cleanup_(sandbox_config_file_freep) struct sandbox_config_file *user = parse_ok(
		"{\"default\": {\"memory\": \"8m\", \"pids\": 10, \"hostname\": \"u\", "
		"\"env\": {\"A\": \"user\", \"U\": \"1\"}, \"mounts\": [\"/u:/u\"]},"
		" \"profiles\": {\"claude\": {\"cpus\": 3, \"hostname\": \"uprof\"}}}");
	_cleanup_(sandbox_config_file_freep) struct sandbox_config_file *proj = parse_ok(
		"{\"default\": {\"memory\": \"16m\", \"env\": {\"A\": \"proj\"}, \"mounts\": [\"/p:/p\"]},"
		" \"profiles\": {\"claude\": {\"pids\": 30, \"cpus\": 4}}}");
	struct sandbox_config_file *files[] = { user, NULL, proj };
	_cleanup_(sandbox_settings_release) struct sandbox_settings s = { 0 };
	const char *used = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(sandbox_config_resolve(files, 3, NULL, "/usr/local/bin/claude", &s, &used,
						&err), 0);
	assert_string_equal(used, "claude");
	assert_int_equal(s.memory, 16 << 20);   /* project default over user default */
	assert_int_equal(s.pids, 30);          /* profile over defaults */
	assert_true(s.cpus == 4);              /* project's profile over user's */
	assert_string_equal(s.hostname, "uprof");
	assert_string_equal(strv_env_get(s.env, "A"), "proj");
	assert_string_equal(strv_env_get(s.env, "U"), "1");
	assert_int_equal(strv_length(s.mounts), 2); /* lists accumulate */

	/* flags over everything */
	_cleanup_(sandbox_settings_release) struct sandbox_settings flags = { 0 };
	assert_int_equal(sandbox_settings_set(&flags, "pids", "99", &err), 0);
	assert_int_equal(sandbox_settings_set(&flags, "env", "A=flag", &err), 0);
	assert_int_equal(sandbox_settings_merge(&s, &flags), 0);
	assert_int_equal(s.pids, 99);
	assert_int_equal(s.memory, 16 << 20);
	assert_string_equal(strv_env_get(s.env, "A"), "flag");
}

static void test_profile_by_name_and_command(void **state)
{
	_cleanup_(sandbox_config_file_freep) struct sandbox_config_file *f = parse_ok(
		"{\"profiles\": {\"python\": {\"pids\": 5}, \"claude\": {\"pids\": 6}}}");
	struct sandbox_config_file *files[] = { f };
	struct hutch_err err = { 0 };
	const char *used = NULL;
	struct sandbox_settings s = { 0 };
	/* explicit name wins over the command's */
	assert_int_equal(sandbox_config_resolve(files, 1, "python", "claude", &s, &used, &err), 0);
	assert_string_equal(used, "python");
	assert_int_equal(s.pids, 5);
	sandbox_settings_release(&s);
	/* by command basename */
	assert_int_equal(sandbox_config_resolve(files, 1, NULL, "./bin/claude", &s, &used, &err), 0);
	assert_string_equal(used, "claude");
	assert_int_equal(s.pids, 6);
	sandbox_settings_release(&s);
	/* a command without a profile: none, no error */
	assert_int_equal(sandbox_config_resolve(files, 1, NULL, "ls", &s, &used, &err), 0);
	assert_null(used);
	assert_false(s.set & SANDBOX_SET_PIDS);
	sandbox_settings_release(&s);
	/* no command (an idle create) */
	assert_int_equal(sandbox_config_resolve(files, 1, NULL, NULL, &s, &used, &err), 0);
	assert_null(used);
	sandbox_settings_release(&s);
	/* a named profile must exist */
	assert_int_equal(sandbox_config_resolve(files, 1, "nope", "claude", &s, &used, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "profile 'nope'"));
	struct sandbox_config_file *none[] = { NULL };
	assert_int_equal(sandbox_config_resolve(none, 1, "x", NULL, &s, &used, &err), -ENOENT);
}

static void test_unknown_keys(void **state)
{
	parse_fails("{\"default\": {\"memroy\": \"1g\"}}", "default.memroy: unknown key");
	parse_fails("{\"profiles\": {\"claude\": {\"netwrok\": \"none\"}}}",
		    "profiles.claude.netwrok: unknown key");
	parse_fails("{\"defaults\": {}}", "unknown key 'defaults'");
	parse_fails("{\"memory\": \"1g\"}", "unknown key 'memory'");
}

static void test_wrong_types(void **state)
{
	parse_fails("[]", "expected a JSON object");
	parse_fails("{\"default\": []}", "default: expected an object");
	parse_fails("{\"profiles\": []}", "profiles: expected an object");
	parse_fails("{\"profiles\": {\"a\": 1}}", "profiles.a: expected an object");
	parse_fails("{\"default\": {\"rootfs\": 1}}", "default.rootfs: expected a string");
	parse_fails("{\"default\": {\"read_only\": \"yes\"}}", "default.read_only: expected true or false");
	parse_fails("{\"default\": {\"memory\": true}}", "default.memory: expected a string or an integer");
	parse_fails("{\"default\": {\"memory\": 1.5}}", "default.memory: expected a string or an integer");
	parse_fails("{\"default\": {\"cpus\": \"1\"}}", "default.cpus: expected a number");
	parse_fails("{\"default\": {\"pids\": 1.5}}", "default.pids: expected an integer");
	parse_fails("{\"default\": {\"mounts\": \"/a:/b\"}}", "default.mounts: expected an array of strings");
	parse_fails("{\"default\": {\"cap_add\": [1]}}", "default.cap_add: expected an array of strings");
	parse_fails("{\"default\": {\"env\": [\"A=1\"]}}", "default.env: expected an object of strings");
	parse_fails("{\"default\": {\"env\": {\"A\": 1}}}", "default.env: expected an object of strings");
	parse_fails("{\"default\": {\"network\": null}}", "default.network: expected a string");
}

static void test_invalid_values(void **state)
{
	parse_fails("{\"default\": {\"memory\": \"lots\"}}", "default.memory: invalid value 'lots'");
	parse_fails("{\"default\": {\"memory\": 0}}", "default.memory: invalid value '0'");
	parse_fails("{\"default\": {\"memory\": \"-5m\"}}", "invalid value");
	parse_fails("{\"default\": {\"pids\": 0}}", "default.pids: invalid value");
	parse_fails("{\"default\": {\"pids\": -2}}", "default.pids: invalid value");
	parse_fails("{\"default\": {\"cpus\": 0}}", "default.cpus: invalid value");
	parse_fails("{\"default\": {\"cpus\": 5000}}", "default.cpus: invalid value");
	/* Under the kernel's smallest quota (1 ms per 100 ms), or too little memory to start. */
	parse_fails("{\"default\": {\"cpus\": 0.001}}", "default.cpus: invalid value '0.001'");
	parse_fails("{\"default\": {\"memory\": \"1m\"}}", "default.memory: invalid value '1m'");
	parse_fails("{\"default\": {\"timeout\": 0}}", "default.timeout: invalid value");
	parse_fails("{\"default\": {\"timeout\": -1}}", "default.timeout: invalid value");
	parse_fails("{\"default\": {\"network\": \"bridge\"}}", "default.network: invalid value 'bridge'");
	parse_fails("{\"default\": {\"user\": \"root\"}}", "default.user: invalid value 'root'");
	parse_fails("{\"default\": {\"user\": \"1:x\"}}", "default.user: invalid value");
	parse_fails("{\"default\": {\"user\": -1}}", "default.user: invalid value");
	parse_fails("{\"default\": {\"user\": \"4294967295\"}}", "default.user: invalid value");
	parse_fails("{\"default\": {\"cwd\": \"work\"}}", "default.cwd: must be an absolute path");
	parse_fails("{\"default\": {\"hostname\": \"\"}}", "default.hostname: empty value");
	parse_fails("{\"default\": {\"rootfs\": \"\"}}", "default.rootfs: empty value");
	parse_fails("{\"default\": {\"mounts\": [\"/nocolon\"]}}", "default.mounts: expected SRC:DST");
	parse_fails("{\"default\": {\"tmpfs\": [\"rel\"]}}", "default.tmpfs: expected an absolute");
	parse_fails("{\"default\": {\"cap_add\": [\"\"]}}", "default.cap_add: empty value");
	parse_fails("{\"default\": {\"env\": {\"\": \"x\"}}}", "default.env: a variable name");
	parse_fails("{\"default\": {\"env\": {\"A=B\": \"x\"}}}", "default.env: a variable name");
	parse_fails("{\"profiles\": {\"bad name\": {}}}", "invalid profile name");
	parse_fails("{\"profiles\": {\"\": {}}}", "invalid profile name");
}

static void test_bad_json(void **state)
{
	parse_fails("", "invalid JSON");
	parse_fails("{\"default\": {", "invalid JSON");
	parse_fails("{} {}", "trailing data");
	parse_fails("{\"default\": {}} x", "trailing data");
	struct sandbox_config_file *f = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(sandbox_config_parse("{}\0{}", 5, "nul.json", NULL, &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "NUL"));
}

static char *repeat(const char *unit, size_t n, const char *pre, const char *post)
{
	size_t ul = strlen(unit);
	char *s = malloc(strlen(pre) + ul * n + strlen(post) + 1);
	char *p = stpcpy(s, pre);
	for (size_t i = 0; i < n; i++)
		p = stpcpy(p, unit);
	strcpy(p, post);
	return s;
}

static void test_limits(void **state)
{
	/* depth */
	_cleanup_free_ char *deep = repeat("[", 50, "{\"default\": {\"mounts\": ", "");
	parse_fails(deep, "invalid JSON");
	/* size */
	_cleanup_free_ char *big = repeat(" ", SANDBOX_CONFIG_MAX_SIZE, "{", "}");
	parse_fails(big, "larger than");
	/* list length: the last comma-separated entry closes the list */
	_cleanup_free_ char *list = repeat("\"/a:/b\",", SANDBOX_CONFIG_MAX_LIST,
					   "{\"default\": {\"mounts\": [", "\"/a:/b\"]}}");
	parse_fails(list, "default.mounts: too many entries");
	/* env entries */
	char *env = malloc(64 * (SANDBOX_CONFIG_MAX_LIST + 2) + 64);
	char *p = stpcpy(env, "{\"default\": {\"env\": {");
	for (int i = 0; i <= SANDBOX_CONFIG_MAX_LIST; i++)
		p += sprintf(p, "%s\"V%d\": \"x\"", i ? "," : "", i);
	strcpy(p, "}}}");
	parse_fails(env, "default.env: too many entries");
	free(env);
	/* profiles */
	char *prof = malloc(32 * (SANDBOX_CONFIG_MAX_PROFILES + 2) + 64);
	p = stpcpy(prof, "{\"profiles\": {");
	for (int i = 0; i <= SANDBOX_CONFIG_MAX_PROFILES; i++)
		p += sprintf(p, "%s\"p%d\": {}", i ? "," : "", i);
	strcpy(p, "}}");
	parse_fails(prof, "profiles: too many");
	free(prof);
	/* one value, and a profile name */
	_cleanup_free_ char *longval = repeat("h", SANDBOX_CONFIG_MAX_STRING + 1,
					      "{\"default\": {\"seccomp\": \"/", "\"}}");
	parse_fails(longval, "default.seccomp: value longer than");
	_cleanup_free_ char *longname = repeat("n", SANDBOX_CONFIG_MAX_NAME + 1,
					       "{\"profiles\": {\"", "\": {}}}");
	parse_fails(longname, "invalid profile name");
	/* an unknown key too long to quote is still named as unknown */
	_cleanup_free_ char *longkey = repeat("k", 5000, "{\"default\": {\"", "\": 1}}");
	parse_fails(longkey, "default: unknown key");
}

static void test_flag_values(void **state)
{
	_cleanup_(sandbox_settings_release) struct sandbox_settings s = { 0 };
	struct hutch_err err = { 0 };
	assert_int_equal(sandbox_settings_set(&s, "read_only", "true", &err), 0);
	assert_true(s.read_only && (s.set & SANDBOX_SET_READ_ONLY));
	assert_int_equal(sandbox_settings_set(&s, "memory", "-1", &err), 0);
	assert_int_equal(s.memory, -1);
	assert_int_equal(sandbox_settings_set(&s, "memory", "2G", &err), 0);
	assert_int_equal(s.memory, 2LL << 30);
	assert_int_equal(sandbox_settings_set(&s, "env", "NOEQ", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "expected KEY=VALUE"));
	assert_int_equal(sandbox_settings_set(&s, "bogus", "1", &err), -ENOENT);
	assert_int_equal(sandbox_settings_set(&s, "timeout", "0.0001", &err), 0);
	assert_int_equal(s.timeout_ms, 1);
	assert_int_equal(sandbox_settings_set(&s, "workspace", "", &err), 0);
	for (int i = 0; i < SANDBOX_CONFIG_MAX_LIST; i++)
		assert_int_equal(sandbox_settings_set(&s, "tmpfs", "/t", &err), 0);
	assert_int_equal(sandbox_settings_set(&s, "tmpfs", "/t", &err), -E2BIG);
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

static void test_load_and_find(void **state)
{
	char tmp[] = "/tmp/test-config-XXXXXX";
	assert_non_null(mkdtemp(tmp));
	_cleanup_free_ char *sub = path_join(tmp, "a/b");
	_cleanup_free_ char *file = path_join(tmp, "a/hutch.json");
	assert_int_equal(mkdir_p(sub, 0755), 0);
	write_text(file, "{\"default\": {\"mounts\": [\"data:/work/data\"]}}");
	struct hutch_err err = { 0 };
	_cleanup_free_ char *found = NULL;
	assert_int_equal(sandbox_config_find_project(sub, NULL, &found, &err), 0);
	assert_string_equal(found, file);
	/* stop: the search does not look above the stop directory */
	_cleanup_free_ char *none = NULL;
	assert_int_equal(sandbox_config_find_project(sub, sub, &none, &err), 0);
	assert_null(none);
	/* relative paths resolve against the file's directory */
	_cleanup_(sandbox_config_file_freep) struct sandbox_config_file *f = NULL;
	assert_int_equal(sandbox_config_load(found, &f, &err), 0);
	_cleanup_free_ char *want = NULL;
	assert_true(asprintf(&want, "%s/a/data:/work/data", tmp) > 0);
	assert_string_equal(f->def.mounts[0], want);
	/* errors name the file */
	_cleanup_free_ char *missing = path_join(tmp, "missing.json");
	assert_int_equal(sandbox_config_load(missing, &f, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "missing.json"));
	assert_int_equal(sandbox_config_load(sub, &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	/* a FIFO must not block the loader */
	_cleanup_free_ char *fifo = path_join(tmp, "fifo.json");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(sandbox_config_load(fifo, &f, &err), -EINVAL);
	write_text(file, "{\"default\": {\"pids\": 0}}");
	assert_int_equal(sandbox_config_load(file, &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "hutch.json': default.pids: invalid value '0'"));
	unlink(fifo);
	unlink(file);
	rmdir(sub);
	_cleanup_free_ char *a = path_join(tmp, "a");
	rmdir(a);
	rmdir(tmp);
}

static void test_user_path(void **state)
{
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	_cleanup_free_ char *a = sandbox_config_user_path();
	assert_string_equal(a, "/xdg/hutch/config.json");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	_cleanup_free_ char *b = sandbox_config_user_path();
	assert_string_equal(b, "/home/u/.config/hutch/config.json");
}

/* --print-config shows spec-build.c's defaults: check the copies agree with the real spec. */
static void test_defaults_match_spec(void **state)
{
	struct sandbox_opts o = { .workspace = "", .agent = "/bin/true" };
	struct spec *spec = NULL;
	struct hutch_err err = { 0 };
	if (sandbox_build_spec(&o, &spec, &err) < 0)
		fail_msg("build spec: %s", err.msg);
	assert_int_equal(spec->linux.resources.memory.limit, SANDBOX_DEFAULT_MEMORY);
	assert_int_equal(spec->linux.resources.pids_limit, SANDBOX_DEFAULT_PIDS);
	assert_int_equal(spec->linux.resources.cpu.quota,
			 (int64_t)(SANDBOX_DEFAULT_CPUS * spec->linux.resources.cpu.period));
	assert_string_equal(spec->hostname, SANDBOX_DEFAULT_HOSTNAME);
	spec_free(spec);

	struct sandbox_settings s = { 0 };
	_cleanup_free_ char *text = sandbox_settings_to_json(&s, NULL, NULL, "/here");
	json_object *j = json_tokener_parse(text);
	assert_non_null(j);
	json_object *v;
	assert_true(json_object_object_get_ex(j, "memory", &v));
	assert_int_equal(json_object_get_int64(v), SANDBOX_DEFAULT_MEMORY);
	assert_true(json_object_object_get_ex(j, "workspace", &v));
	assert_string_equal(json_object_get_string(v), "/here");
	assert_true(json_object_object_get_ex(j, "cwd", &v));
	assert_string_equal(json_object_get_string(v), "/work");
	assert_true(json_object_object_get_ex(j, "network", &v));
	assert_string_equal(json_object_get_string(v), "none");
	assert_true(json_object_object_get_ex(j, "rootfs", &v));
	assert_null(v);
	json_object_put(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_unset_means_default),
		cmocka_unit_test(test_numbers_as_strings_and_ints),
		cmocka_unit_test(test_relative_paths_and_home),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_profile_by_name_and_command),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_invalid_values),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_flag_values),
		cmocka_unit_test(test_load_and_find),
		cmocka_unit_test(test_user_path),
		cmocka_unit_test(test_defaults_match_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
