/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rootfs_setup with real mounts, as real root: a whole container view, no_pivot, symlinks in
 * the image, binds (relative, read-only, file), overlay, idmap, propagation, remount,
 * recursive attributes, and errors that name what failed. Harness: fs-harness.h.
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
#include <stdlib.h>

#include "fileio.h"
#include "path.h"

/* --- tests ------------------------------------------------------------------------------------ */

static bool check_full(struct fixture *f)
{
	bool ok = true;
	char cwd[256];
	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/") == 0, "cwd '%s'", cwd);
	CHECK(access("/bin/busybox", X_OK) == 0, "no busybox at /bin: root not switched");
	CHECK(access(f->dir, F_OK) < 0, "host temp dir visible: root not switched");
	/* mounts and their flags */
	const char *l = mount_line("/proc");
	CHECK(l && has_opt(l, "nosuid") && has_opt(l, "noexec"), "/proc: %s", l ? l : "missing");
	CHECK(fs_is("/proc", PROC_SUPER_MAGIC), "/proc not procfs");
	l = mount_line("/sys");
	CHECK(l && has_opt(l, "ro"), "/sys: %s", l ? l : "missing");
	l = mount_line("/dev");
	CHECK(l && strstr(l, " tmpfs "), "/dev: %s", l ? l : "missing");
	CHECK(fs_is("/dev/pts", DEVPTS_SUPER_MAGIC), "/dev/pts not devpts");
	CHECK(fs_is("/dev/mqueue", MQUEUE_MAGIC), "/dev/mqueue not mqueue");
	l = mount_line("/tmp");
	CHECK(l && strstr(l, "size=1024k"), "/tmp: %s", l ? l : "missing");
	/* tmpfs size: 2 MiB do not fit in 1 MiB */
	{
		_cleanup_close_ int fd = open("/tmp/big", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		CHECK(fd >= 0, "create /tmp/big: %m");
		static char buf[1 << 16];
		int r = 0;
		for (int i = 0; i < 32 && r == 0; i++)
			r = write_full(fd, buf, sizeof(buf));
		CHECK(r == -ENOSPC, "writing 2 MiB to a 1 MiB tmpfs gave %d", r);
	}
	/* read-only root, read-only /proc/sys, masked /proc/kcore */
	CHECK(errno_of_write("/newfile") == EROFS, "root is writable");
	CHECK(errno_of_write("/proc/sys/kernel/hostname") == EROFS, "/proc/sys not read-only");
	struct stat st;
	CHECK(stat("/proc/version", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
	      "/proc/version not masked by /dev/null");
	{
		char b[16];
		_cleanup_close_ int fd = open("/proc/version", O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0 && read(fd, b, sizeof(b)) == 0, "masked file is not empty");
	}
	CHECK(fs_is("/proc/acpi", TMPFS_MAGIC) || access("/proc/acpi", F_OK) < 0,
	      "/proc/acpi not masked");
	l = mount_line("/proc/scsi");
	CHECK(!l || has_opt(l, "ro"), "/proc/scsi mask: %s", l);
	/* devices and links */
	CHECK(errno_of_write("/dev/null") == 0, "write /dev/null: %s",
	      strerror(errno_of_write("/dev/null")));
	{
		_cleanup_close_ int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		char z[4] = "abc";
		CHECK(fd >= 0 && read(fd, z, 4) == 4 && z[0] == 0, "/dev/zero");
	}
	CHECK(stat("/dev/urandom", &st) == 0 && st.st_rdev == makedev(1, 9) &&
		  (st.st_mode & 0777) == 0666,
	      "/dev/urandom");
	CHECK(stat("/dev/tty", &st) == 0 && st.st_rdev == makedev(5, 0), "/dev/tty");
	CHECK(stat("/dev/fuse-test", &st) == 0 && S_ISCHR(st.st_mode) &&
		  st.st_rdev == makedev(10, 229) && (st.st_mode & 0777) == 0600 && st.st_uid == 0 &&
		  st.st_gid == 5,
	      "linux.devices entry /dev/fuse-test");
	CHECK(stat("/dev/sub/fifo", &st) == 0 && S_ISFIFO(st.st_mode) &&
		  (st.st_mode & 0777) == 0640,
	      "linux.devices fifo in a new directory");
	char link[64] = "";
	CHECK(readlink("/dev/fd", link, sizeof(link) - 1) > 0 && strcmp(link, "/proc/self/fd") == 0,
	      "/dev/fd -> '%s'", link);
	memset(link, 0, sizeof(link));
	CHECK(readlink("/dev/stderr", link, sizeof(link) - 1) > 0 &&
		  strcmp(link, "/proc/self/fd/2") == 0,
	      "/dev/stderr -> '%s'", link);
	memset(link, 0, sizeof(link));
	CHECK(readlink("/dev/ptmx", link, sizeof(link) - 1) > 0 && strcmp(link, "pts/ptmx") == 0,
	      "/dev/ptmx -> '%s'", link);
	CHECK(access("/dev/stdout", F_OK) == 0, "/dev/stdout does not resolve");
	CHECK(stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) >= 136 &&
		  major(st.st_rdev) <= 143,
	      "/dev/console is not the pty slave");
	/* sysctl in our own network namespace */
	char v[8] = "";
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, v, sizeof(v) - 1) > 0 && v[0] == '1', "ip_forward '%s'", v);
	safe_close(fd);
	return ok;
}

static void test_full_container(void **state)
{
	struct fixture *f = *state;
	struct spec s = {0};
	s.mounts = base_mounts;
	s.n_mounts = ARRAY_SIZE(base_mounts);
	s.root_readonly = true;
	struct spec_namespace ns[] = {{.type = CLONE_NEWNS}, {.type = CLONE_NEWNET}};
	s.linux.namespaces = ns;
	s.linux.n_namespaces = ARRAY_SIZE(ns);
	s.linux.masked_paths =
	    OPTS("/proc/kcore", "/proc/version", "/proc/acpi", "/proc/scsi", "/nonexistent");
	s.linux.readonly_paths = OPTS("/proc/sys", "/proc/bus", "/also-missing");
	struct spec_key_value sysctl[] = {{"net.ipv4.ip_forward", "1"}};
	s.linux.sysctl = sysctl;
	s.linux.n_sysctl = 1;
	struct spec_device dev[] = {
	    {.path = "/dev/fuse-test",
	     .type = 'c',
	     .major = 10,
	     .minor = 229,
	     .has_file_mode = true,
	     .file_mode = 0600,
	     .has_gid = true,
	     .gid = 5},
	    {.path = "/dev/sub/fifo", .type = 'p', .has_file_mode = true, .file_mode = 0640},
	};
	s.linux.devices = dev;
	s.linux.n_devices = ARRAY_SIZE(dev);
	/* a pty pair: its slave is bound on /dev/console */
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	struct scenario sc = {.spec = &s, .ns = NS_NET, .check = check_full};
	sc.ctx.console_path = ptsname(master);
	run(f, &sc);
}

static bool check_no_pivot(struct fixture *f)
{
	bool ok = true;
	CHECK(access("/bin/busybox", X_OK) == 0, "no busybox at /bin: root not switched");
	CHECK(access(f->dir, F_OK) < 0, "host temp dir visible");
	CHECK(fs_is("/proc", PROC_SUPER_MAGIC), "/proc not procfs");
	return ok;
}

static void test_no_pivot(void **state)
{
	struct fixture *f = *state;
	struct spec s = {0};
	s.mounts = base_mounts;
	s.n_mounts = 1;
	struct scenario sc = {.spec = &s, .check = check_no_pivot, .ctx.no_pivot = true};
	run(f, &sc);
}

/* --- symlinks in the image cannot send a mount outside it ------------------------------------ */

static bool check_symlink(struct fixture *f)
{
	bool ok = true;
	CHECK(fs_is("/etc", TMPFS_MAGIC), "tmpfs did not land on the rootfs's /etc");
	char buf[32] = "";
	_cleanup_close_ int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && strncmp(buf, "bound", 5) == 0,
	      "file bind via symlink: '%s'", buf);
	return ok;
}

static void test_symlink_destination_stays_inside(void **state)
{
	struct fixture *f = *state;
	char p[512], src[512];
	snprintf(p, sizeof(p), "%s/evil", f->rootfs);
	assert_int_equal(symlink("/../../etc", p), 0);
	snprintf(p, sizeof(p), "%s/evilfile", f->rootfs);
	assert_int_equal(symlink("../../../../../../etc/hostname", p), 0);
	snprintf(src, sizeof(src), "%s/hostname-src", f->dir);
	assert_int_equal(write_file_atomic(src, "bound\n", 6, 0644), 0);
	struct stat before;
	assert_int_equal(stat("/etc", &before), 0);
	struct spec_mount m[] = {
	    MNT("/proc", "proc", "proc", NULL),
	    MNT("/evil", "tmpfs", "tmpfs", OPTS("size=64k")),
	    MNT("/evilfile", NULL, src, OPTS("bind")),
	};
	struct spec s = {.mounts = m, .n_mounts = ARRAY_SIZE(m)};
	struct scenario sc = {.spec = &s, .check = check_symlink};
	run(f, &sc);
	/* The host's /etc is untouched: no file was created there, nothing was mounted. */
	struct stat after;
	assert_int_equal(stat("/etc", &after), 0);
	assert_int_equal(before.st_mtime, after.st_mtime);
	/* The file target was made inside the tmpfs that the first mount put on rootfs/etc, so
	 * it died with the namespace; and nothing was created on the host. */
	snprintf(p, sizeof(p), "%s/etc/hostname", f->rootfs);
	assert_int_not_equal(access(p, F_OK), 0);
	assert_int_equal(before.st_ino, after.st_ino);
}

/* --- relative bind sources, read-only binds, overlay, idmap ---------------------------------- */

static bool check_binds(struct fixture *f)
{
	bool ok = true;
	char buf[32] = "";
	_cleanup_close_ int fd = open("/mnt/data/hello", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 3, "relative dir bind: %m");
	CHECK(errno_of_write("/mnt/data/new") == EROFS, "ro bind is writable");
	const char *l = mount_line("/mnt/data");
	CHECK(l && has_opt(l, "ro") && has_opt(l, "nosuid"), "/mnt/data: %s", l);
	CHECK(access("/hello", R_OK) == 0, "relative file bind");
	/* overlay: lower file visible, writes go to upper */
	CHECK(access("/ov/lowerfile", R_OK) == 0, "overlay lower file");
	CHECK(errno_of_write("/ov/newfile") == 0, "overlay write");
	/* idmap: on-disk root appears as 1000 */
	struct stat st;
	CHECK(stat("/idm/owned", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000,
	      "idmapped owner %u:%u", st.st_uid, st.st_gid);
	return ok;
}

static void test_binds_overlay_idmap(void **state)
{
	struct fixture *f = *state;
	char p[512];
	static const char *const dirs[] = {"bundle/data", "lower", "upper", "work", "idsrc"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		mkpath(f, dirs[i]);
	snprintf(p, sizeof(p), "%s/bundle/data/hello", f->dir);
	assert_int_equal(write_file_atomic(p, "hi\n", 3, 0644), 0);
	snprintf(p, sizeof(p), "%s/lower/lowerfile", f->dir);
	assert_int_equal(write_file_atomic(p, "l", 1, 0644), 0);
	snprintf(p, sizeof(p), "%s/idsrc/owned", f->dir);
	assert_int_equal(write_file_atomic(p, "x", 1, 0644), 0);
	char ovl[600], idsrc[256];
	snprintf(ovl, sizeof(ovl), "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", f->dir,
		 f->dir, f->dir);
	snprintf(idsrc, sizeof(idsrc), "%s/idsrc", f->dir);
	char *ovl_opts[] = {strtok(ovl, ","), strtok(NULL, ","), strtok(NULL, ","), NULL};
	struct spec_id_map map = {.container_id = 0, .host_id = 1000, .size = 1};
	struct spec_mount m[] = {
	    MNT("/proc", "proc", "proc", NULL),
	    MNT("/mnt/data", "bind", "data", OPTS("rbind", "ro", "nosuid")),
	    MNT("/hello", "none", "data/hello", OPTS("bind")),
	    MNT("/ov", "overlay", "overlay", ovl_opts),
	    {.destination = "/idm",
	     .type = "bind",
	     .source = idsrc,
	     .options = OPTS("idmap"),
	     .uid_mappings = &map,
	     .n_uid_mappings = 1,
	     .gid_mappings = &map,
	     .n_gid_mappings = 1},
	};
	struct spec s = {.mounts = m, .n_mounts = ARRAY_SIZE(m)};
	struct scenario sc = {.spec = &s, .check = check_binds};
	/* Relative bind sources are relative to the cwd, which the engine sets to the bundle. */
	char old[512];
	assert_non_null(getcwd(old, sizeof(old)));
	snprintf(p, sizeof(p), "%s/bundle", f->dir);
	assert_int_equal(chdir(p), 0);
	run(f, &sc);
	assert_int_equal(chdir(old), 0);
	snprintf(p, sizeof(p), "%s/upper/newfile", f->dir);
	assert_int_equal(access(p, F_OK), 0);
}

/* --- root propagation, remount, recursive attributes, the before_pivot hook ------------------ */

static int hook_calls;

static int before_pivot(void *userdata, struct hutch_err *err)
{
	struct fixture *f = userdata;
	hook_calls++;
	/* Still on the host's view here: the temp dir is visible. */
	return access(f->dir, F_OK) == 0 ? 0 : -EIO;
}

static int prepare_tree(struct fixture *f)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/tree/sub", f->dir);
	if (mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) < 0 ||
	    mount("tmpfs", p, "tmpfs", 0, "size=64k") < 0) {
		say("prepare: %m");
		return -1;
	}
	return 0;
}

static bool check_prop(struct fixture *f)
{
	bool ok = true;
	const char *l = mount_line("/");
	CHECK(l && strstr(l, " shared:"), "'/' is not shared: %s", l);
	l = mount_line("/tmp");
	CHECK(l && has_opt(l, "ro") && strstr(l, "size=2048k"), "remount of /tmp: %s", l);
	l = mount_line("/tree/sub");
	CHECK(l && has_opt(l, "ro"), "rro did not reach the submount: %s", l);
	l = mount_line("/tree");
	CHECK(l && has_opt(l, "ro") && has_opt(l, "noexec"), "/tree: %s", l);
	CHECK(errno_of_write("/tree/sub/x") == EROFS, "/tree/sub writable");
	CHECK(hook_calls == 1, "before_pivot called %d times", hook_calls);
	return ok;
}

static void test_propagation_remount_recursive(void **state)
{
	struct fixture *f = *state;
	mkpath(f, "tree/sub");
	char tree[512];
	snprintf(tree, sizeof(tree), "%s/tree", f->dir);
	struct spec_mount m[] = {
	    MNT("/proc", "proc", "proc", NULL),
	    MNT("/tmp", "tmpfs", "tmpfs", OPTS("size=1m")),
	    MNT("/tmp", NULL, NULL, OPTS("remount", "ro")),
	    MNT("/tmp", "tmpfs", NULL, OPTS("remount", "size=2m")),
	    MNT("/tree", "bind", tree, OPTS("rbind", "rro", "rnoexec", "rprivate")),
	};
	struct spec s = {.mounts = m, .n_mounts = ARRAY_SIZE(m)};
	s.linux.rootfs_propagation = "rshared";
	struct scenario sc = {.spec = &s, .prepare = prepare_tree, .check = check_prop};
	sc.ctx.before_pivot = before_pivot;
	sc.ctx.userdata = f;
	run(f, &sc);
}

/* --- errors name the mount ------------------------------------------------------------------- */

static void test_bad_type_names_mount(void **state)
{
	struct fixture *f = *state;
	struct spec_mount m[] = {MNT("/x", "nosuchfs", NULL, NULL)};
	struct spec s = {.mounts = m, .n_mounts = 1};
	struct scenario sc = {.spec = &s,
			      .expect_error = "mount 'nosuchfs' on '/x': No such device"};
	run(f, &sc);
}

static void test_bad_tmpfs_option_names_mount(void **state)
{
	struct fixture *f = *state;
	struct spec_mount m[] = {MNT("/tmp", "tmpfs", "tmpfs", OPTS("size=lots"))};
	struct spec s = {.mounts = m, .n_mounts = 1};
	struct scenario sc = {
	    .spec = &s,
	    .expect_error =
		"mount 'tmpfs' on '/tmp': Invalid argument (tmpfs: Bad value for 'size')"};
	run(f, &sc);
}

static void test_tmpcopyup_unsupported(void **state)
{
	struct fixture *f = *state;
	struct spec_mount m[] = {MNT("/tmp", "tmpfs", "tmpfs", OPTS("tmpcopyup"))};
	struct spec s = {.mounts = m, .n_mounts = 1};
	struct scenario sc = {.spec = &s,
			      .expect_error =
				  "mount 'tmpfs' on '/tmp': option 'tmpcopyup' is not supported"};
	run(f, &sc);
}

static void test_sysctl_rules(void **state)
{
	struct hutch_err err = {0};
	struct spec s = {0};
	struct spec_key_value kv[1];
	s.linux.sysctl = kv;
	s.linux.n_sysctl = 1;
	kv[0] = (struct spec_key_value){"kernel.core_pattern", "x"};
	assert_int_equal(sysctl_validate(&s, &err), -EPERM);
	assert_string_equal(err.msg,
			    "sysctl 'kernel.core_pattern': not in a separate kernel namespace");
	kv[0] = (struct spec_key_value){"net.ipv4.ip_forward", "1"};
	assert_int_equal(sysctl_validate(&s, &err), -EPERM);
	kv[0] = (struct spec_key_value){"kernel.shmmax", "1"};
	assert_int_equal(sysctl_validate(&s, &err), -EPERM);
	struct spec_namespace ns[] = {
	    {.type = CLONE_NEWNET}, {.type = CLONE_NEWIPC}, {.type = CLONE_NEWUTS}};
	s.linux.namespaces = ns;
	s.linux.n_namespaces = 3;
	const char *good[] = {"net.ipv4.ip_forward", "net/ipv4/conf/eth0.100/forwarding",
			      "kernel.shmmax",	     "fs.mqueue.msg_max",
			      "kernel.domainname",   "kernel.hostname"};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		kv[0] = (struct spec_key_value){(char *)good[i], "1"};
		assert_int_equal(sysctl_validate(&s, &err), 0);
	}
	const char *bad[] = {"net..x", "net/../../etc", "net.", "", "net/./x", "kernel.pid_max"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		kv[0] = (struct spec_key_value){(char *)bad[i], "1"};
		assert_true(sysctl_validate(&s, &err) < 0);
	}
}

static void test_proc_on_symlink_refused(void **state)
{
	struct fixture *f = *state;
	char p[512];
	snprintf(p, sizeof(p), "%s/proc", f->rootfs);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(symlink("tmp", p), 0);
	struct spec_mount m[] = {MNT("/proc", "proc", "proc", NULL)};
	struct spec s = {.mounts = m, .n_mounts = 1};
	struct scenario sc = {
	    .spec = &s,
	    .expect_error = "mount 'proc' on '/proc': destination is or passes through a symlink"};
	run(f, &sc);
}

static void test_bad_device_names_it(void **state)
{
	struct fixture *f = *state;
	struct spec_device dev[] = {{.path = "/dev/x", .type = 'q'}};
	struct spec s = {0};
	s.linux.devices = dev;
	s.linux.n_devices = 1;
	struct scenario sc = {.spec = &s, .expect_error = "device '/dev/x': unknown type 'q'"};
	run(f, &sc);
}

static void test_bad_sysctl_fails_before_mounting(void **state)
{
	struct fixture *f = *state;
	struct spec_key_value kv[] = {{"kernel.core_pattern", "|/evil"}};
	struct spec s = {.mounts = base_mounts, .n_mounts = 1};
	s.linux.sysctl = kv;
	s.linux.n_sysctl = 1;
	struct scenario sc = {.spec = &s, .expect_error = "sysctl 'kernel.core_pattern'"};
	run(f, &sc);
}

int main(void)
{
	require_root_and_busybox();
	const struct CMUnitTest tests[] = {
	    T(test_full_container),
	    T(test_no_pivot),
	    T(test_symlink_destination_stays_inside),
	    T(test_binds_overlay_idmap),
	    T(test_propagation_remount_recursive),
	    T(test_bad_type_names_mount),
	    T(test_bad_tmpfs_option_names_mount),
	    T(test_tmpcopyup_unsupported),
	    cmocka_unit_test(test_sysctl_rules),
	    T(test_bad_sysctl_fails_before_mounting),
	    T(test_proc_on_symlink_refused),
	    T(test_bad_device_names_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
