/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seccomp_compile() and seccomp_program_load() against the real kernel: each filter is loaded
 * in a forked child which then makes the syscalls and reports through its exit status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "security/seccomp-eval.h"
#include "security/security.h"
#include "helpers.h"

struct load_arg {
	struct seccomp_program *p;
	int (*body)(struct seccomp_program *p);
};

static int load_then(void *arg)
{
	struct load_arg *a = arg;
	struct hutch_err err = {0};
	CHECK(set_nnp() == 0);
	if (seccomp_program_load(a->p, &err) < 0) {
		dprintf(2, "# load: %s\n", err.msg);
		return 2;
	}
	return a->body(a->p);
}

/* Compiles s (must succeed), runs body under it in a child, returns the wait status. */
static int run_filtered(struct spec_seccomp *s, int (*body)(struct seccomp_program *p))
{
	struct hutch_err err = {0};
	struct seccomp_program *p = NULL;
	int r = seccomp_compile(s, &p, &err);
	if (r < 0)
		print_message("# compile: %s\n", err.msg);
	assert_int_equal(r, 0);
	struct load_arg a = {p, body};
	int status = run_in_child(load_then, &a);
	seccomp_program_free(p);
	return status;
}

/* Compiles s, which must fail, and checks the message. */
static void expect_error(struct spec_seccomp *s, const char *msg)
{
	struct hutch_err err = {0};
	struct seccomp_program *p = NULL;
	int r = seccomp_compile(s, &p, &err);
	assert_true(r < 0);
	assert_null(p);
	assert_string_equal(err.msg, msg);
}

static int body_errno(struct seccomp_program *p)
{
	char buf[256];
	CHECK(SC(SYS_getcwd, buf, sizeof(buf)) == -ENOSYS);
	CHECK(SC(SYS_mkdir, "/nonexistent-dir/x", 0700) == -EACCES);
	CHECK(SC(SYS_getpid) == getpid());
	CHECK(SC(SYS_getppid) > 0);
	return 0;
}

static void test_errno_action(void **state)
{
	char *n1[] = {"getcwd", NULL}, *n2[] = {"mkdir", NULL};
	struct spec_seccomp_syscall sc[] = {
	    {.names = n1, .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = ENOSYS},
	    {.names = n2, .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = EACCES},
	};
	struct spec_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 2};
	assert_int_equal(child_exit_code(run_filtered(&s, body_errno)), 0);
}

static int body_getppid(struct seccomp_program *p)
{
	SC(SYS_getppid);
	return 0; /* reached only if the action let the call through */
}

static void test_kill_actions(void **state)
{
	const char *kills[] = {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL"};
	for (size_t i = 0; i < 3; i++) {
		char *n[] = {"getppid", NULL};
		struct spec_seccomp_syscall sc[] = {{.names = n, .action = (char *)kills[i]}};
		struct spec_seccomp s = {
		    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 1};
		assert_int_equal(child_signal(run_filtered(&s, body_getppid)), SIGSYS);
	}
}

static volatile sig_atomic_t trapped_nr = -1;

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	trapped_nr = si->si_syscall;
}

static int body_trap(struct seccomp_program *p)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	CHECK(sigaction(SIGSYS, &sa, NULL) == 0);
	SC(SYS_getppid);
	CHECK(trapped_nr == SYS_getppid);
	return 0;
}

static int body_allowed(struct seccomp_program *p)
{
	CHECK(SC(SYS_getppid) > 0);
	return 0;
}

static int body_trace(struct seccomp_program *p)
{
	/* No tracer attached: the kernel fails a TRACE'd syscall with ENOSYS. */
	CHECK(SC(SYS_getppid) == -ENOSYS);
	return 0;
}

static void test_trap_log_trace(void **state)
{
	char *n[] = {"getppid", NULL};
	struct spec_seccomp_syscall sc[] = {{.names = n, .action = "SCMP_ACT_TRAP"}};
	struct spec_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 1};
	assert_int_equal(child_exit_code(run_filtered(&s, body_trap)), 0);
	sc[0].action = "SCMP_ACT_LOG";
	assert_int_equal(child_exit_code(run_filtered(&s, body_allowed)), 0);
	sc[0].action = "SCMP_ACT_TRACE";
	sc[0].has_errno_ret = true;
	sc[0].errno_ret = 7;
	assert_int_equal(child_exit_code(run_filtered(&s, body_trace)), 0);
	/* A rule doing what the default does is dropped, not an error. */
	sc[0].action = "SCMP_ACT_ALLOW";
	assert_int_equal(child_exit_code(run_filtered(&s, body_allowed)), 0);
}

static int body_personality(struct seccomp_program *p)
{
	CHECK(SC(SYS_personality, 0xffffffffUL) >= 0);
	CHECK(SC(SYS_personality, 0x8UL) == -EPERM);
	CHECK(SC(SYS_personality, 0x1ffffffffUL) == -EPERM);
	return 0;
}

static void test_arg_personality(void **state)
{
	char *n[] = {"personality", NULL};
	struct spec_seccomp_arg args[] = {{.index = 0, .value = 0xffffffff, .op = "SCMP_CMP_NE"}};
	struct spec_seccomp_syscall sc[] = {
	    {.names = n, .action = "SCMP_ACT_ERRNO", .args = args, .n_args = 1},
	};
	struct spec_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 1};
	assert_int_equal(child_exit_code(run_filtered(&s, body_personality)), 0);
}

/* getpid ignores its arguments, so a rule on them decides alone what the call returns. */
static const struct {
	const char *op;
	uint64_t value, value_two;
	uint64_t denied[3], allowed[3];
} op_cases[] = {
    {"SCMP_CMP_NE", 5, 0, {4, 6, 1ULL << 40}, {5, 5, 5}},
    {"SCMP_CMP_LT", 5, 0, {0, 4, 4}, {5, 6, UINT64_MAX}},
    {"SCMP_CMP_LE", 5, 0, {0, 4, 5}, {6, 7, UINT64_MAX}},
    {"SCMP_CMP_EQ", 5, 0, {5, 5, 5}, {4, 6, 5 | (1ULL << 32)}},
    {"SCMP_CMP_GE", 5, 0, {5, 6, UINT64_MAX}, {0, 1, 4}},
    {"SCMP_CMP_GT", 5, 0, {6, 1ULL << 33, UINT64_MAX}, {0, 4, 5}},
    {"SCMP_CMP_MASKED_EQ", 0xf0, 0x30, {0x30, 0x3f, 0x1234531}, {0x20, 0x0, 0xf0}},
};
static size_t op_case;

static int body_op(struct seccomp_program *p)
{
	for (size_t k = 0; k < 3; k++) {
		CHECK(SC(SYS_getpid, op_cases[op_case].denied[k]) == -E2BIG);
		CHECK(SC(SYS_getpid, op_cases[op_case].allowed[k]) == getpid());
	}
	return 0;
}

static void test_arg_operators(void **state)
{
	for (op_case = 0; op_case < sizeof(op_cases) / sizeof(op_cases[0]); op_case++) {
		char *n[] = {"getpid", NULL};
		struct spec_seccomp_arg args[] = {{.index = 0,
						   .value = op_cases[op_case].value,
						   .value_two = op_cases[op_case].value_two,
						   .op = (char *)op_cases[op_case].op}};
		struct spec_seccomp_syscall sc[] = {{.names = n,
						     .action = "SCMP_ACT_ERRNO",
						     .has_errno_ret = true,
						     .errno_ret = E2BIG,
						     .args = args,
						     .n_args = 1}};
		struct spec_seccomp s = {
		    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 1};
		print_message("# operator %s\n", op_cases[op_case].op);
		assert_int_equal(child_exit_code(run_filtered(&s, body_op)), 0);
	}
}

static int body_and(struct seccomp_program *p)
{
	CHECK(SC(SYS_getpid, 1, 2, 3) == -E2BIG);
	CHECK(SC(SYS_getpid, 1, 2, 4) == getpid());
	CHECK(SC(SYS_getpid, 1, 0, 3) == getpid());
	CHECK(SC(SYS_getpid, 0, 2, 3) == getpid());
	return 0;
}

static int body_or(struct seccomp_program *p)
{
	CHECK(SC(SYS_getpid, 1) == -E2BIG);
	CHECK(SC(SYS_getpid, 7) == -E2BIG);
	CHECK(SC(SYS_getpid, 3) == getpid());
	return 0;
}

static void test_multiple_args(void **state)
{
	char *n[] = {"getpid", NULL};
	/* Different arguments: all must hold (AND). */
	struct spec_seccomp_arg args[] = {
	    {.index = 0, .value = 1, .op = "SCMP_CMP_EQ"},
	    {.index = 1, .value = 2, .op = "SCMP_CMP_EQ"},
	    {.index = 2, .value = 3, .op = "SCMP_CMP_EQ"},
	};
	struct spec_seccomp_syscall sc[] = {{.names = n,
					     .action = "SCMP_ACT_ERRNO",
					     .has_errno_ret = true,
					     .errno_ret = E2BIG,
					     .args = args,
					     .n_args = 3}};
	struct spec_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 1};
	assert_int_equal(child_exit_code(run_filtered(&s, body_and)), 0);
	/* The same argument twice: one rule per condition (OR), as runc does. */
	args[1] = (struct spec_seccomp_arg){.index = 0, .value = 7, .op = "SCMP_CMP_EQ"};
	sc[0].n_args = 2;
	assert_int_equal(child_exit_code(run_filtered(&s, body_or)), 0);
}

static int body_default_errno(struct seccomp_program *p)
{
	CHECK(SC(SYS_getppid) == -ENOTSUP);
	CHECK(SC(SYS_getuid) == -ENOTSUP);
	CHECK(SC(SYS_getpid) > 0);
	return 0;
}

static void test_default_errno(void **state)
{
	/* What the child and a sanitizer runtime need; getppid and getuid are left out. */
	char *n[] = {"getpid",
		     "write",
		     "writev",
		     "exit_group",
		     "exit",
		     "gettid",
		     "sigaltstack",
		     "mmap",
		     "munmap",
		     "mprotect",
		     "madvise",
		     "rt_sigprocmask",
		     "rt_sigaction",
		     "futex",
		     "sched_yield",
		     "openat",
		     "read",
		     "close",
		     "newfstatat",
		     "fstat",
		     "readlink",
		     "prctl",
		     "prlimit64",
		     "execve", /* or the profile is refused: nothing could start under it */
		     "no_such_syscall_at_all",
		     NULL};
	struct spec_seccomp_syscall sc[] = {{.names = n, .action = "SCMP_ACT_ALLOW"}};
	struct spec_seccomp s = {.default_action = "SCMP_ACT_ERRNO",
				 .has_default_errno_ret = true,
				 .default_errno_ret = ENOTSUP,
				 .syscalls = sc,
				 .n_syscalls = 1};
	assert_int_equal(child_exit_code(run_filtered(&s, body_default_errno)), 0);
}

static int body_unknown_skipped(struct seccomp_program *p)
{
	char buf[64];
	CHECK(SC(SYS_getcwd, buf, sizeof(buf)) == -EPERM);
	return 0;
}

static void test_unknown_syscall_skipped(void **state)
{
	char *n[] = {"hutch_future_syscall", "getcwd", "", NULL};
	struct spec_seccomp_syscall sc[] = {{.names = n, .action = "SCMP_ACT_ERRNO"}};
	struct spec_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 1};
	assert_int_equal(child_exit_code(run_filtered(&s, body_unknown_skipped)), 0);
}

/* A profile under which no process could start or end is refused, with the reason. */
static void test_refuses_profile_that_cannot_start(void **state)
{
	struct spec_seccomp deny_all = { .default_action = "SCMP_ACT_ERRNO" };
	expect_error(&deny_all, "linux.seccomp: the profile refuses execve (SCMP_ACT_ERRNO): no "
				"process could start or end under it");
	char *exit_names[] = { "exit_group", NULL };
	struct spec_seccomp_syscall kill_exit[] = {
		{ .names = exit_names, .action = "SCMP_ACT_KILL_PROCESS" }
	};
	struct spec_seccomp no_exit = { .default_action = "SCMP_ACT_ALLOW",
					.syscalls = kill_exit,
					.n_syscalls = 1 };
	expect_error(&no_exit, "linux.seccomp: the profile refuses exit_group "
			       "(SCMP_ACT_KILL_PROCESS): no process could start or end under it");
	/* Trace depends on a tracer: not a refusal we can be sure of. */
	char *exec_names[] = { "execve", NULL };
	struct spec_seccomp_syscall trace_exec[] = {
		{ .names = exec_names, .action = "SCMP_ACT_TRACE" }
	};
	struct spec_seccomp traced = { .default_action = "SCMP_ACT_ALLOW",
				       .syscalls = trace_exec,
				       .n_syscalls = 1 };
	struct seccomp_program *p = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(seccomp_compile(&traced, &p, &err), 0);
	seccomp_program_free(p);
}

/* The interpreter agrees with what the kernel does under the same compiled profile. */
static void test_bpf_eval_matches_the_profile(void **state)
{
	char *n1[] = { "getcwd", NULL }, *n2[] = { "personality", NULL };
	struct spec_seccomp_arg a[] = { { .index = 0, .value = 8, .op = "SCMP_CMP_EQ" } };
	struct spec_seccomp_syscall sc[] = {
		{ .names = n1, .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = ENOSYS },
		{ .names = n2, .action = "SCMP_ACT_KILL_PROCESS", .args = a, .n_args = 1 },
	};
	struct spec_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 2 };
	struct seccomp_program *p = NULL;
	struct hutch_err err = { 0 };
	assert_int_equal(seccomp_compile(&s, &p, &err), 0);
	size_t n;
	unsigned flags;
	const struct sock_filter *f = seccomp_program_bpf(p, &n, &flags);
	uint32_t arch = seccomp_arch_native(), v = 0;
	assert_int_equal(seccomp_bpf_eval(f, n, arch, SYS_getcwd, NULL, &v), 0);
	assert_int_equal(v, SECCOMP_RET_ERRNO | ENOSYS);
	assert_int_equal(seccomp_bpf_eval(f, n, arch, SYS_getpid, NULL, &v), 0);
	assert_int_equal(v, SECCOMP_RET_ALLOW);
	uint64_t args[6] = { 8 };
	assert_int_equal(seccomp_bpf_eval(f, n, arch, SYS_personality, args, &v), 0);
	assert_int_equal(v, SECCOMP_RET_KILL_PROCESS);
	args[0] = 0;
	assert_int_equal(seccomp_bpf_eval(f, n, arch, SYS_personality, args, &v), 0);
	assert_int_equal(v, SECCOMP_RET_ALLOW);
	/* Another architecture: what libseccomp does with a foreign arch (kill) */
	assert_int_equal(seccomp_bpf_eval(f, n, 0x12345678, SYS_getpid, NULL, &v), 0);
	assert_int_not_equal(v, SECCOMP_RET_ALLOW);
	seccomp_program_free(p);
}

/* Programs the kernel would refuse are refused, not run off their end. */
static void test_bpf_eval_refuses_bad_programs(void **state)
{
	uint32_t v;
	struct sock_filter no_return[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0) };
	assert_int_equal(seccomp_bpf_eval(no_return, 1, 0, 0, NULL, &v), -EINVAL);
	struct sock_filter jump_out[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 5),
					  BPF_STMT(BPF_RET | BPF_K, 0) };
	assert_int_equal(seccomp_bpf_eval(jump_out, 2, 0, 0, NULL, &v), -EINVAL);
	struct sock_filter bad_load[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
					  BPF_STMT(BPF_RET | BPF_A, 0) };
	assert_int_equal(seccomp_bpf_eval(bad_load, 2, 0, 0, NULL, &v), -EINVAL);
	struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
				      BPF_STMT(BPF_RET | BPF_A, 0) };
	assert_int_equal(seccomp_bpf_eval(div0, 2, 0, 0, NULL, &v), -EINVAL);
	struct sock_filter scratch[] = { BPF_STMT(BPF_LD | BPF_IMM, 7), BPF_STMT(BPF_ST, 3),
					 BPF_STMT(BPF_LDX | BPF_MEM, 3), BPF_STMT(BPF_MISC | BPF_TXA, 0),
					 BPF_STMT(BPF_RET | BPF_A, 0) };
	assert_int_equal(seccomp_bpf_eval(scratch, 5, 0, 0, NULL, &v), 0);
	assert_int_equal(v, 7);
}

static void test_invalid_inputs(void **state)
{
	char *n[] = {"getpid", NULL};
	struct spec_seccomp_arg args[] = {{.index = 0, .value = 1, .op = "SCMP_CMP_EQ"}};
	struct spec_seccomp_syscall sc[] = {
	    {.names = n, .action = "SCMP_ACT_ERRNO"},
	    {.names = n, .action = "SCMP_ACT_ERRNO", .args = args, .n_args = 1},
	};
	struct spec_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 2};

	sc[1].action = "SCMP_ACT_FOO";
	expect_error(&s, "linux.seccomp.syscalls[1].action: unknown action 'SCMP_ACT_FOO'");
	sc[1].action = NULL;
	expect_error(&s, "linux.seccomp.syscalls[1].action: missing action");
	sc[1].action = "SCMP_ACT_ERRNO";
	sc[1].has_errno_ret = true;
	sc[1].errno_ret = 4095;
	expect_error(&s, "linux.seccomp.syscalls[1].action: errnoRet 4095 is over 4094");
	sc[1].errno_ret = 4094;
	args[0].op = "SCMP_CMP_XX";
	expect_error(&s, "linux.seccomp.syscalls[1].args[0].op: unknown operator 'SCMP_CMP_XX'");
	args[0].op = NULL;
	expect_error(&s, "linux.seccomp.syscalls[1].args[0].op: missing");
	args[0].op = "SCMP_CMP_EQ";
	args[0].index = 6;
	expect_error(&s, "linux.seccomp.syscalls[1].args[0].index: 6 is over 5");
	args[0].index = 5;

	s.default_action = "allow";
	expect_error(&s, "linux.seccomp.defaultAction: unknown action 'allow'");
	s.default_action = NULL;
	expect_error(&s, "linux.seccomp.defaultAction: missing action");
	s.default_action = "SCMP_ACT_ERRNO";
	s.has_default_errno_ret = true;
	s.default_errno_ret = 70000;
	expect_error(&s, "linux.seccomp.defaultAction: errnoRet 70000 is over 4094");
	s.default_action = "SCMP_ACT_ALLOW";

	char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_Z80", NULL};
	s.architectures = arches;
	expect_error(&s, "linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_Z80'");
	s.architectures = NULL;
	char *flags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NOPE", NULL};
	s.flags = flags;
	expect_error(&s, "linux.seccomp.flags[1]: unknown flag 'SECCOMP_FILTER_FLAG_NOPE'");
	s.flags = NULL;

	/* And with everything fixed, it compiles. */
	struct hutch_err err = {0};
	struct seccomp_program *p = NULL;
	int r = seccomp_compile(&s, &p, &err);
	if (r < 0)
		print_message("# %s\n", err.msg);
	assert_int_equal(r, 0);
	assert_true(seccomp_program_size(p) > 0);
	assert_int_equal(seccomp_program_listener_fd(p), -1);
	seccomp_program_free(p);
}

static void test_too_large(void **state)
{
	/* 5000 distinct conditional rules make more than BPF_MAXINSNS instructions. */
	enum { N = 2500 };
	char *n1[] = {"getpid", NULL}, *n2[] = {"getppid", NULL};
	struct spec_seccomp_arg *args = calloc(2 * N, sizeof(*args));
	assert_non_null(args);
	for (size_t i = 0; i < 2 * N; i++)
		args[i] = (struct spec_seccomp_arg){.index = 0, .value = i, .op = "SCMP_CMP_EQ"};
	struct spec_seccomp_syscall sc[] = {
	    {.names = n1, .action = "SCMP_ACT_ERRNO", .args = args, .n_args = N},
	    {.names = n2, .action = "SCMP_ACT_ERRNO", .args = args + N, .n_args = N},
	};
	struct spec_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 2};
	struct hutch_err err = {0};
	struct seccomp_program *p = NULL;
	int r = seccomp_compile(&s, &p, &err);
	if (r == 0)
		print_message("# %zu instructions\n", seccomp_program_size(p));
	assert_int_equal(r, -E2BIG);
	assert_non_null(strstr(err.msg, "instructions, over 4096"));
	free(args);
}

/* i386 getpid through int 0x80, or -ENOSYS-like garbage if the ABI is missing. */
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

static int probe_int80(void *arg)
{
	return int80_getpid() == getpid() ? 0 : 1;
}

static int body_int80_allowed(struct seccomp_program *p)
{
	CHECK(int80_getpid() == getpid());
	return 0;
}

static void test_architectures(void **state)
{
	char *arches[] = {"SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64",
			  NULL};
	char *n[] = {"getppid", NULL};
	struct spec_seccomp_syscall sc[] = {{.names = n, .action = "SCMP_ACT_LOG"}};
	struct spec_seccomp s = {.default_action = "SCMP_ACT_ALLOW",
				 .architectures = arches,
				 .syscalls = sc,
				 .n_syscalls = 1};
	assert_int_equal(child_exit_code(run_filtered(&s, body_allowed)), 0);

	int probe = run_in_child(probe_int80, NULL);
	if (child_exit_code(probe) != 0) {
		print_message("# skip part: no 32-bit x86 syscall ABI on this machine/kernel\n");
		return;
	}
	/* x86 listed: the 32-bit ABI works under the filter... */
	assert_int_equal(child_exit_code(run_filtered(&s, body_int80_allowed)), 0);
	/* ...not listed: a syscall from another architecture kills. */
	char *native_only[] = {"SCMP_ARCH_X86_64", NULL};
	s.architectures = native_only;
	assert_int_equal(child_signal(run_filtered(&s, body_int80_allowed)), SIGSYS);
}

static void *thread_getppid(void *arg)
{
	*(long *)arg = SC(SYS_getppid);
	return NULL;
}

static void *thread_wait_then_getppid(void *arg)
{
	usleep(100 * 1000);
	*(long *)arg = SC(SYS_getppid);
	return NULL;
}

/* TSYNC puts the filter on a thread that existed before the load. */
static int tsync_child(void *arg)
{
	struct seccomp_program *p = arg;
	struct hutch_err err = {0};
	long res = 0;
	pthread_t t;
	CHECK(set_nnp() == 0);
	CHECK(pthread_create(&t, NULL, thread_wait_then_getppid, &res) == 0);
	CHECK(seccomp_program_load(p, &err) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(res == -EUCLEAN);
	return 0;
}

static void test_flags(void **state)
{
	char *flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
			 "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL};
	char *n[] = {"getppid", NULL};
	struct spec_seccomp_syscall sc[] = {
	    {.names = n, .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = EUCLEAN}};
	struct spec_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .flags = flags, .syscalls = sc, .n_syscalls = 1};
	struct hutch_err err = {0};
	struct seccomp_program *p = NULL;
	assert_int_equal(seccomp_compile(&s, &p, &err), 0);
	assert_int_equal(child_exit_code(run_in_child(tsync_child, p)), 0);
	seccomp_program_free(p);
}

/* The notified syscall returns what the supervisor (here: the main thread) answers. */
static int body_notify(struct seccomp_program *p)
{
	int fd = seccomp_program_listener_fd(p);
	CHECK(fd >= 0);
	long res = 0;
	pthread_t t;
	CHECK(pthread_create(&t, NULL, thread_getppid, &res) == 0);
	struct seccomp_notif req = {0};
	CHECK(ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0);
	CHECK(req.data.nr == SYS_getppid);
	struct seccomp_notif_resp resp = {.id = req.id, .val = 4242, .error = 0};
	CHECK(ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(res == 4242);
	return 0;
}

static void test_notify(void **state)
{
	char *n[] = {"getppid", NULL};
	char *flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", NULL};
	struct spec_seccomp_syscall sc[] = {{.names = n, .action = "SCMP_ACT_NOTIFY"}};
	struct spec_seccomp s = {
	    .default_action = "SCMP_ACT_ALLOW", .syscalls = sc, .n_syscalls = 1};
	assert_int_equal(child_exit_code(run_filtered(&s, body_notify)), 0);
	/* TSYNC and a listener together need TSYNC_ESRCH, which seccomp_compile adds. */
	s.flags = flags;
	assert_int_equal(child_exit_code(run_filtered(&s, body_notify)), 0);
}

static int no_nnp_child(void *arg)
{
	struct hutch_err err = {0};
	/* Without CAP_SYS_ADMIN and without no_new_privs the kernel refuses the filter. */
	CHECK(setresuid(1000, 1000, 1000) == 0);
	CHECK(seccomp_program_load(arg, &err) == -EACCES);
	CHECK(strstr(err.msg, "no_new_privs") != NULL);
	return 0;
}

static void test_load_needs_nnp(void **state)
{
	SKIP_UNLESS_ROOT();
	struct spec_seccomp s = {.default_action = "SCMP_ACT_ALLOW"};
	struct hutch_err err = {0};
	struct seccomp_program *p = NULL;
	assert_int_equal(seccomp_compile(&s, &p, &err), 0);
	assert_int_equal(child_exit_code(run_in_child(no_nnp_child, p)), 0);
	seccomp_program_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errno_action),   cmocka_unit_test(test_kill_actions),
	    cmocka_unit_test(test_trap_log_trace), cmocka_unit_test(test_arg_personality),
	    cmocka_unit_test(test_arg_operators),  cmocka_unit_test(test_multiple_args),
	    cmocka_unit_test(test_default_errno),  cmocka_unit_test(test_unknown_syscall_skipped),
	    cmocka_unit_test(test_invalid_inputs), cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_architectures),  cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_notify),	   cmocka_unit_test(test_load_needs_nnp),
	    cmocka_unit_test(test_refuses_profile_that_cannot_start),
	    cmocka_unit_test(test_bpf_eval_matches_the_profile),
	    cmocka_unit_test(test_bpf_eval_refuses_bad_programs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
