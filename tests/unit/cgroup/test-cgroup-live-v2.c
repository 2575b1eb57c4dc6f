/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cgroup v2 code paths on a real cgroup2 hierarchy, even on a hybrid host: a directory
 * hutch-test-v2-<pid> in the host's cgroup2 tree is presented to the module as the root of a
 * v2 layout. Only that directory is touched (its controllers are whatever the host delegates,
 * often none; the core files — cgroup.freeze, cgroup.kill, cgroup.events, cpu.stat — and the
 * BPF device filter need none). Checks enter, freeze, stats, kill, the device filter as the
 * kernel enforces it, the cgroup2 mount inside a cgroup namespace, and destroy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-test-util.h"
#include "err.h"

static char base[256];
static struct cgroup_layout *lay;
static const char *skip_reason;

static void msleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int setup(void **state)
{
	struct hutch_err err = {0};
	enum cgroup_mode mode;
	if (geteuid() != 0) {
		skip_reason = "live cgroup v2 tests need root";
		return 0;
	}
	if (cgroup_detect(NULL, &mode, &err) < 0 || mode == CGROUP_MODE_V1) {
		skip_reason = "no cgroup2 hierarchy on this host";
		return 0;
	}
	snprintf(base, sizeof(base), "/sys/fs/cgroup%s/hutch-test-v2-%d",
		 mode == CGROUP_MODE_HYBRID ? "/unified" : "", getpid());
	if (mkdir(base, 0755) < 0) {
		skip_reason = "cannot make a directory in the cgroup2 tree";
		return 0;
	}
	char mi[512];
	snprintf(mi, sizeof(mi), "99 1 0:99 / %s rw - cgroup2 cgroup2 rw\n", base);
	if (cg_layout_parse(base, mi, "0::/\n", &lay, &err) < 0) {
		fprintf(stderr, "layout: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	if (!base[0] || skip_reason)
		return 0;
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cat $(find %s -name cgroup.procs) 2>/dev/null | xargs -r kill -9; sleep 0.1; "
		 "find %s -depth -type d -exec rmdir {} +; ! test -e %s",
		 base, base, base);
	int r = system(cmd);
	cg_layout_free(lay);
	if (r != 0)
		print_message("# left behind: %s\n", base);
	return r == 0 ? 0 : -1;
}

/* In a child moved into cg: which of /dev/null (rw), /dev/zero (r), /dev/full (r) open? */
static int probe_devices(struct cgroup *cg)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (cgroup_enter(cg, getpid(), NULL) < 0)
			_exit(100);
		int a = open("/dev/null", O_RDWR | O_CLOEXEC);
		int b = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		int c = open("/dev/full", O_RDONLY | O_CLOEXEC);
		int d = open("/dev/zero", O_WRONLY | O_CLOEXEC);
		_exit((a >= 0) | (b >= 0) << 1 | (c >= 0) << 2 | (d >= 0) << 3);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_v2_lifecycle(void **state)
{
	if (skip_reason) {
		print_message("# SKIP %s\n", skip_reason);
		skip();
	}
	struct spec_resources r;
	res_init(&r);
	struct spec_device_rule dev[] = {
	    {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "r"}};
	r.devices = dev;
	r.n_devices = ARRAY_SIZE(dev);
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	struct hutch_err err = {0};
	if (cgroup_create_in(lay, "/c1", NULL, &r, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	assert_int_equal(probe_devices(cg), 1 | 2);

	volatile uint64_t *counter =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(counter != MAP_FAILED);
	_cleanup_pid_ pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		for (;;)
			(*counter)++;
	if (cgroup_enter(cg, pid, &err) < 0)
		fail_msg("enter: %s", err.msg);
	if (cgroup_freeze(cg, true, &err) < 0)
		fail_msg("freeze: %s", err.msg);
	bool frozen;
	assert_int_equal(cgroup_is_frozen(cg, &frozen), 0);
	assert_true(frozen);
	uint64_t c1 = *counter;
	msleep(100);
	assert_true(*counter == c1);
	assert_int_equal(cgroup_freeze(cg, false, &err), 0);
	msleep(50);
	assert_true(*counter > c1);

	_cleanup_free_ pid_t *pids = NULL;
	size_t n;
	assert_int_equal(cgroup_pids(cg, &pids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], pid);
	struct cgroup_stats st;
	assert_int_equal(cgroup_stats(cg, &st, &err), 0);
	assert_true(st.cpu_usage_ns > 0);

	/* Applying new rules replaces the filter. */
	struct spec_device_rule dev2[] = {{true, 'c', 1, 7, "r"}};
	r.devices = dev2;
	r.n_devices = 1;
	if (cgroup_apply(cg, &r, &err) < 0)
		fail_msg("apply: %s", err.msg);
	assert_int_equal(probe_devices(cg), 4);

	assert_int_equal(cgroup_kill_all(cg, SIGKILL), 0);
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	pid = 0;
	assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	if (cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err.msg);
	char p[512];
	snprintf(p, sizeof(p), "%s/c1", base);
	assert_int_equal(access(p, F_OK), -1);
	munmap((void *)counter, 4096);
}

/* clone3(CLONE_INTO_CGROUP) with cgroup_unified_fd(): the child starts inside, no enter. */
static void test_v2_clone_into_cgroup(void **state)
{
	if (skip_reason)
		skip();
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	struct hutch_err err = {0};
	if (cgroup_create_in(lay, "/k1", NULL, NULL, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	assert_int_equal(cgroup_get_mode(cg), CGROUP_MODE_V2);
	assert_true(cgroup_unified_fd(cg) >= 0);
	struct clone_args args = {
	    .flags = CLONE_INTO_CGROUP,
	    .exit_signal = SIGCHLD,
	    .cgroup = (uint64_t)cgroup_unified_fd(cg),
	};
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) {
		print_message("# SKIP kernel has no clone3 CLONE_INTO_CGROUP\n");
		assert_int_equal(cgroup_destroy(cg, &err), 0);
		skip();
	}
	assert_true(pid >= 0);
	if (pid == 0)
		for (;;)
			pause();
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(cgroup_pids(cg, &pids, &n), 0);
	assert_int_equal(cgroup_destroy(cg, &err), 0);
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], pid);
}

/* Child: joins cg, makes its own cgroup and mount namespaces, mounts cgroup2 read-only into
 * the rootfs; the mount's root must be the container's cgroup (holding this very process). */
static int mount_child(struct cgroup *cg, const char *rootfs)
{
	if (cgroup_enter(cg, getpid(), NULL) < 0)
		return 10;
	if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 11;
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct hutch_err err = {0};
	if (cgroup_mount_in_rootfs(cg, rootfd, "/sys/fs/cgroup", true, &err) < 0) {
		fprintf(stderr, "mount: %s\n", err.msg);
		return 12;
	}
	char p[512], buf[64] = "";
	snprintf(p, sizeof(p), "%s/sys/fs/cgroup/cgroup.procs", rootfs);
	FILE *f = fopen(p, "re");
	if (!f || !fgets(buf, sizeof(buf), f) || atoi(buf) != getpid())
		return 13;
	fclose(f);
	snprintf(p, sizeof(p), "%s/sys/fs/cgroup/sub", rootfs);
	if (mkdir(p, 0755) == 0 || errno != EROFS)
		return 14;
	return 0;
}

static void test_v2_mount(void **state)
{
	if (skip_reason)
		skip();
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	struct hutch_err err = {0};
	if (cgroup_create_in(lay, "/m1", NULL, NULL, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	char rootfs[] = "/tmp/hutch-cgtest-rootfs-XXXXXX";
	assert_non_null(mkdtemp(rootfs));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(mount_child(cg, rootfs));
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", rootfs);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cgroup_destroy(cg, &err), 0);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v2_lifecycle),
	    cmocka_unit_test(test_v2_mount),
	    cmocka_unit_test(test_v2_clone_into_cgroup),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
