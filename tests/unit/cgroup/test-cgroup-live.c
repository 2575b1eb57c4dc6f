/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cgroup module on this host's real cgroups (root only; skips with a reason otherwise):
 * limits land in the kernel's files, a child really moves in, freezing really stops it,
 * destroy kills what is inside and leaves no directory behind, and the in-rootfs mount shows
 * the container's own cgroup (tested in a private mount namespace of a forked child).
 *
 * Every cgroup is /hutch-test/hutch-test-<pid>-<n>, so leftovers are easy to spot; the group
 * teardown removes /hutch-test again and checks nothing named hutch-test* is left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <glob.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-test-util.h"
#include "err.h"

static const char *skip_reason;
static int seq;

static void cg_path(char *buf, size_t size)
{
	snprintf(buf, size, "/hutch-test/hutch-test-%d-%d", getpid(), ++seq);
}

static void msleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Reads <dir>/<knob> of the container's directory for ctrl. */
static const char *knob(struct cgroup *cg, const char *ctrl, const char *name)
{
	static char buf[8192];
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", cgroup_path_for(cg, ctrl), name);
	FILE *f = fopen(p, "re");
	buf[0] = '\0';
	if (f) {
		buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
		fclose(f);
	}
	return buf;
}

static bool gone_everywhere(const char *path)
{
	char pat[512];
	snprintf(pat, sizeof(pat), "/sys/fs/cgroup/*%s", path);
	glob_t g;
	int r = glob(pat, 0, NULL, &g);
	if (r == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			print_message("# left behind: %s\n", g.gl_pathv[i]);
		globfree(&g);
	}
	return r == GLOB_NOMATCH;
}

/* A child that counts in shared memory until killed. */
static pid_t spawn_counter(volatile uint64_t **counter)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	*counter = m;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			(**counter)++;
	}
	return pid;
}

static void res_limits(struct spec_resources *r, struct spec_device_rule *dev, size_t ndev)
{
	res_init(r);
	r->has_memory = true;
	r->memory.limit = 64 << 20;
	r->has_cpu = true;
	r->cpu.shares = 512;
	r->cpu.quota = 50000;
	r->cpu.period = 100000;
	r->pids_limit = 32;
	r->devices = dev;
	r->n_devices = ndev;
}

static void test_lifecycle(void **state)
{
	if (skip_reason) {
		print_message("# SKIP %s\n", skip_reason);
		skip();
	}
	char path[128];
	cg_path(path, sizeof(path));
	struct spec_device_rule dev[] = {
	    {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "r"}};
	struct spec_resources r;
	res_limits(&r, dev, ARRAY_SIZE(dev));
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	struct hutch_err err = {0};
	if (cgroup_create(NULL, path, "ignored", &r, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	bool v2 = cgroup_path_for(cg, "") && cg->lay->mode == CGROUP_MODE_V2;
	assert_string_equal(knob(cg, "memory", v2 ? "memory.max" : "memory.limit_in_bytes"),
			    "67108864\n");
	assert_string_equal(knob(cg, "pids", "pids.max"), "32\n");
	if (!v2) {
		assert_string_equal(knob(cg, "cpu", "cpu.shares"), "512\n");
		assert_string_equal(knob(cg, "cpu", "cpu.cfs_quota_us"), "50000\n");
		assert_string_equal(knob(cg, "devices", "devices.list"), "c 1:3 rwm\nc 1:5 r\n");
	}

	volatile uint64_t *counter;
	_cleanup_pid_ pid_t pid = spawn_counter(&counter);
	if (cgroup_enter(cg, pid, &err) < 0)
		fail_msg("enter: %s", err.msg);
	/* The kernel agrees the child is inside, in every hierarchy. */
	char p[64], buf[4096];
	snprintf(p, sizeof(p), "/proc/%d/cgroup", pid);
	FILE *f = fopen(p, "re");
	assert_non_null(f);
	size_t inside = 0, lines = 0;
	while (fgets(buf, sizeof(buf), f)) {
		lines++;
		buf[strcspn(buf, "\n")] = '\0';
		size_t bl = strlen(buf), pl = strlen(path);
		inside += bl >= pl && !strcmp(buf + bl - pl, path);
	}
	fclose(f);
	assert_int_equal(inside, lines);

	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(cgroup_pids(cg, &pids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], pid);

	/* Frozen: the counter stops; thawed: it moves again. */
	if (cgroup_freeze(cg, true, &err) < 0)
		fail_msg("freeze: %s", err.msg);
	bool frozen = false;
	assert_int_equal(cgroup_is_frozen(cg, &frozen), 0);
	assert_true(frozen);
	uint64_t c1 = *counter;
	msleep(100);
	assert_true(*counter == c1);
	assert_int_equal(cgroup_freeze(cg, false, &err), 0);
	assert_int_equal(cgroup_is_frozen(cg, &frozen), 0);
	assert_false(frozen);
	msleep(50);
	assert_true(*counter > c1);

	struct cgroup_stats st;
	assert_int_equal(cgroup_stats(cg, &st, &err), 0);
	assert_int_equal(st.pids_current, 1);
	assert_int_equal(st.pids_limit, 32);
	assert_int_equal(st.memory_limit, 64 << 20);
	assert_true(st.cpu_usage_ns > 0);

	assert_int_equal(cgroup_kill_all(cg, SIGKILL), 0);
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	pid = 0;
	assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	if (cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err.msg);
	assert_true(gone_everywhere(path));
	munmap((void *)counter, 4096);
}

static void test_destroy_kills_forks(void **state)
{
	if (skip_reason)
		skip();
	char path[128];
	cg_path(path, sizeof(path));
	struct hutch_err err = {0};
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	if (cgroup_create(NULL, path, NULL, NULL, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	int go[2];
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	_cleanup_pid_ pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		for (int i = 0; i < 5; i++)
			if (fork() == 0)
				break;
		for (;;)
			pause();
	}
	close(go[0]);
	assert_int_equal(cgroup_enter(cg, pid, &err), 0);
	assert_int_equal(write(go[1], "x", 1), 1);
	close(go[1]);
	size_t n = 0;
	for (int i = 0; i < 200 && n < 6; i++) {
		_cleanup_free_ pid_t *pids = NULL;
		assert_int_equal(cgroup_pids(cg, &pids, &n), 0);
		msleep(5);
	}
	assert_int_equal(n, 6);
	/* Reopened by a later CLI call, then destroyed with everything still running. */
	_cleanup_cgroup_ struct cgroup *again = NULL;
	assert_int_equal(cgroup_open(NULL, path, NULL, &again, &err), 0);
	assert_string_equal(cgroup_path_for(again, "pids"), cgroup_path_for(cg, "pids"));
	if (cgroup_destroy(again, &err) < 0)
		fail_msg("destroy: %s", err.msg);
	int ws;
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	pid = 0;
	assert_true(WIFSIGNALED(ws));
	assert_true(gone_everywhere(path));
	assert_int_equal(cgroup_open(NULL, path, NULL, &again, &err), -ENOENT);
}

/* A create that fails half way (a resource this host cannot give) leaves nothing behind. */
static void test_failed_create_leaves_nothing(void **state)
{
	if (skip_reason)
		skip();
	char path[128];
	cg_path(path, sizeof(path));
	struct spec_resources r;
	res_limits(&r, NULL, 0);
	struct spec_hugepage_limit hp = {"2MB", 1 << 21};
	struct spec_key_value kv = {"memory.high", "1000000"};
	struct hutch_err err = {0};
	struct cgroup *cg = NULL;
	const struct cgroup_layout *lay;
	if (cg_layout_get(NULL, &lay, &err) < 0)
		fail_msg("layout: %s", err.msg);
	if (lay->mode == CGROUP_MODE_V2) {
		r.memory.swap = 1; /* below the memory limit: refused after the dirs exist */
	} else if (cg_layout_find(lay, "hugetlb") >= 0) {
		r.unified = &kv; /* v2 only */
		r.n_unified = 1;
	} else {
		r.hugepage_limits = &hp;
		r.n_hugepage_limits = 1;
	}
	int rc = cgroup_create(NULL, path, NULL, &r, &cg, &err);
	print_message("# expected failure: %s\n", err.msg);
	assert_true(rc < 0);
	assert_null(cg);
	assert_true(gone_everywhere(path));
}

/* In a forked child with its own mount namespace: mount into <rootfs>/sys/fs/cgroup and
 * look. Returns a code naming the first failed check (0 = all good). */
/* Becomes root of a new user namespace (mapping our own ids), as a rootless engine would. */
static int enter_userns(void)
{
	static const char *const files[][2] = {{"/proc/self/setgroups", "deny"},
					       {"/proc/self/uid_map", "0 0 1"},
					       {"/proc/self/gid_map", "0 0 1"}};
	if (unshare(CLONE_NEWUSER) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		FILE *f = fopen(files[i][0], "we");
		if (!f || fputs(files[i][1], f) < 0 || fclose(f) != 0)
			return -1;
	}
	return 0;
}

static int mount_child(struct cgroup *cg, const char *rootfs, const char *sys, bool ro, bool userns)
{
	if (userns && enter_userns() < 0)
		return 9;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 10;
	int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct hutch_err err = {0};
	if (cgroup_mount_in_rootfs(cg, rootfd, "/sys/fs/cgroup", ro, &err) < 0) {
		fprintf(stderr, "mount: %s\n", err.msg);
		return 11;
	}
	char p[512], buf[64] = "";
	const char *view = sys; /* where the mount must have landed, seen from the host */
	bool v2 = cg->lay->mode == CGROUP_MODE_V2;
	snprintf(p, sizeof(p), "%s/fs/cgroup/%s", view,
		 v2 ? "memory.max" : "memory/memory.limit_in_bytes");
	FILE *f = fopen(p, "re");
	if (!f || !fgets(buf, sizeof(buf), f) || strcmp(buf, "67108864\n"))
		return 12;
	fclose(f);
	for (size_t i = 0; i < cg->lay->n; i++) {
		snprintf(p, sizeof(p), "%s/fs/cgroup/%s/cgroup.procs", view,
			 v2 ? "." : strrchr(cg->lay->h[i].mnt, '/') + 1);
		if (access(p, F_OK) < 0)
			return 13;
	}
	snprintf(p, sizeof(p), "%s/fs/cgroup/%s", view, v2 ? "pids.max" : "pids/pids.max");
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (ro != (fd < 0 && errno == EROFS))
		return 14;
	if (fd >= 0)
		close(fd);
	snprintf(p, sizeof(p), "%s/fs/cgroup/newdir", view);
	if (ro && (mkdir(p, 0755) == 0 || errno != EROFS))
		return 15;
	return 0;
}

static void test_mount_in_rootfs(void **state)
{
	if (skip_reason)
		skip();
	char path[128];
	cg_path(path, sizeof(path));
	struct spec_resources r;
	res_limits(&r, NULL, 0);
	struct hutch_err err = {0};
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	if (cgroup_create(NULL, path, NULL, &r, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	char rootfs[] = "/tmp/hutch-cgtest-rootfs-XXXXXX";
	assert_non_null(mkdtemp(rootfs));
	/* 0: read-only; 1: read-write; 2: hostile rootfs; 3: read-only from a user namespace,
	 * where the kernel locks the host mount's flags */
	int codes[4];
	for (int variant = 0; variant < 4; variant++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (variant == 2) {
				/* A hostile rootfs: /sys is a symlink to "/outside". The mount must
				 * land inside the rootfs, never at the host's /outside. */
				char s[256], o[256];
				snprintf(s, sizeof(s), "%s/sys", rootfs);
				snprintf(o, sizeof(o), "%s/hutch-cgtest-outside", rootfs);
				if (symlink("/hutch-cgtest-outside", s) < 0 || mkdir(o, 0755) < 0)
					_exit(20);
			}
			char sys[256];
			snprintf(sys, sizeof(sys), "%s/%s", rootfs,
				 variant == 2 ? "hutch-cgtest-outside" : "sys");
			_exit(mount_child(cg, rootfs, sys, variant != 1, variant == 3));
		}
		int ws;
		assert_int_equal(waitpid(pid, &ws, 0), pid);
		codes[variant] = WIFEXITED(ws) ? WEXITSTATUS(ws) : 99;
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s/sys %s/hutch-cgtest-outside", rootfs, rootfs);
		assert_int_equal(system(cmd), 0);
	}
	bool outside = access("/hutch-cgtest-outside", F_OK) == 0;
	rmdir(rootfs);
	assert_int_equal(cgroup_destroy(cg, &err), 0);
	assert_false(outside);
	assert_int_equal(codes[0], 0);
	assert_int_equal(codes[1], 0);
	assert_int_equal(codes[2], 0);
	assert_int_equal(codes[3], 0);
	assert_true(gone_everywhere(path));
}

static int setup(void **state)
{
	struct hutch_err err = {0};
	enum cgroup_mode mode;
	if (geteuid() != 0)
		skip_reason = "live cgroup tests need root";
	else if (cgroup_detect(NULL, &mode, &err) < 0)
		skip_reason = "no cgroup filesystem on this host";
	else
		print_message("# host cgroup mode: %s\n", cgroup_mode_name(mode));
	return 0;
}

/*
 * Removes what this run made (only its own hutch-test-<pid>-* cgroups: another run may be
 * going on at the same time), then the shared /hutch-test parent if it is empty.
 */
static int teardown(void **state)
{
	if (skip_reason)
		return 0;
	char cmd[1024];
	/* A failed assertion skips the cleanup attributes: kill what a test left running. */
	snprintf(
	    cmd, sizeof(cmd),
	    "mine='/sys/fs/cgroup/*/hutch-test/hutch-test-%d-* "
	    "/sys/fs/cgroup/hutch-test/hutch-test-%d-*'; "
	    "for d in $mine; do [ -d \"$d\" ] && cat \"$d\"/cgroup.procs; done | xargs -r kill -9; "
	    "sleep 0.1; for d in $mine; do [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir "
	    "{} + ; done; "
	    "rmdir /sys/fs/cgroup/*/hutch-test /sys/fs/cgroup/hutch-test 2>/dev/null; "
	    "for d in $mine; do [ -d \"$d\" ] && { echo \"# left behind: $d\"; exit 1; }; done; "
	    "for d in /sys/fs/cgroup/*/hutch-test /sys/fs/cgroup/hutch-test; do "
	    "[ -d \"$d\" ] && [ -z \"$(find \"$d\" -mindepth 1 -type d)\" ] && { echo \"# left "
	    "behind: $d\"; exit 1; }; done; exit 0",
	    getpid(), getpid());
	int r = system(cmd);
	return r == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lifecycle),
	    cmocka_unit_test(test_destroy_kills_forks),
	    cmocka_unit_test(test_mount_in_rootfs),
	    cmocka_unit_test(test_failed_create_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
