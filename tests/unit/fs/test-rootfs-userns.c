/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rootfs_setup inside a user namespace (devices bound from the host, sysfs fallback, flags
 * locked by the parent namespace kept), and "cgroup" mounts with a real cgroup.
 * Harness: fs-harness.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs-harness.h"
#include <stdio.h>

#include "cgroup/cgroup.h"

/* --- user namespace: device binds, sysfs fallback, locked flags ------------------------------- */

static int prepare_locked_source(struct fixture *f)
{
	/* A nosuid,nodev mount made by real root: in the user namespace these flags are locked. */
	char p[512];
	snprintf(p, sizeof(p), "%s/locked", f->dir);
	if (mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) < 0 ||
	    mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0) {
		say("prepare: %m");
		return -1;
	}
	return 0;
}

static bool check_userns(struct fixture *f)
{
	bool ok = true;
	CHECK(access("/bin/busybox", X_OK) == 0, "root not switched");
	CHECK(errno_of_write("/dev/null") == 0, "write /dev/null (bound from host)");
	const char *l = mount_line("/dev/null");
	CHECK(l != NULL, "/dev/null is not a bind mount in a user namespace");
	CHECK(fs_is("/sys", SYSFS_MAGIC), "/sys is not sysfs (fallback bind)");
	CHECK(fs_is("/proc", PROC_SUPER_MAGIC), "/proc");
	l = mount_line("/src");
	CHECK(l && has_opt(l, "ro") && has_opt(l, "nosuid") && has_opt(l, "nodev"),
	      "ro bind of a locked nosuid source: %s", l);
	CHECK(errno_of_write("/src/x") == EROFS, "/src writable");
	return ok;
}

static void test_user_namespace(void **state)
{
	struct fixture *f = *state;
	mkpath(f, "locked");
	char src[512];
	snprintf(src, sizeof(src), "%s/locked", f->dir);
	struct spec_mount m[] = {
	    /* no mqueue: without an ipc namespace of its own it cannot be mounted here */
	    base_mounts[0], base_mounts[1], base_mounts[2],
	    base_mounts[3], base_mounts[5], MNT("/src", "bind", src, OPTS("bind", "ro")),
	};
	struct spec s = {.mounts = m, .n_mounts = ARRAY_SIZE(m)};
	struct scenario sc = {
	    .spec = &s, .ns = NS_USER, .prepare = prepare_locked_source, .check = check_userns};
	run(f, &sc);
}

static bool check_cgroup_skipped(struct fixture *f)
{
	bool ok = true;
	CHECK(mount_line("/cg-skipped") == NULL, "/cg-skipped was mounted");
	return ok;
}

static bool check_cgroup(struct fixture *f)
{
	bool ok = true;
	CHECK(fs_is("/sys/fs/cgroup", TMPFS_MAGIC) || fs_is("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC),
	      "nothing mounted on /sys/fs/cgroup");
	CHECK(errno_of_write("/sys/fs/cgroup/x") == EROFS, "/sys/fs/cgroup is writable");
	return ok;
}

static void test_cgroup_mount(void **state)
{
	struct fixture *f = *state;
	struct hutch_err err = {0};
	char path[64];
	snprintf(path, sizeof(path), "/hutch-fs-test-%d", (int)getpid());
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	if (cgroup_create(NULL, path, "fs-test", NULL, &cg, &err) < 0) {
		print_message("# SKIP: cannot create a cgroup: %s\n", err.msg);
		skip();
	}
	struct spec_mount m[] = {
	    MNT("/proc", "proc", "proc", NULL),
	    MNT("/sys", "sysfs", "sysfs", OPTS("nosuid", "noexec", "nodev")),
	    MNT("/sys/fs/cgroup", "cgroup", "cgroup", OPTS("nosuid", "noexec", "nodev", "ro")),
	};
	struct spec s = {.mounts = m, .n_mounts = ARRAY_SIZE(m)};
	struct scenario sc = {.spec = &s, .check = check_cgroup};
	sc.ctx.cgroup = cg;
	run(f, &sc);
	assert_int_equal(cgroup_destroy(cg, &err), 0);
	/* and with no cgroup the mount is skipped */
	struct spec_mount m2[] = {MNT("/proc", "proc", "proc", NULL),
				  MNT("/cg-skipped", "cgroup", "cgroup", NULL)};
	struct spec s2 = {.mounts = m2, .n_mounts = ARRAY_SIZE(m2)};
	struct scenario sc2 = {.spec = &s2, .check = check_cgroup_skipped};
	run(f, &sc2);
}

static bool check_userns_full(struct fixture *f)
{
	bool ok = true;
	struct stat st;
	CHECK(access(f->dir, F_OK) < 0, "host temp dir visible");
	CHECK(errno_of_write("/newfile") == EROFS, "root is writable");
	CHECK(errno_of_write("/proc/sys/kernel/hostname") == EROFS, "/proc/sys not read-only");
	CHECK(stat("/proc/version", &st) == 0 && st.st_rdev == makedev(1, 3),
	      "/proc/version not masked");
	CHECK(fs_is("/proc/acpi", TMPFS_MAGIC) || access("/proc/acpi", F_OK) < 0,
	      "/proc/acpi not masked");
	const char *l = mount_line("/sys");
	CHECK(l && strstr(l, " sysfs ") && has_opt(l, "ro"), "/sys (own netns: a real sysfs): %s",
	      l);
	CHECK(errno_of_write("/dev/null") == 0, "write /dev/null");
	char v[8] = "";
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, v, sizeof(v) - 1) > 0 && v[0] == '1', "ip_forward '%s'", v);
	safe_close(fd);
	return ok;
}

static void test_user_namespace_full(void **state)
{
	struct fixture *f = *state;
	struct spec_mount m[] = {base_mounts[0], base_mounts[1], base_mounts[2],
				 base_mounts[3], base_mounts[5], base_mounts[6]};
	struct spec s = {.mounts = m, .n_mounts = ARRAY_SIZE(m), .root_readonly = true};
	struct spec_namespace ns[] = {
	    {.type = CLONE_NEWUSER}, {.type = CLONE_NEWNS}, {.type = CLONE_NEWNET}};
	s.linux.namespaces = ns;
	s.linux.n_namespaces = ARRAY_SIZE(ns);
	s.linux.masked_paths = OPTS("/proc/kcore", "/proc/version", "/proc/acpi");
	s.linux.readonly_paths = OPTS("/proc/sys", "/proc/bus");
	struct spec_key_value sysctl[] = {{"net.ipv4.ip_forward", "1"}};
	s.linux.sysctl = sysctl;
	s.linux.n_sysctl = 1;
	struct scenario sc = {.spec = &s, .ns = NS_USER | NS_NET, .check = check_userns_full};
	run(f, &sc);
}

int main(void)
{
	require_root_and_busybox();
	const struct CMUnitTest tests[] = {
	    T(test_user_namespace),
	    T(test_user_namespace_full),
	    T(test_cgroup_mount),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
