/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rootfs test harness: see fs-harness.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fs-harness.h"
#include "fileio.h"
#include "path.h"
#include "macro.h"

static int report_fd = -1;

void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	write_full(report_fd, buf, (size_t)n);
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	return remove(p) < 0 ? -1 : 0;
}

static void copy_file(const char *from, const char *to)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	assert_true(in >= 0 && out >= 0);
	struct stat st;
	assert_int_equal(fstat(in, &st), 0);
	for (off_t left = st.st_size; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		assert_true(n > 0);
		left -= n;
	}
}

void mkpath(struct fixture *f, const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
	assert_int_equal(mkdir_p(p, 0755), 0);
}

static char *host_mountinfo(void)
{
	char *s = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, "/proc/self/mountinfo", 16u << 20, &s, NULL), 0);
	return s;
}

int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/hutch-fs-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->rootfs, sizeof(f->rootfs), "%s/rootfs", f->dir);
	static const char *const dirs[] = {"rootfs/bin", "rootfs/proc", "rootfs/sys",
					   "rootfs/dev", "rootfs/tmp",	"rootfs/etc"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		mkpath(f, dirs[i]);
	char p[512];
	snprintf(p, sizeof(p), "%s/bin/busybox", f->rootfs);
	copy_file("/bin/busybox", p);
	f->mountinfo = host_mountinfo();
	*state = f;
	return 0;
}

int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *after = host_mountinfo();
	assert_string_equal(f->mountinfo, after); /* nothing leaked onto the host */
	assert_int_equal(nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(f->mountinfo);
	free(f);
	return 0;
}

int write_file(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	return fd < 0 ? -errno : write_full(fd, s, strlen(s));
}

static int enter_userns(void)
{
	if (unshare(CLONE_NEWUSER) < 0)
		return -errno;
	/* Unprivileged in the parent namespace now: only our own id can be mapped. */
	if (write_file("/proc/self/uid_map", "0 0 1") < 0 ||
	    write_file("/proc/self/setgroups", "deny") < 0 ||
	    write_file("/proc/self/gid_map", "0 0 1") < 0)
		return -errno;
	return 0;
}

_noreturn_ static void child(struct fixture *f, struct scenario *sc)
{
	if (unshare(CLONE_NEWNS) < 0) {
		say("unshare(CLONE_NEWNS): %m");
		_exit(1);
	}
	if (sc->prepare && sc->prepare(f) < 0)
		_exit(1);
	if (sc->ns & NS_USER) {
		if (enter_userns() < 0 || unshare(CLONE_NEWNS | CLONE_NEWPID) < 0) {
			say("user namespaces not available here: %m");
			_exit(SKIP);
		}
		/* The pid namespace starts with our next child: proc can only be mounted there. */
		pid_t pid = fork();
		if (pid < 0)
			_exit(1);
		if (pid > 0) {
			int st;
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
		}
	}
	if ((sc->ns & NS_NET) && unshare(CLONE_NEWNET) < 0) {
		say("unshare(CLONE_NEWNET): %m");
		_exit(1);
	}
	sc->ctx.rootfs = f->rootfs;
	sc->ctx.spec = sc->spec;
	sc->ctx.in_userns = (sc->ns & NS_USER) != 0;
	struct hutch_err err = {0};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = rootfs_setup(&sc->ctx, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# rootfs_setup: %ld us\n",
	       (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
	fflush(stdout);
	if (sc->expect_error) {
		if (r >= 0) {
			say("rootfs_setup succeeded, expected '%s'", sc->expect_error);
			_exit(1);
		}
		if (!strstr(err.msg, sc->expect_error)) {
			say("error '%s' does not contain '%s'", err.msg, sc->expect_error);
			_exit(1);
		}
		_exit(0);
	}
	if (r < 0) {
		say("rootfs_setup: %s", err.msg);
		_exit(1);
	}
	_exit(sc->check(f) ? 0 : 1);
}

void run(struct fixture *f, struct scenario *sc)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		child(f, sc);
	}
	close(p[1]);
	char msg[8192];
	ssize_t n = read_full(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	msg[n > 0 ? n : 0] = '\0';
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == SKIP) {
		print_message("# SKIP: %s", msg);
		skip();
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("child failed (status 0x%x):\n%s", st, msg);
}

/* --- spec building -------------------------------------------------------------------------- */

struct spec_mount base_mounts[7] = {
    MNT("/proc", "proc", "proc", OPTS("nosuid", "noexec", "nodev")),
    MNT("/dev", "tmpfs", "tmpfs", OPTS("nosuid", "strictatime", "mode=755", "size=65536k")),
    MNT("/dev/pts", "devpts", "devpts",
	OPTS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620")),
    MNT("/dev/shm", "tmpfs", "shm", OPTS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
    MNT("/dev/mqueue", "mqueue", "mqueue", OPTS("nosuid", "noexec", "nodev")),
    MNT("/sys", "sysfs", "sysfs", OPTS("nosuid", "noexec", "nodev", "ro")),
    MNT("/tmp", "tmpfs", "tmpfs", OPTS("nosuid", "nodev", "size=1m")),
};

/* --- mountinfo helpers (child side, after pivot) ------------------------------------------------
 */

/* The mountinfo line whose mount point is mp (the last one: the top of a stack), or NULL. */
const char *mount_line(const char *mp)
{
	static char *mi;
	free(mi);
	mi = NULL;
	if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", 1 << 20, &mi, NULL) < 0)
		return NULL;
	static char found[1024];
	bool any = false;
	for (char *l = strtok(mi, "\n"); l; l = strtok(NULL, "\n")) {
		char p[512];
		if (sscanf(l, "%*u %*u %*s %*s %511s", p) == 1 && strcmp(p, mp) == 0) {
			snprintf(found, sizeof(found), "%s", l);
			any = true;
		}
	}
	return any ? found : NULL;
}

bool has_opt(const char *line, const char *opt)
{
	/* field 6 is the per-mount option list */
	char opts[256];
	if (!line || sscanf(line, "%*u %*u %*s %*s %*s %255s", opts) != 1)
		return false;
	for (char *o = strtok(opts, ","); o; o = strtok(NULL, ","))
		if (strcmp(o, opt) == 0)
			return true;
	return false;
}

bool fs_is(const char *path, long magic)
{
	struct statfs s;
	return statfs(path, &s) == 0 && s.f_type == magic;
}

int errno_of_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

void require_root_and_busybox(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP rootfs tests need root\n");
		exit(0);
	}
	if (access("/bin/busybox", X_OK) < 0) {
		printf("1..0 # SKIP /bin/busybox (busybox-static) is not installed\n");
		exit(0);
	}
}
