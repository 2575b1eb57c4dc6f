/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The default sandbox profile, loaded for real in forked children: ordinary programs still
 * run (a shell that forks, execs and waits), and each group of dangerous syscalls fails with
 * EPERM. Every denied call is made with arguments that are harmless if the filter let it
 * through (bad magic for reboot, NULL pointers...), so a broken filter fails the test without
 * harming the machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "security/profile.h"
#include "helpers.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static struct seccomp_program *prog;

static int setup(void **state)
{
	_cleanup_seccomp_profile_ struct spec_seccomp *s = NULL;
	struct hutch_err err = {0};
	if (seccomp_default_profile(&s) < 0)
		return -1;
	if (seccomp_compile(s, &prog, &err) < 0) {
		print_message("# compile default profile: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	seccomp_program_free(prog);
	return 0;
}

struct body {
	int (*fn)(void);
};

static int profiled(void *arg)
{
	struct hutch_err err = {0};
	CHECK(set_nnp() == 0);
	if (seccomp_program_load(prog, &err) < 0) {
		dprintf(2, "# load: %s\n", err.msg);
		return 2;
	}
	return ((struct body *)arg)->fn();
}

static int run_profiled(int (*fn)(void))
{
	struct body b = {fn};
	return run_in_child(profiled, &b);
}

#define ASSERT_PROFILED_OK(fn)                                                                     \
	do {                                                                                       \
		assert_int_equal(child_exit_code(run_profiled(fn)), 0);                            \
	} while (0)

static void test_profile_builds(void **state)
{
	size_t n = seccomp_program_size(prog);
	print_message("# default profile: %zu BPF instructions\n", n);
	assert_true(n > 100 && n <= 4096);
	assert_int_equal(seccomp_program_listener_fd(prog), -1);
}

/* A shell under the profile: fork, exec, wait, directory listing, output. */
static int shell_child(void *arg)
{
	int *fds = arg;
	struct hutch_err err = {0};
	close(fds[0]);
	CHECK(dup2(fds[1], 1) == 1);
	CHECK(set_nnp() == 0);
	CHECK(seccomp_program_load(prog, &err) == 0);
	execl("/bin/sh", "sh", "-c", "ls /; echo hi; /bin/true && echo forked $(echo sub)", NULL);
	return 127;
}

static void test_shell_runs(void **state)
{
	int fds[2];
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(shell_child(fds));
	close(fds[1]);
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(child_exit_code(status), 0);
	assert_non_null(strstr(buf, "usr\n"));
	assert_non_null(strstr(buf, "hi\nforked sub\n"));
}

static int body_ptrace(void)
{
	char a[8], b[8] = "abc";
	struct iovec local = {a, sizeof(a)}, remote = {b, sizeof(b)};
	CHECK(SC(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0) == -EPERM);
	CHECK(SC(SYS_process_vm_readv, getpid(), &local, 1, &remote, 1, 0) == -EPERM);
	CHECK(SC(SYS_process_vm_writev, getpid(), &local, 1, &remote, 1, 0) == -EPERM);
	CHECK(SC(SYS_kcmp, getpid(), getpid(), 0, 0, 0) == -EPERM);
	CHECK(SC(SYS_pidfd_getfd, -1, 0, 0) == -EPERM);
	return 0;
}

static void test_deny_ptrace(void **state)
{
	ASSERT_PROFILED_OK(body_ptrace);
}

static int body_kernel(void)
{
	CHECK(SC(SYS_kexec_load, 0, 0, NULL, 0) == -EPERM);
	CHECK(SC(SYS_kexec_file_load, -1, -1, 0, NULL, 0) == -EPERM);
	CHECK(SC(SYS_init_module, NULL, 0, "") == -EPERM);
	CHECK(SC(SYS_finit_module, -1, "", 0) == -EPERM);
	CHECK(SC(SYS_delete_module, "hutch_nonexistent", 0) == -EPERM);
	return 0;
}

static void test_deny_kernel_modules_kexec(void **state)
{
	ASSERT_PROFILED_OK(body_kernel);
}

static int body_bpf_perf(void)
{
	CHECK(SC(SYS_bpf, 0, NULL, 0) == -EPERM);
	CHECK(SC(SYS_perf_event_open, NULL, 0, -1, -1, 0) == -EPERM);
	CHECK(SC(SYS_userfaultfd, 0) == -EPERM);
	return 0;
}

static void test_deny_bpf_perf_userfaultfd(void **state)
{
	ASSERT_PROFILED_OK(body_bpf_perf);
}

static int body_keyring(void)
{
	CHECK(SC(SYS_keyctl, 0, 0, 0, 0, 0) == -EPERM);
	CHECK(SC(SYS_add_key, "user", "hutch", NULL, 0, -2) == -EPERM);
	CHECK(SC(SYS_request_key, "user", "hutch", NULL, 0) == -EPERM);
	return 0;
}

static void test_deny_keyring(void **state)
{
	ASSERT_PROFILED_OK(body_keyring);
}

static int body_io_uring(void)
{
	CHECK(SC(SYS_io_uring_setup, 1, NULL) == -EPERM);
	CHECK(SC(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0) == -EPERM);
	CHECK(SC(SYS_io_uring_register, -1, 0, NULL, 0) == -EPERM);
	return 0;
}

static void test_deny_io_uring(void **state)
{
	ASSERT_PROFILED_OK(body_io_uring);
}

static int body_namespaces(void)
{
	CHECK(SC(SYS_unshare, 0) == -EPERM);
	CHECK(SC(SYS_unshare, CLONE_NEWUSER) == -EPERM);
	CHECK(SC(SYS_setns, -1, 0) == -EPERM);
	CHECK(SC(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) == -EPERM);
	CHECK(SC(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0) == -EPERM);
	CHECK(SC(SYS_clone, CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0) == -EPERM);
	/* clone3 says ENOSYS so that libc falls back to clone, whose flags seccomp can see. */
	struct clone_args ca = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
	CHECK(SC(SYS_clone3, &ca, sizeof(ca)) == -ENOSYS);
	/* A plain fork through clone still works. */
	long pid = SC(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(7);
	CHECK(pid > 0);
	int status;
	CHECK(waitpid((pid_t)pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 7);
	pid_t f = fork();
	if (f == 0)
		_exit(8);
	CHECK(f > 0 && waitpid(f, &status, 0) == f && WEXITSTATUS(status) == 8);
	return 0;
}

static void test_deny_namespaces(void **state)
{
	ASSERT_PROFILED_OK(body_namespaces);
}

static int body_mount(void)
{
	CHECK(SC(SYS_mount, NULL, "/nonexistent", NULL, 0, NULL) == -EPERM);
	CHECK(SC(SYS_umount2, "/nonexistent", 0) == -EPERM);
	CHECK(SC(SYS_pivot_root, "/nonexistent", "/nonexistent") == -EPERM);
	CHECK(SC(SYS_chroot, "/nonexistent") == -EPERM);
	CHECK(SC(SYS_fsopen, "tmpfs", 0) == -EPERM);
	CHECK(SC(SYS_open_tree, -1, "/nonexistent", 0) == -EPERM);
	CHECK(SC(SYS_move_mount, -1, "", -1, "", 0) == -EPERM);
	CHECK(SC(SYS_fsmount, -1, 0, 0) == -EPERM);
	CHECK(SC(SYS_fspick, -1, "/nonexistent", 0) == -EPERM);
	CHECK(SC(SYS_mount_setattr, -1, "", 0, NULL, 0) == -EPERM);
	return 0;
}

static void test_deny_mount(void **state)
{
	ASSERT_PROFILED_OK(body_mount);
}

static int body_handles(void)
{
	CHECK(SC(SYS_open_by_handle_at, -1, NULL, 0) == -EPERM);
	CHECK(SC(SYS_name_to_handle_at, AT_FDCWD, "/", NULL, NULL, 0) == -EPERM);
	return 0;
}

static void test_deny_file_handles(void **state)
{
	ASSERT_PROFILED_OK(body_handles);
}

static int try_socket(long domain, long type, long proto)
{
	long fd = SC(SYS_socket, domain, type, proto);
	if (fd >= 0) {
		close((int)fd);
		return 0;
	}
	return (int)fd;
}

static int body_sockets(void)
{
	CHECK(try_socket(AF_PACKET, SOCK_RAW, 0) == -EPERM);
	CHECK(try_socket(AF_PACKET, SOCK_DGRAM, 0) == -EPERM);
	CHECK(try_socket(AF_INET, SOCK_RAW, 1 /* ICMP */) == -EPERM);
	CHECK(try_socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, 58 /* ICMPv6 */) == -EPERM);
	CHECK(try_socket(AF_INET, SOCK_PACKET, 0) == -EPERM);
	CHECK(try_socket(AF_VSOCK, SOCK_STREAM, 0) == -EPERM);
	/* The kernel reads the domain as an int: upper bits must not sneak AF_PACKET past. */
	CHECK(try_socket((1L << 32) | AF_PACKET, SOCK_RAW, 0) == -EPERM);
	CHECK(try_socket((1L << 32) | AF_INET, SOCK_RAW, 1) == -EPERM);
	/* What programs need still works. */
	CHECK(try_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) == 0);
	CHECK(try_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0) == 0);
	CHECK(try_socket(AF_UNIX, SOCK_SEQPACKET, 0) == 0);
	CHECK(try_socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) == 0);
	CHECK(try_socket(AF_INET6, SOCK_STREAM, 0) != -EPERM);
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	return 0;
}

static void test_deny_packet_and_raw_sockets(void **state)
{
	ASSERT_PROFILED_OK(body_sockets);
}

static int body_system(void)
{
	CHECK(SC(SYS_swapon, NULL, 0) == -EPERM);
	CHECK(SC(SYS_swapoff, NULL) == -EPERM);
	CHECK(SC(SYS_reboot, 0, 0, 0, NULL) == -EPERM); /* bad magic: harmless anyway */
	CHECK(SC(SYS_acct, NULL) == -EPERM);
	CHECK(SC(SYS_quotactl, 0, NULL, 0, NULL) == -EPERM);
	CHECK(SC(SYS_lookup_dcookie, 0, NULL, 0) == -EPERM);
	CHECK(SC(SYS_syslog, 10 /* SIZE_BUFFER */, NULL, 0) == -EPERM);
	return 0;
}

static void test_deny_system_admin(void **state)
{
	ASSERT_PROFILED_OK(body_system);
}

static int body_time(void)
{
	struct timex tx = {.modes = 0};
	CHECK(SC(SYS_settimeofday, NULL, NULL) == -EPERM);
	CHECK(SC(SYS_clock_settime, CLOCK_REALTIME, NULL) == -EPERM);
	CHECK(SC(SYS_adjtimex, &tx) == -EPERM);
	CHECK(SC(SYS_clock_adjtime, CLOCK_REALTIME, &tx) == -EPERM);
	struct timespec ts;
	CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0);
	return 0;
}

static void test_deny_clock_setting(void **state)
{
	ASSERT_PROFILED_OK(body_time);
}

static int body_personality(void)
{
	CHECK(SC(SYS_personality, 0xffffffffUL) >= 0);
	CHECK(SC(SYS_personality, 0x0UL) >= 0);
	CHECK(SC(SYS_personality, 0x0040000UL /* ADDR_NO_RANDOMIZE */) == -EPERM);
	CHECK(SC(SYS_personality, 0x0400000UL /* READ_IMPLIES_EXEC */) == -EPERM);
	CHECK(SC(SYS_personality, 0x100000000UL) == -EPERM);
	return 0;
}

static void test_deny_personality(void **state)
{
	ASSERT_PROFILED_OK(body_personality);
}

static int body_ioctl(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	char c = 'x';
	CHECK(SC(SYS_ioctl, fd, TIOCSTI, &c) == -EPERM);
	CHECK(SC(SYS_ioctl, fd, TIOCLINUX, &c) == -EPERM);
	/* The kernel truncates the request to 32 bits: this is TIOCSTI too. */
	CHECK(SC(SYS_ioctl, fd, (1UL << 32) | TIOCSTI, &c) == -EPERM);
	CHECK(SC(SYS_ioctl, fd, (0xffffUL << 48) | TIOCLINUX, &c) == -EPERM);
	/* Neighbours of the denied requests, and ordinary ones, are allowed. */
	CHECK(SC(SYS_ioctl, fd, TIOCSTI + 1, &c) != -EPERM);
	CHECK(SC(SYS_ioctl, fd, TIOCSTI - 1, &c) != -EPERM);
	CHECK(SC(SYS_ioctl, fd, TIOCLINUX ^ 1, &c) != -EPERM);
	struct winsize ws;
	CHECK(SC(SYS_ioctl, fd, TIOCGWINSZ, &ws) == -ENOTTY);
	int avail;
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(SC(SYS_ioctl, p[0], FIONREAD, &avail) == 0);
	return 0;
}

static void test_deny_tiocsti_tioclinux(void **state)
{
	ASSERT_PROFILED_OK(body_ioctl);
}

/* getpid (20) through the i386 entry point (int 0x80), from this 64-bit process. */
static long int80_getpid(void)
{
#if defined(__x86_64__)
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
	return r;
#else
	return -ENOSYS;
#endif
}

static int body_int80(void)
{
	return int80_getpid() == getpid() ? 0 : 1;
}

static int probe_int80(void *arg)
{
	return body_int80();
}

static void test_other_abi_killed(void **state)
{
#if !defined(__x86_64__)
	print_message("# skip: only x86_64 has a second syscall ABI to test\n");
	skip();
#else
	if (child_exit_code(run_in_child(probe_int80, NULL)) != 0) {
		print_message("# skip: no 32-bit x86 syscall ABI on this kernel\n");
		skip();
	}
	assert_int_equal(child_signal(run_profiled(body_int80)), SIGSYS);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_profile_builds),
	    cmocka_unit_test(test_shell_runs),
	    cmocka_unit_test(test_deny_ptrace),
	    cmocka_unit_test(test_deny_kernel_modules_kexec),
	    cmocka_unit_test(test_deny_bpf_perf_userfaultfd),
	    cmocka_unit_test(test_deny_keyring),
	    cmocka_unit_test(test_deny_io_uring),
	    cmocka_unit_test(test_deny_namespaces),
	    cmocka_unit_test(test_deny_mount),
	    cmocka_unit_test(test_deny_file_handles),
	    cmocka_unit_test(test_deny_packet_and_raw_sockets),
	    cmocka_unit_test(test_deny_system_admin),
	    cmocka_unit_test(test_deny_clock_setting),
	    cmocka_unit_test(test_deny_personality),
	    cmocka_unit_test(test_deny_tiocsti_tioclinux),
	    cmocka_unit_test(test_other_abi_killed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
