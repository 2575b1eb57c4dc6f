/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for spec_parse: a full config reads back field by field, and every class of bad
 * input fails with a message that names the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "spec-test.h"

static void test_full_roundtrip(void **state)
{
	struct hutch_err err = {0};
	_cleanup_spec_ struct spec *s = NULL;
	int r = spec_load_bundle(SPEC_TEST_DIR "/bundle-full", &s, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(s->oci_version, "1.2.0");
	assert_string_equal(s->root_path, "rootfs");
	assert_true(s->root_readonly);
	assert_string_equal(s->hostname, "box");
	assert_string_equal(s->domainname, "example.org");

	/* process */
	const struct spec_process *p = &s->process;
	assert_true(s->has_process);
	assert_true(p->terminal);
	assert_true(p->has_console_size);
	assert_int_equal(p->console_height, 25);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 1001);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 2);
	assert_int_equal(p->user.additional_gids[0], 5);
	assert_int_equal(p->user.additional_gids[1], 4294967295u);
	assert_int_equal(strv_length(p->args), 3);
	assert_string_equal(p->args[2], "echo hi");
	assert_string_equal(p->env[1], "TERM=xterm");
	assert_string_equal(p->cwd, "/home/u");
	assert_true(p->has_caps);
	assert_int_equal(p->caps.bounding, (1ull << 0) | (1ull << 5) | (1ull << 40));
	assert_int_equal(p->caps.effective, 1ull << 5);
	assert_int_equal(p->caps.inheritable, 0);
	assert_int_equal(p->caps.permitted, (1ull << 5) | (1ull << 13));
	assert_int_equal(p->caps.ambient, 1ull << 21);
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 4096);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].soft == UINT64_MAX && p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->no_new_privileges);
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_string_equal(p->apparmor_profile, "docker-default");
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");
	assert_true(p->has_scheduler);
	assert_int_equal(p->scheduler.policy, 6); /* SCHED_DEADLINE */
	assert_int_equal(p->scheduler.nice, -5);
	assert_int_equal(p->scheduler.priority, 1);
	assert_int_equal(p->scheduler.flags, 0x3);
	assert_int_equal(p->scheduler.runtime, 1000);
	assert_int_equal(p->scheduler.deadline, 2000);
	assert_int_equal(p->scheduler.period, 3000);
	assert_true(p->has_io_priority);
	assert_int_equal(p->io_priority_class, 3);
	assert_int_equal(p->io_priority, 7);

	/* mounts */
	assert_int_equal(s->n_mounts, 2);
	assert_string_equal(s->mounts[0].destination, "/proc");
	assert_string_equal(s->mounts[0].type, "proc");
	assert_null(s->mounts[0].options);
	assert_string_equal(s->mounts[1].source, "/srv/data");
	assert_string_equal(s->mounts[1].options[0], "rbind");
	assert_string_equal(s->mounts[1].options[1], "ro");
	assert_null(s->mounts[1].options[2]);
	assert_int_equal(s->mounts[1].n_uid_mappings, 1);
	assert_int_equal(s->mounts[1].uid_mappings[0].host_id, 100000);
	assert_int_equal(s->mounts[1].uid_mappings[0].size, 65536);
	assert_int_equal(s->mounts[1].gid_mappings[0].host_id, 200000);

	/* hooks */
	for (int k = 0; k < _SPEC_HOOK_MAX; k++)
		assert_int_equal(s->hooks.n[k], k == SPEC_HOOK_POSTSTART ? 2 : 1);
	assert_string_equal(s->hooks.list[SPEC_HOOK_PRESTART][0].path, "/bin/pre");
	assert_string_equal(s->hooks.list[SPEC_HOOK_PRESTART][0].args[1], "x");
	assert_string_equal(s->hooks.list[SPEC_HOOK_PRESTART][0].env[0], "A=1");
	assert_int_equal(s->hooks.list[SPEC_HOOK_PRESTART][0].timeout, 5);
	assert_string_equal(s->hooks.list[SPEC_HOOK_CREATE_RUNTIME][0].path, "/bin/cr");
	assert_string_equal(s->hooks.list[SPEC_HOOK_CREATE_CONTAINER][0].path, "/bin/cc");
	assert_string_equal(s->hooks.list[SPEC_HOOK_START_CONTAINER][0].path, "/bin/sc");
	assert_int_equal(s->hooks.list[SPEC_HOOK_POSTSTART][1].timeout, 2147483647);
	assert_int_equal(s->hooks.list[SPEC_HOOK_POSTSTART][0].timeout, 0);
	assert_string_equal(s->hooks.list[SPEC_HOOK_POSTSTOP][0].path, "/bin/pst");

	/* annotations (order as written) */
	assert_int_equal(s->n_annotations, 2);
	assert_string_equal(s->annotations[0].key, "org.example.key");
	assert_string_equal(s->annotations[0].value, "value");
	assert_string_equal(s->annotations[1].value, "");

	check_full_linux(s);
}

static void test_minimal(void **state)
{
	struct hutch_err err = {0};
	_cleanup_spec_ struct spec *s = NULL;
	assert_int_equal(parse_q("{'ociVersion':'1.0.0'}", &s, &err), 0);
	assert_false(s->has_process);
	assert_false(s->has_linux);
	assert_null(s->root_path);
	assert_int_equal(s->n_mounts, 0);
	/* Unset numbers read as SPEC_UNSET even without a linux section. */
	assert_true(s->linux.resources.pids_limit == SPEC_UNSET);
	assert_true(s->linux.resources.memory.limit == SPEC_UNSET);
}

static void test_unknown_keys_and_nulls_ignored(void **state)
{
	struct hutch_err err = {0};
	_cleanup_spec_ struct spec *s = NULL;
	int r =
	    parse_q("{'ociVersion':'1.0.0','future':{'x':[1,{'y':null}]},"
		    "'process':{'user':{'uid':1,'gid':2,'username':'x'},'args':['a'],"
		    "'cwd':'/','scheduler':{'policy':'SCHED_OTHER'},'env':null,"
		    "'commandLine':'x'},'hostname':null,'mounts':null,"
		    "'linux':{'personality':{'domain':'LINUX'},'intelRdt':{},'resources':null}}",
		    &s, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(s->process.user.uid, 1);
	assert_null(s->process.env);
	assert_null(s->hostname);
	assert_false(s->linux.has_resources);
}

static void test_bad_json(void **state)
{
	expect_error("{", "invalid JSON: unexpected end of input");
	expect_error("", "invalid JSON: unexpected end of input");
	expect_error("{'ociVersion':'1.0.0',}", "invalid JSON at byte 22: unexpected character");
	expect_error("{'ociVersion':'1.0.0'} {}", "invalid JSON at byte 23: unexpected character");
	expect_error("[]", "expected a JSON object at the top level");
	expect_error("'x'", "expected a JSON object at the top level");
	expect_error("{'ociVersion':'1.0.0'}\n\t ", NULL);
	struct hutch_err err = {0};
	struct spec *s = NULL;
	/* A NUL in the middle of the buffer is not the end of the document. */
	assert_int_equal(spec_parse("{\"ociVersion\":\"1.0.0\"}\0{}", 25, &s, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid JSON at byte 22: trailing data");
	assert_null(s);
}

static void test_wrong_types(void **state)
{
	expect_error("{'ociVersion':1}", "ociVersion: expected a string");
	expect_error("{'ociVersion':'1.0.0','process':{'user':{'uid':0,'gid':0},'cwd':'/',"
		     "'args':['a','b',3]}}",
		     "process.args[2]: expected a string");
	expect_error("{'ociVersion':'1.0.0','process':[]}", "process: expected an object");
	expect_error("{'ociVersion':'1.0.0','root':{'path':'r','readonly':'yes'}}",
		     "root.readonly: expected a boolean");
	expect_error(
	    "{'ociVersion':'1.0.0','linux':{'resources':{'blockIO':{"
	    "'throttleWriteIOPSDevice':[{'major':1,'minor':2,'rate':3},"
	    "{'major':1,'minor':2,'rate':'fast'}]}}}}",
	    "linux.resources.blockIO.throttleWriteIOPSDevice[1].rate: expected an integer");
	expect_error("{'ociVersion':'1.0.0','linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
		     "'syscalls':[{'names':['x'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,"
		     "'value':1,'op':'SCMP_CMP_EQ'},{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}}}",
		     "linux.seccomp.syscalls[0].args[1].index: value out of range [0, 5]");
	expect_error("{'ociVersion':'1.0.0','annotations':{'a':'b','c':7}}",
		     "annotations['c']: expected a string");
	/* null means "absent" for a member, but an array entry must have its type. */
	expect_error(PROC_WITH("'env':['A=1',null]"), "process.env[1]: expected a string");
	expect_error("{'ociVersion':'1.0.0','linux':{'sysctl':['x']}}",
		     "linux.sysctl: expected an object");
	expect_error("{'ociVersion':'1.0.0','mounts':[{'destination':'/a','options':'ro'}]}",
		     "mounts[0].options: expected an array");
	expect_error("{'ociVersion':'1.0.0','linux':{'uidMappings':[{'containerID':0,"
		     "'hostID':0,'size':1.5}]}}",
		     "linux.uidMappings[0].size: expected an integer");
}

static void test_missing_required(void **state)
{
	expect_error("{}", "ociVersion: missing required field");
	expect_error("{'ociVersion':'1.0.0','root':{}}", "root.path: missing required field");
	expect_error("{'ociVersion':'1.0.0','process':{'args':['a'],'cwd':'/'}}",
		     "process.user: missing required field");
	expect_error("{'ociVersion':'1.0.0','process':{'user':{'uid':0},'args':['a'],'cwd':'/'}}",
		     "process.user.gid: missing required field");
	expect_error("{'ociVersion':'1.0.0','process':{'user':{'uid':0,'gid':0},'args':['a']}}",
		     "process.cwd: missing required field");
	expect_error("{'ociVersion':'1.0.0','mounts':[{'destination':'/a'},{'type':'tmpfs'}]}",
		     "mounts[1].destination: missing required field");
	expect_error("{'ociVersion':'1.0.0','hooks':{'poststop':[{'args':[]}]}}",
		     "hooks.poststop[0].path: missing required field");
	expect_error("{'ociVersion':'1.0.0','linux':{'namespaces':[{'path':'/x'}]}}",
		     "linux.namespaces[0].type: missing required field");
	expect_error("{'ociVersion':'1.0.0','linux':{'resources':{'devices':[{'access':'r'}]}}}",
		     "linux.resources.devices[0].allow: missing required field");
	expect_error("{'ociVersion':'1.0.0','linux':{'seccomp':{'syscalls':[]}}}",
		     "linux.seccomp.defaultAction: missing required field");
	expect_error("{'ociVersion':'1.0.0','process':{'user':{'uid':0,'gid':0},'cwd':'/',"
		     "'args':['a'],'consoleSize':{'height':1}}}",
		     "process.consoleSize.width: missing required field");
}

static void test_names(void **state)
{
	expect_error("{'ociVersion':'1.0.0','linux':{'namespaces':[{'type':'pid'},"
		     "{'type':'mount'},{'type':'foo'}]}}",
		     "linux.namespaces[2].type: unknown namespace type 'foo'");
	expect_error("{'ociVersion':'1.0.0','linux':{'namespaces':[{'type':'pid'},"
		     "{'type':'ipc'},{'type':'pid','path':'/proc/1/ns/pid'}]}}",
		     "linux.namespaces[2]: duplicate namespace type 'pid'");
	expect_error(PROC_WITH("'capabilities':{'effective':['CAP_KILL'],"
			       "'bounding':['CAP_CHOWN','CAP_FOO']}"),
		     "process.capabilities.bounding[1]: unknown capability 'CAP_FOO'");
	/* Names are matched exactly, as runc does: no lowercase, no numbers. */
	expect_error(PROC_WITH("'capabilities':{'ambient':['cap_chown']}"),
		     "process.capabilities.ambient[0]: unknown capability 'cap_chown'");
	expect_error(PROC_WITH("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
			       "{'type':'RLIMIT_FOO','soft':1,'hard':2}]"),
		     "process.rlimits[1].type: unknown rlimit 'RLIMIT_FOO'");
	expect_error(PROC_WITH("'scheduler':{'policy':'SCHED_FAST'}"),
		     "process.scheduler.policy: unknown scheduler policy 'SCHED_FAST'");
	expect_error(PROC_WITH("'scheduler':{'policy':'SCHED_RR','flags':['SCHED_FLAG_X']}"),
		     "process.scheduler.flags[0]: unknown scheduler flag 'SCHED_FLAG_X'");
	expect_error(PROC_WITH("'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':8}"),
		     "process.ioPriority.priority: value out of range [0, 7]");
	expect_error("{'ociVersion':'1.0.0','linux':{'personality':{'domain':'BSD'}}}",
		     "linux.personality.domain: unknown personality domain 'BSD'");
	expect_error(PROC_WITH("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]"),
		     "process.rlimits[0].hard: missing required field");

	struct hutch_err err = {0};
	_cleanup_spec_ struct spec *s = NULL;
	assert_int_equal(parse_q("{'ociVersion':'1.0.0','linux':{'namespaces':[{'type':'time'},"
				 "{'type':'cgroup'},{'type':'user'},{'type':'network'}]}}",
				 &s, &err),
			 0);
	assert_int_equal(s->linux.namespaces[0].type, 0x80);
	assert_non_null(spec_find_namespace(s, CLONE_NEWCGROUP));
	assert_ptr_equal(spec_find_namespace(s, CLONE_NEWUSER), &s->linux.namespaces[2]);
	assert_ptr_equal(spec_find_namespace(s, CLONE_NEWNET), &s->linux.namespaces[3]);
	assert_null(spec_find_namespace(s, CLONE_NEWPID));
	assert_null(spec_find_namespace(NULL, CLONE_NEWPID));
}

static void test_integer_ranges(void **state)
{
	expect_error(PROC_USER("'uid':-1,'gid':0"),
		     "process.user.uid: value out of range [0, 4294967295]");
	expect_error(PROC_USER("'uid':4294967296,'gid':0"),
		     "process.user.uid: value out of range [0, 4294967295]");
	expect_error(PROC_USER("'uid':0,'gid':1e3"), "process.user.gid: expected an integer");
	expect_error(PROC_USER("'uid':0,'gid':0,'umask':512"),
		     "process.user.umask: value out of range [0, 511]");
	expect_error(PROC_USER("'uid':0,'gid':0,'additionalGids':[1,-2]"),
		     "process.user.additionalGids[1]: value out of range [0, 4294967295]");
	expect_error(PROC_WITH("'oomScoreAdj':1001"),
		     "process.oomScoreAdj: value out of range [-1000, 1000]");
	expect_error(PROC_WITH("'rlimits':[{'type':'RLIMIT_NOFILE','soft':-1,'hard':1}]"),
		     "process.rlimits[0].soft: value out of range [0, 18446744073709551615]");
	/* Beyond int64: json-c saturates, the reader still sees it is too big. */
	expect_error("{'ociVersion':'1.0.0','linux':{'resources':{'memory':"
		     "{'limit':9223372036854775808}}}}",
		     "linux.resources.memory.limit: value out of range "
		     "[-1, 9223372036854775807]");
	expect_error("{'ociVersion':'1.0.0','linux':{'resources':{'pids':"
		     "{'limit':-9223372036854775808}}}}",
		     "linux.resources.pids.limit: value out of range [-1, 9223372036854775807]");
	expect_error("{'ociVersion':'1.0.0','hooks':{'prestart':[{'path':'/x','timeout':0}]}}",
		     "hooks.prestart[0].timeout: must be greater than zero");
	expect_error("{'ociVersion':'1.0.0','hooks':{'prestart':[{'path':'/x','timeout':-3}]}}",
		     "hooks.prestart[0].timeout: must be greater than zero");
	expect_error("{'ociVersion':'1.0.0','linux':{'resources':{'memory':{'swappiness':101}}}}",
		     "linux.resources.memory.swappiness: value out of range [0, 100]");
	expect_error("{'ociVersion':'1.0.0','linux':{'namespaces':[{'type':'time'}],'timeOffsets':"
		     "{'boottime':{'secs':1,'nanosecs':1000000000}}}}",
		     "linux.timeOffsets.boottime.nanosecs: value out of range [0, 999999999]");
}

static void test_limits(void **state)
{
	/* Nesting deeper than SPEC_MAX_JSON_DEPTH, hidden in an ignored key. */
	char deep[256] = "{\"ociVersion\":\"1.0.0\",\"x\":";
	size_t n = strlen(deep);
	for (int i = 0; i < 40; i++)
		deep[n++] = '[';
	for (int i = 0; i < 40; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = '\0';
	expect_raw_error(deep, "invalid JSON: nested deeper than 32 levels");

	_cleanup_free_ char *many = make_env_config(SPEC_MAX_ARRAY + 1);
	expect_raw_error(many, "process.env: more than 4096 entries");
	_cleanup_free_ char *enough = make_env_config(SPEC_MAX_ARRAY);
	expect_raw_error(enough, NULL);

	_cleanup_free_ char *map = make_annotations_config(SPEC_MAX_ARRAY + 1);
	expect_raw_error(map, "annotations: more than 4096 entries");

	/* Tree size is capped before json-c builds anything (memory, not just entries). */
	_cleanup_free_ char *objs = make_filler_config("{}", SPEC_MAX_JSON_CONTAINERS);
	expect_raw_error(objs, "invalid JSON: more than 32768 objects and arrays");
	_cleanup_free_ char *vals = make_filler_config("1", SPEC_MAX_JSON_VALUES);
	expect_raw_error(vals, "invalid JSON: more than 131072 values");
	/* Braces and commas inside strings do not count. */
	_cleanup_free_ char *strs = make_filler_config("\"{[,\\\"\"", 4000);
	expect_raw_error(strs, NULL);

	_cleanup_free_ char *big = make_hostname_config(SPEC_MAX_STRING + 1);
	expect_raw_error(big, "hostname: string longer than 65536 bytes");
	_cleanup_free_ char *fits = make_hostname_config(SPEC_MAX_STRING);
	expect_raw_error(fits, NULL);

	expect_error(PROC_WITH("'env':['A=1\\u0000B=2']"),
		     "process.env[0]: string contains a NUL byte");

	struct hutch_err err = {0};
	struct spec *s = NULL;
	assert_int_equal(spec_parse("{}", SPEC_MAX_FILE_SIZE + 1, &s, &err), -EFBIG);
	assert_string_equal(err.msg, "config is 4194305 bytes, more than the limit of 4194304");
}

static void test_load_bundle_errors(void **state)
{
	struct hutch_err err = {0};
	struct spec *s = NULL;
	assert_int_equal(spec_load_bundle("/nonexistent-hutch", &s, &err), -ENOENT);
	assert_string_equal(err.msg,
			    "config '/nonexistent-hutch/config.json': No such file or directory");
	assert_int_equal(spec_load_bundle(SPEC_TEST_DIR "/bundle-bad", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "config '" SPEC_TEST_DIR "/bundle-bad/config.json': "
				     "linux.namespaces[1]: duplicate namespace type 'uts'");
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_roundtrip),
	    cmocka_unit_test(test_minimal),
	    cmocka_unit_test(test_unknown_keys_and_nulls_ignored),
	    cmocka_unit_test(test_bad_json),
	    cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_missing_required),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_integer_ranges),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_load_bundle_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
