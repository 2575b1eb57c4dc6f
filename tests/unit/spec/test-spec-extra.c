/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for spec_validate, spec_default_json (against the real `runc spec` when runc is
 * installed), spec_process_parse and spec_resources_parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fileio.h"
#include "spec-test.h"

static void test_validate_errors(void **state)
{
	expect_error("{'ociVersion':'2.0.0'}",
		     "ociVersion: unsupported version '2.0.0' (1.x expected)");
	expect_error("{'ociVersion':'1.0.0','root':{'path':''}}", "root.path: must not be empty");
	expect_error("{'ociVersion':'1.0.0','process':{'user':{'uid':0,'gid':0},'cwd':'/'}}",
		     "process.args: must not be empty");
	expect_error("{'ociVersion':'1.0.0','process':{'user':{'uid':0,'gid':0},'cwd':'/',"
		     "'args':[]}}",
		     "process.args: must not be empty");
	expect_error("{'ociVersion':'1.0.0','process':{'user':{'uid':0,'gid':0},'cwd':'home',"
		     "'args':['a']}}",
		     "process.cwd: 'home' is not an absolute path");
	expect_error(PROC_WITH("'rlimits':[{'type':'RLIMIT_NOFILE','soft':2,'hard':1}]"),
		     "process.rlimits[0]: soft limit above hard limit");
	expect_error(PROC_WITH("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
			       "{'type':'RLIMIT_NOFILE','soft':1,'hard':1}]"),
		     "process.rlimits[1].type: duplicate rlimit");
	expect_error("{'ociVersion':'1.0.0','mounts':[{'destination':'/a'},{'destination':'b'}]}",
		     "mounts[1].destination: 'b' is not an absolute path");
	/* Not normalized but absolute: accepted, the engine resolves it inside the rootfs. */
	expect_error("{'ociVersion':'1.0.0','mounts':[{'destination':'/a/../b'}]}", NULL);
	expect_error("{'ociVersion':'1.0.0','hooks':{'createRuntime':[{'path':'hook'}]}}",
		     "hooks.createRuntime[0].path: 'hook' is not an absolute path");
	expect_error("{'ociVersion':'1.0.0','linux':{'uidMappings':[{'containerID':0,'hostID':1,"
		     "'size':1}]}}",
		     "linux.uidMappings: mappings given without a user namespace");
	/* Joining an existing user namespace by path is fine. */
	expect_error("{'ociVersion':'1.0.0','linux':{'namespaces':[{'type':'user','path':"
		     "'/proc/1/ns/user'}],'uidMappings':[{'containerID':0,'hostID':1,'size':1}]}}",
		     NULL);
	expect_error("{'ociVersion':'1.0.0','linux':{'namespaces':[{'type':'user'}],'gidMappings':"
		     "[{'containerID':0,'hostID':1,'size':0}]}}",
		     "linux.gidMappings[0].size: must be greater than zero");
	expect_error("{'ociVersion':'1.0.0','linux':{'namespaces':[{'type':'user'}],'uidMappings':"
		     "[{'containerID':4294967295,'hostID':1,'size':2}]}}",
		     "linux.uidMappings[0]: range wraps past 4294967295");
	expect_error("{'ociVersion':'1.0.0','linux':{'namespaces':[{'type':'pid','path':'x'}]}}",
		     "linux.namespaces[0].path: 'x' is not an absolute path");
	expect_error("{'ociVersion':'1.0.0','linux':{'timeOffsets':{'monotonic':{'secs':1}}}}",
		     "linux.timeOffsets: offsets given without a time namespace");
	expect_error("{'ociVersion':'1.0.0','hostname':'h'}",
		     "hostname: setting it needs a uts namespace");
	expect_error("{'ociVersion':'1.0.0','linux':{'rootfsPropagation':'bogus'}}",
		     "linux.rootfsPropagation: invalid value 'bogus'");
	expect_error("{'ociVersion':'1.0.0','linux':{'rootfsPropagation':'runbindable'}}", NULL);
	expect_error("{'ociVersion':'1.0.0','annotations':{'':'x'}}", "annotations: empty key");
}

static void test_validate_paths(void **state)
{
	static const char *const bad_sysctl[] = {"net/ipv4", "..", "net..x", ".net", "net.", ""};
	char q[256];
	for (size_t i = 0; i < sizeof(bad_sysctl) / sizeof(bad_sysctl[0]); i++) {
		char msg[128];
		snprintf(q, sizeof(q), "{'ociVersion':'1.0.0','linux':{'sysctl':{'%s':'1'}}}",
			 bad_sysctl[i]);
		snprintf(msg, sizeof(msg), "linux.sysctl['%s']: invalid sysctl name",
			 bad_sysctl[i]);
		expect_error(q, msg);
	}
	expect_error("{'ociVersion':'1.0.0','linux':{'devices':[{'path':'/dev/../etc/x',"
		     "'type':'c','major':1,'minor':1}]}}",
		     "linux.devices[0].path: '/dev/../etc/x' is not a path under /dev");
	expect_error("{'ociVersion':'1.0.0','linux':{'devices':[{'path':'/etc/x',"
		     "'type':'c','major':1,'minor':1}]}}",
		     "linux.devices[0].path: '/etc/x' is not a path under /dev");
	expect_error("{'ociVersion':'1.0.0','linux':{'devices':[{'path':'/dev/x','type':'x'}]}}",
		     "linux.devices[0].type: unknown device type 'x'");
	expect_error("{'ociVersion':'1.0.0','linux':{'devices':[{'path':'/dev/x','type':'b'}]}}",
		     "linux.devices[0]: major and minor are required for type 'b'");
	expect_error("{'ociVersion':'1.0.0','linux':{'maskedPaths':['/a','b']}}",
		     "linux.maskedPaths[1]: 'b' is not an absolute path");
	expect_error("{'ociVersion':'1.0.0','linux':{'readonlyPaths':['c']}}",
		     "linux.readonlyPaths[0]: 'c' is not an absolute path");
	expect_error("{'ociVersion':'1.0.0','linux':{'resources':{'unified':{'../x':'1'}}}}",
		     "linux.resources.unified['../x']: not a cgroup file name");
	expect_error("{'ociVersion':'1.0.0','linux':{'resources':{'hugepageLimits':"
		     "[{'pageSize':'2MB/../x','limit':1}]}}}",
		     "linux.resources.hugepageLimits[0].pageSize: invalid size '2MB/../x'");
	expect_error(
	    "{'ociVersion':'1.0.0','linux':{'resources':{'devices':[{'allow':true,"
	    "'access':'rwmr'}]}}}",
	    "linux.resources.devices[0].access: invalid access 'rwmr' (a subset of \"rwm\")");
	expect_error("{'ociVersion':'1.0.0','linux':{'resources':{'devices':[{'allow':true,"
		     "'type':'p'}]}}}",
		     "linux.resources.devices[0].type: unknown device type 'p'");
}

/* A hand-built spec (as the sandbox layer makes) goes through the same checks. */
static void test_validate_hand_built(void **state)
{
	struct hutch_err err = {0};
	struct spec_namespace ns[2] = {{.type = CLONE_NEWPID}, {.type = CLONE_NEWPID}};
	struct spec s = {.oci_version = (char *)"1.0.0", .has_linux = true};
	s.linux.namespaces = ns;
	s.linux.n_namespaces = 2;
	assert_int_equal(spec_validate(&s, &err), -EINVAL);
	assert_string_equal(err.msg, "linux.namespaces[1]: duplicate namespace type 'pid'");
	s.linux.n_namespaces = 1;
	assert_int_equal(spec_validate(&s, &err), 0);
}

static void check_default(bool rootless)
{
	struct hutch_err err = {0};
	_cleanup_free_ char *json = spec_default_json(rootless);
	assert_non_null(json);
	_cleanup_spec_ struct spec *s = NULL;
	int r = spec_parse(json, strlen(json), &s, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(spec_validate(s, &err), 0);
	assert_string_equal(s->process.args[0], "sh");
	assert_true(s->process.terminal);
	assert_int_equal(s->n_mounts, 7);
	assert_string_equal(s->mounts[6].destination, "/sys/fs/cgroup");
	assert_int_equal(strv_length(s->linux.masked_paths), 10);
	assert_int_equal(strv_length(s->linux.readonly_paths), 5);
	assert_int_equal(s->process.caps.bounding, (1ull << 29) | (1ull << 5) | (1ull << 10));
	assert_int_equal(s->process.n_rlimits, 1);
	assert_non_null(spec_find_namespace(s, CLONE_NEWNS));
	assert_non_null(spec_find_namespace(s, CLONE_NEWPID));
	if (rootless) {
		assert_non_null(spec_find_namespace(s, CLONE_NEWUSER));
		assert_null(spec_find_namespace(s, CLONE_NEWNET));
		assert_int_equal(s->linux.uid_mappings[0].host_id, geteuid());
		assert_int_equal(s->linux.gid_mappings[0].host_id, getegid());
		assert_string_equal(s->mounts[5].type, "none");
		assert_false(strv_contains(s->mounts[2].options, "gid=5"));
		assert_false(s->linux.has_resources);
	} else {
		assert_null(spec_find_namespace(s, CLONE_NEWUSER));
		assert_non_null(spec_find_namespace(s, CLONE_NEWNET));
		assert_string_equal(s->mounts[5].type, "sysfs");
		assert_true(strv_contains(s->mounts[2].options, "gid=5"));
		assert_int_equal(s->linux.resources.n_devices, 1);
		assert_false(s->linux.resources.devices[0].allow);
	}
}

static void test_default_json(void **state)
{
	check_default(false);
	check_default(true);
}

/* Runs `runc spec [--rootless]` in a fresh directory; 0 with the output, or -errno. */
static int runc_spec(bool rootless, char **ret)
{
	char dir[] = "/tmp/hutch-spec-XXXXXX", cmd[256], path[64];
	if (!mkdtemp(dir))
		return -errno;
	snprintf(cmd, sizeof(cmd), "cd %s && runc spec %s >/dev/null 2>&1", dir,
		 rootless ? "--rootless" : "");
	int st = system(cmd);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	int r = st == 0 ? read_file_at(AT_FDCWD, path, SPEC_MAX_FILE_SIZE, ret, NULL) : -EIO;
	unlink(path);
	rmdir(dir);
	return r;
}

static void test_runc_spec(void **state)
{
	if (system("command -v runc >/dev/null 2>&1") != 0) {
		print_message("# SKIP runc is not installed: cannot compare with `runc spec`\n");
		skip();
	}
	for (int rootless = 0; rootless < 2; rootless++) {
		_cleanup_free_ char *theirs = NULL;
		assert_int_equal(runc_spec(rootless, &theirs), 0);
		struct hutch_err err = {0};
		_cleanup_spec_ struct spec *s = NULL;
		if (spec_parse(theirs, strlen(theirs), &s, &err) < 0)
			fail_msg("runc spec%s: %s", rootless ? " --rootless" : "", err.msg);
		/* runc 1.1 writes this very document; newer runc versions differ a little. */
		_cleanup_free_ char *ours = spec_default_json(rootless);
		if (strstr(theirs, "\"ociVersion\": \"1.0.2-dev\""))
			assert_string_equal(ours, theirs);
	}
}

static void test_process_parse(void **state)
{
	struct hutch_err err = {0};
	struct spec_process p;
	_cleanup_free_ char *ok =
	    dq("{'terminal':false,'user':{'uid':5,'gid':6},'args':['ls','-l'],"
	       "'env':['A=b'],'cwd':'/tmp','capabilities':{'bounding':"
	       "['CAP_SYS_PTRACE']},'noNewPrivileges':true,"
	       "'rlimits':[{'type':'RLIMIT_NPROC','soft':10,'hard':20}]}");
	assert_int_equal(spec_process_parse(ok, strlen(ok), &p, &err), 0);
	assert_int_equal(p.user.uid, 5);
	assert_string_equal(p.args[1], "-l");
	assert_string_equal(p.cwd, "/tmp");
	assert_true(p.has_caps);
	assert_int_equal(p.caps.bounding, 1ull << 19);
	assert_int_equal(p.rlimits[0].resource, RLIMIT_NPROC);
	assert_true(p.no_new_privileges);
	spec_process_release(&p);
	assert_null(p.args);

	_cleanup_free_ char *bad = dq("{'user':{'uid':5,'gid':6},'args':['ls',{}],'cwd':'/'}");
	assert_int_equal(spec_process_parse(bad, strlen(bad), &p, &err), -EINVAL);
	assert_string_equal(err.msg, "args[1]: expected a string");
	assert_null(p.args);
	_cleanup_free_ char *rel = dq("{'user':{'uid':5,'gid':6},'args':['ls'],'cwd':'x'}");
	assert_int_equal(spec_process_parse(rel, strlen(rel), &p, &err), -EINVAL);
	assert_string_equal(err.msg, "cwd: 'x' is not an absolute path");
	assert_int_equal(spec_process_parse("[", 1, &p, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid JSON: unexpected end of input");
}

static void test_resources_parse(void **state)
{
	struct hutch_err err = {0};
	struct spec_resources r;
	_cleanup_free_ char *ok = dq("{'memory':{'limit':1048576,'swap':2097152},'cpu':{'quota':"
				     "20000,'period':100000,'cpus':'0'},'pids':{'limit':-1},"
				     "'blockIO':{'weight':100},'unified':{'pids.max':'10'}}");
	assert_int_equal(spec_resources_parse(ok, strlen(ok), &r, &err), 0);
	assert_true(r.has_memory && r.memory.limit == 1048576 && r.memory.swap == 2097152);
	assert_true(r.memory.reservation == SPEC_UNSET && r.memory.swappiness == SPEC_UNSET);
	assert_true(r.has_cpu && r.cpu.quota == 20000 && r.cpu.shares == SPEC_UNSET);
	assert_string_equal(r.cpu.cpus, "0");
	assert_int_equal(r.pids_limit, -1);
	assert_true(r.has_blkio && r.blkio.weight == 100 && r.blkio.leaf_weight == SPEC_UNSET);
	assert_string_equal(r.unified[0].key, "pids.max");
	spec_resources_release(&r);
	assert_true(r.pids_limit == SPEC_UNSET && !r.has_memory);

	/* Go's uint64(-1) for "swappiness not set" reads as unset. */
	const char *sw = "{\"memory\":{\"swappiness\":18446744073709551615}}";
	assert_int_equal(spec_resources_parse(sw, strlen(sw), &r, &err), 0);
	assert_true(r.memory.swappiness == SPEC_UNSET);
	spec_resources_release(&r);

	_cleanup_free_ char *bad = dq("{'cpu':{'shares':-5}}");
	assert_int_equal(spec_resources_parse(bad, strlen(bad), &r, &err), -ERANGE);
	assert_string_equal(err.msg, "cpu.shares: value out of range [0, 9223372036854775807]");
	_cleanup_free_ char *uni = dq("{'unified':{'a/b':'1'}}");
	assert_int_equal(spec_resources_parse(uni, strlen(uni), &r, &err), -EINVAL);
	assert_string_equal(err.msg, "unified['a/b']: not a cgroup file name");
	_cleanup_free_ char *hp = dq("{'hugepageLimits':[{'pageSize':'2MB','limit':1},"
				     "{'limit':2}]}");
	assert_int_equal(spec_resources_parse(hp, strlen(hp), &r, &err), -EINVAL);
	assert_string_equal(err.msg, "hugepageLimits[1].pageSize: missing required field");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_validate_errors),	cmocka_unit_test(test_validate_paths),
	    cmocka_unit_test(test_validate_hand_built), cmocka_unit_test(test_default_json),
	    cmocka_unit_test(test_runc_spec),		cmocka_unit_test(test_process_parse),
	    cmocka_unit_test(test_resources_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
