/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * identity_apply(), rlimits_apply(), oom_score_adj_apply() and the capability name table,
 * each applied for real in a forked child and read back from the kernel (/proc/self/status,
 * getgroups, getrlimit...).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "security/security.h"
#include "helpers.h"

#define BIT(c) (UINT64_C(1) << (c))

/* A capability line of /proc/self/status ("CapEff"), or UINT64_MAX if absent. */
static uint64_t status_caps(const char *key)
{
	char line[256];
	uint64_t v = UINT64_MAX;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return v;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':')
			v = strtoull(line + kl + 1, NULL, 16);
	fclose(f);
	return v;
}

static int apply(struct spec_process *p)
{
	struct hutch_err err = {0};
	int r = identity_apply(p, &err);
	if (r < 0)
		dprintf(2, "# identity_apply: %s\n", err.msg);
	return r;
}

static int child_drop_all(void *arg)
{
	struct spec_process p = {.user = {.uid = 0, .gid = 0}};
	CHECK(apply(&p) == 0);
	CHECK(status_caps("CapEff") == 0);
	CHECK(status_caps("CapPrm") == 0);
	CHECK(status_caps("CapInh") == 0);
	CHECK(status_caps("CapBnd") == 0);
	CHECK(status_caps("CapAmb") == 0);
	/* Still uid 0, yet without capabilities: a privileged call fails. */
	CHECK(getuid() == 0);
	CHECK(sethostname("x", 1) < 0 && errno == EPERM);
	return 0;
}

static void test_drop_all(void **state)
{
	SKIP_UNLESS_ROOT();
	assert_int_equal(child_exit_code(run_in_child(child_drop_all, NULL)), 0);
}

static int child_keep_across_uid(void *arg)
{
	uint64_t nbs = BIT(CAP_NET_BIND_SERVICE);
	struct spec_process p = {
	    .user = {.uid = 1000, .gid = 1000},
	    .has_caps = true,
	    .caps = {.bounding = nbs,
		     .effective = nbs,
		     .permitted = nbs,
		     .inheritable = nbs,
		     .ambient = nbs},
	};
	CHECK(apply(&p) == 0);
	uid_t r, e, s;
	CHECK(getresuid(&r, &e, &s) == 0 && r == 1000 && e == 1000 && s == 1000);
	gid_t gr, ge, gs;
	CHECK(getresgid(&gr, &ge, &gs) == 0 && gr == 1000 && ge == 1000 && gs == 1000);
	CHECK(status_caps("CapEff") == nbs);
	CHECK(status_caps("CapPrm") == nbs);
	CHECK(status_caps("CapInh") == nbs);
	CHECK(status_caps("CapBnd") == nbs);
	CHECK(status_caps("CapAmb") == nbs);
	CHECK(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);
	/* The capability works: a port under 1024 as uid 1000. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	return 0;
}

static void test_keep_caps_across_uid_change(void **state)
{
	SKIP_UNLESS_ROOT();
	assert_int_equal(child_exit_code(run_in_child(child_keep_across_uid, NULL)), 0);
}

/* Ambient capabilities are the ones that survive execve of an ordinary program as non-root. */
static int child_ambient_exec(void *arg)
{
	uint64_t nbs = BIT(CAP_NET_BIND_SERVICE);
	struct spec_process p = {
	    .user = {.uid = 1000, .gid = 1000},
	    .has_caps = true,
	    .caps = {.bounding = nbs,
		     .effective = nbs,
		     .permitted = nbs,
		     .inheritable = nbs,
		     .ambient = arg ? nbs : 0},
	};
	CHECK(apply(&p) == 0);
	execl("/bin/grep", "grep", "-q", "^CapEff:[[:space:]]*0000000000000400$",
	      "/proc/self/status", NULL);
	return 127;
}

static void test_ambient_survives_exec(void **state)
{
	SKIP_UNLESS_ROOT();
	assert_int_equal(child_exit_code(run_in_child(child_ambient_exec, (void *)1)), 0);
	/* Without ambient, the same exec loses the capability (grep finds no match: 1). */
	assert_int_equal(child_exit_code(run_in_child(child_ambient_exec, NULL)), 1);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* In a user namespace whose setgroups is "deny", no extra groups means: leave groups alone. */
static int child_setgroups_deny(void *arg)
{
	char map[32];
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWUSER) < 0)
		return 77; /* no user namespaces here */
	CHECK(write_file("/proc/self/setgroups", "deny") == 0);
	snprintf(map, sizeof(map), "0 %u 1", uid);
	CHECK(write_file("/proc/self/uid_map", map) == 0);
	snprintf(map, sizeof(map), "0 %u 1", gid);
	CHECK(write_file("/proc/self/gid_map", map) == 0);
	struct hutch_err err = {0};
	gid_t extra = 0;
	struct spec_process p = {.user = {.uid = 0, .gid = 0}};
	p.has_caps = true;
	p.caps.bounding = p.caps.effective = p.caps.permitted = BIT(CAP_SETUID) | BIT(CAP_SETGID);
	CHECK(identity_apply(&p, &err) == 0);
	/* With extra groups it must fail, and say so. */
	p.user.additional_gids = &extra;
	p.user.n_additional_gids = 1;
	CHECK(identity_apply(&p, &err) == -EPERM);
	CHECK(strcmp(err.msg, "setgroups (1 groups): Operation not permitted") == 0);
	return 0;
}

static void test_setgroups_denied_in_userns(void **state)
{
	SKIP_UNLESS_ROOT();
	int code = child_exit_code(run_in_child(child_setgroups_deny, NULL));
	if (code == 77) {
		print_message("# skip: cannot create a user namespace here\n");
		skip();
	}
	assert_int_equal(code, 0);
}

static int child_bounding(void *arg)
{
	uint64_t keep = BIT(CAP_CHOWN) | BIT(CAP_SETPCAP);
	struct spec_process p = {
	    .has_caps = true,
	    .caps = {.bounding = keep, .effective = keep, .permitted = keep},
	};
	CHECK(apply(&p) == 0);
	CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 0);
	CHECK(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) == 1);
	/* Even with CAP_SETPCAP, a dropped capability cannot come back into inheritable... */
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {0};
	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[0].inheritable = (uint32_t)BIT(CAP_SYS_ADMIN);
	CHECK(syscall(SYS_capset, &hdr, d) < 0 && errno == EPERM);
	/* ...nor into permitted, nor into ambient. */
	d[0].inheritable = 0;
	d[0].permitted |= (uint32_t)BIT(CAP_SYS_ADMIN);
	CHECK(syscall(SYS_capset, &hdr, d) < 0 && errno == EPERM);
	CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0) < 0);
	/* And an exec of a setuid-root program only gets what the bounding set allows. */
	CHECK(status_caps("CapBnd") == keep);
	return 0;
}

static void test_bounding_drop_prevents_regaining(void **state)
{
	SKIP_UNLESS_ROOT();
	assert_int_equal(child_exit_code(run_in_child(child_bounding, NULL)), 0);
}

/* Without CAP_SETPCAP a bounding set can only be "dropped" to what it already is: each
 * refused drop must be checked (the capability already gone is no error), and one still
 * there must fail, named. */
static int child_bounding_without_setpcap(void *arg)
{
	(void)arg;
	/* identity_apply changes ids too (setgroups, setresuid): those capabilities stay. */
	uint64_t keep = BIT(CAP_CHOWN) | BIT(CAP_SETUID) | BIT(CAP_SETGID);
	int last = 0;
	while (last < 63 && prctl(PR_CAPBSET_READ, (unsigned long)last + 1, 0, 0, 0) >= 0)
		last++;
	for (int c = 0; c <= last; c++)
		if (!(keep & BIT(c)) && c != CAP_KILL)
			CHECK(prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) == 0);
	/* CAP_SETPCAP is gone from the bounding set; now from the effective set too. */
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {0};
	d[0].effective = d[0].permitted = (uint32_t)keep;
	CHECK(syscall(SYS_capset, &hdr, d) == 0);
	struct spec_process p = {
	    .has_caps = true,
	    .caps = {.bounding = keep | BIT(CAP_KILL), .effective = keep, .permitted = keep},
	};
	CHECK(apply(&p) == 0); /* everything else was gone already */
	p.caps.bounding = keep; /* CAP_KILL is still there and cannot go */
	struct hutch_err err = {0};
	CHECK(identity_apply(&p, &err) == -EPERM);
	CHECK(strstr(err.msg, "drop capability") != NULL);
	CHECK(prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0) == 1);
	return 0;
}

static void test_bounding_without_setpcap(void **state)
{
	SKIP_UNLESS_ROOT();
	assert_int_equal(child_exit_code(run_in_child(child_bounding_without_setpcap, NULL)), 0);
}

static int child_groups_umask(void *arg)
{
	gid_t extra[] = {10, 20, 30};
	struct spec_process p = {
	    .user = {.uid = 1000,
		     .gid = 1001,
		     .has_umask = true,
		     .umask = 027,
		     .additional_gids = extra,
		     .n_additional_gids = 3},
	};
	CHECK(apply(&p) == 0);
	gid_t got[8];
	int n = getgroups(8, got);
	CHECK(n == 3 && got[0] == 10 && got[1] == 20 && got[2] == 30);
	CHECK(getgid() == 1001 && getegid() == 1001);
	CHECK(umask(0) == 027);
	return 0;
}

static void test_additional_gids_and_umask(void **state)
{
	SKIP_UNLESS_ROOT();
	assert_int_equal(child_exit_code(run_in_child(child_groups_umask, NULL)), 0);
}

static int child_errors(void *arg)
{
	struct hutch_err err = {0};
	struct spec_process p = {.user = {.uid = 1000, .gid = 1000}};
	CHECK(identity_apply(&p, &err) == 0);
	/* Now without capabilities: becoming root again must fail and say where. */
	p.user.uid = 0;
	p.user.gid = 0;
	CHECK(identity_apply(&p, &err) == -EPERM);
	CHECK(strcmp(err.msg, "setgroups (0 groups): Operation not permitted") == 0);
	gid_t g = 1000;
	p.user.additional_gids = &g;
	p.user.n_additional_gids = 1;
	p.user.gid = 1000;
	/* setgroups to the same single group still needs CAP_SETGID */
	CHECK(identity_apply(&p, &err) == -EPERM);
	return 0;
}

static int child_setresuid_error(void *arg)
{
	struct hutch_err err = {0};
	/* Keep CAP_SETGID only: the groups and gid steps pass, the uid step fails. */
	uint64_t keep = BIT(CAP_SETGID);
	struct spec_process p = {.user = {.uid = 1000, .gid = 1000},
				 .has_caps = true,
				 .caps = {.bounding = keep, .effective = keep, .permitted = keep}};
	CHECK(identity_apply(&p, &err) == 0);
	p.user.uid = 1001;
	CHECK(identity_apply(&p, &err) == -EPERM);
	CHECK(strcmp(err.msg, "setresuid 1001: Operation not permitted") == 0);
	return 0;
}

static void test_errors_name_the_step(void **state)
{
	SKIP_UNLESS_ROOT();
	assert_int_equal(child_exit_code(run_in_child(child_errors, NULL)), 0);
	assert_int_equal(child_exit_code(run_in_child(child_setresuid_error, NULL)), 0);
}

static int child_rlimits(void *arg)
{
	struct spec_rlimit l[] = {
	    {.resource = RLIMIT_NOFILE, .soft = 100, .hard = 200},
	    {.resource = RLIMIT_NPROC, .soft = 50, .hard = 60},
	    {.resource = RLIMIT_CORE, .soft = RLIM_INFINITY, .hard = RLIM_INFINITY},
	};
	struct spec_process p = {.rlimits = l, .n_rlimits = 3};
	struct hutch_err err = {0};
	CHECK(rlimits_apply(&p, &err) == 0);
	struct rlimit rl;
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 100 && rl.rlim_max == 200);
	CHECK(getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur == 50 && rl.rlim_max == 60);
	CHECK(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY);

	/* soft over hard: the kernel's EINVAL, with the rlimit named. */
	struct spec_rlimit bad[] = {{.resource = RLIMIT_NOFILE, .soft = 20, .hard = 10}};
	struct spec_process q = {.rlimits = bad, .n_rlimits = 1};
	CHECK(rlimits_apply(&q, &err) == -EINVAL);
	CHECK(strcmp(err.msg, "rlimit 'RLIMIT_NOFILE' (soft 20, hard 10): Invalid argument") == 0);
	bad[0].resource = 99;
	CHECK(rlimits_apply(&q, &err) == -EINVAL);
	CHECK(strcmp(err.msg, "process.rlimits[0]: unknown resource 99") == 0);
	return 0;
}

static void test_rlimits(void **state)
{
	SKIP_UNLESS_ROOT();
	assert_int_equal(child_exit_code(run_in_child(child_rlimits, NULL)), 0);
}

static int child_oom(void *arg)
{
	struct spec_process p = {.has_oom_score_adj = true, .oom_score_adj = 512};
	struct hutch_err err = {0};
	CHECK(oom_score_adj_apply(&p, &err) == 0);
	char buf[16] = {0};
	int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	CHECK(atoi(buf) == 512);
	p.oom_score_adj = 5000;
	CHECK(oom_score_adj_apply(&p, &err) == -EINVAL);
	CHECK(strcmp(err.msg, "oom_score_adj 5000: Invalid argument") == 0);
	p.has_oom_score_adj = false;
	CHECK(oom_score_adj_apply(&p, &err) == 0);
	return 0;
}

static void test_oom_score_adj(void **state)
{
	SKIP_UNLESS_ROOT();
	assert_int_equal(child_exit_code(run_in_child(child_oom, NULL)), 0);
}

static void test_cap_names(void **state)
{
	assert_int_equal(cap_from_spec_name("CAP_CHOWN"), CAP_CHOWN);
	assert_int_equal(cap_from_spec_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
	assert_int_equal(cap_from_spec_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(cap_from_spec_name("cap_chown"), -EINVAL);
	assert_int_equal(cap_from_spec_name("SYS_ADMIN"), -EINVAL);
	assert_int_equal(cap_from_spec_name(""), -EINVAL);
	assert_int_equal(cap_from_spec_name(NULL), -EINVAL);
	assert_string_equal(cap_to_spec_name(CAP_NET_RAW), "CAP_NET_RAW");
	assert_null(cap_to_spec_name(64));
	assert_null(cap_to_spec_name(-1));
	for (int c = 0; c <= 40; c++)
		assert_int_equal(cap_from_spec_name(cap_to_spec_name(c)), c);
	assert_string_equal(rlimit_to_spec_name(RLIMIT_NOFILE), "RLIMIT_NOFILE");
}

static void test_cap_last_cap(void **state)
{
	int last = cap_last_cap();
	assert_true(last >= CAP_AUDIT_READ && last < 64);
	/* The kernel agrees: the bounding set has last and nothing after it. */
	assert_true(prctl(PR_CAPBSET_READ, last, 0, 0, 0) >= 0);
	assert_true(prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drop_all),
	    cmocka_unit_test(test_keep_caps_across_uid_change),
	    cmocka_unit_test(test_ambient_survives_exec),
	    cmocka_unit_test(test_setgroups_denied_in_userns),
	    cmocka_unit_test(test_bounding_drop_prevents_regaining),
	    cmocka_unit_test(test_bounding_without_setpcap),
	    cmocka_unit_test(test_additional_gids_and_umask),
	    cmocka_unit_test(test_errors_name_the_step),
	    cmocka_unit_test(test_rlimits),
	    cmocka_unit_test(test_oom_score_adj),
	    cmocka_unit_test(test_cap_names),
	    cmocka_unit_test(test_cap_last_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
