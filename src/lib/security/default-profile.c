/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The default sandbox seccomp profile (see profile.h for what it denies and why).
 *
 * Arguments that the kernel reads as 32-bit ints (socket's domain and type, ioctl's request)
 * are compared with a 0xffffffff mask, never with SCMP_CMP_NE: seccomp sees the whole 64-bit
 * register, so "arg != TIOCSTI" would let 0x100005412 through, which the kernel truncates to
 * TIOCSTI. Exclusions are therefore written as allow rules covering everything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "macro.h"
#include "strv.h"
#include "security/profile.h"

/* Everything a normal program needs; unknown names (newer than libseccomp) are skipped. */
/* clang-format off */
static const char *const allowed[] = {
	"accept", "accept4", "access", "alarm", "arch_prctl", "bind", "brk", "capget", "capset",
	"chdir", "chown", "clock_getres", "clock_gettime", "clock_nanosleep", "close",
	"close_range", "connect", "copy_file_range", "dup", "dup2", "dup3",
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
	"faccessat2", "fadvise64", "fchdir", "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
	"fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex",
	"futex_waitv", "futimesat", "get_mempolicy", "get_robust_list", "get_thread_area",
	"getcpu", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid",
	"getgroups", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
	"getpriority", "getrandom", "getresgid", "getresuid", "getrlimit", "getrusage", "getsid",
	"getsockname", "getsockopt", "gettid", "gettimeofday", "getuid", "getxattr",
	"inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
	"io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit", "ioprio_get",
	"ioprio_set", "kill", "landlock_add_rule", "landlock_create_ruleset",
	"landlock_restrict_self", "lchown", "lgetxattr", "link", "linkat", "listen", "listxattr",
	"llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "madvise", "membarrier",
	"memfd_create", "mincore", "mkdir", "mkdirat", "mlock", "mlock2",
	"mlockall", "mmap", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
	"mq_timedreceive", "mq_timedsend", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv",
	"msgsnd", "msync", "munlock", "munlockall", "munmap",
	"nanosleep", "newfstatat", "pause", "pidfd_open",
	"pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
	"ppoll", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "pselect6", "pwrite64",
	"pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recvfrom",
	"recvmmsg", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
	"renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
	"rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
	"rt_tgsigqueueinfo", "sched_get_priority_max", "sched_get_priority_min",
	"sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler",
	"sched_rr_get_interval", "sched_setaffinity", "sched_setattr", "sched_setparam",
	"sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
	"semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto", "set_robust_list",
	"set_thread_area", "set_tid_address", "setfsgid", "setfsuid", "setgid", "setgroups",
	"setitimer", "setpgid", "setpriority", "setregid", "setresgid", "setresuid", "setreuid",
	"setrlimit", "setsid", "setsockopt", "setuid", "setxattr", "shmat", "shmctl", "shmdt",
	"shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "socketpair", "splice",
	"stat", "statfs", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
	"sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
	"timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime",
	"times", "tkill", "truncate", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
	"utimes", "vfork", "wait4", "waitid", "write", "writev",
	/* Names of other architectures, for a native arch that has them. */
	"_llseek", "_newselect", "chown32", "clock_gettime64", "clock_nanosleep_time64",
	"fchown32", "fcntl64", "fstat64", "fstatat64", "fstatfs64", "ftruncate64",
	"futex_time64", "getegid32", "geteuid32", "getgid32", "getgroups32", "getresgid32",
	"getresuid32", "getuid32", "lchown32", "lstat64", "mmap2", "ppoll_time64",
	"pselect6_time64", "recv", "rt_sigtimedwait_time64", "send", "sendfile64", "setfsgid32",
	"setfsuid32", "setgid32", "setgroups32", "setregid32", "setresgid32", "setresuid32",
	"setreuid32", "setuid32", "sigreturn", "stat64", "statfs64", "truncate64", "ugetrlimit",
	"riscv_flush_icache", "cacheflush", "set_tls", "breakpoint",
};
/* clang-format on */

/* personality(): Linux, 32-bit Linux, the uname-2.6 flag, both, and the 0xffffffff query. */
static const uint64_t personalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* Socket families and types the sandbox may open: (domain, type) pairs, type without flags. */
static const struct {
	int domain, type;
} sockets[] = {
    {AF_UNIX, SOCK_STREAM},
    {AF_UNIX, SOCK_DGRAM},
    {AF_UNIX, SOCK_SEQPACKET},
    {AF_INET, SOCK_STREAM},
    {AF_INET, SOCK_DGRAM},
    {AF_INET, SOCK_SEQPACKET},
    {AF_INET6, SOCK_STREAM},
    {AF_INET6, SOCK_DGRAM},
    {AF_INET6, SOCK_SEQPACKET},
    /* netlink is SOCK_RAW by convention (getifaddrs, getaddrinfo's AI_ADDRCONFIG) */
    {AF_NETLINK, SOCK_RAW},
    {AF_NETLINK, SOCK_DGRAM},
};
#define SOCK_TYPE_MASK 0xf

/* The ioctl requests nobody in a sandbox needs and that reach other terminals' input. */
static const uint32_t denied_ioctls[] = {TIOCSTI, TIOCLINUX};

#define CLONE_NAMESPACES                                                                           \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET)
/* clone()'s flags are its second argument on s390, the first everywhere else. */
#if defined(__s390__) || defined(__s390x__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

static struct spec_seccomp_syscall *add_entry(struct spec_seccomp *s, const char *action)
{
	struct spec_seccomp_syscall *n =
	    realloc(s->syscalls, (s->n_syscalls + 1) * sizeof(*s->syscalls));
	if (!n)
		return NULL;
	s->syscalls = n;
	struct spec_seccomp_syscall *e = &n[s->n_syscalls];
	*e = (struct spec_seccomp_syscall){0};
	e->action = strdup(action);
	if (!e->action)
		return NULL;
	s->n_syscalls++;
	return e;
}

static int add_arg(struct spec_seccomp_syscall *e, uint32_t index, const char *op, uint64_t value,
		   uint64_t value_two)
{
	struct spec_seccomp_arg *n = realloc(e->args, (e->n_args + 1) * sizeof(*e->args));
	if (!n)
		return -ENOMEM;
	e->args = n;
	n[e->n_args] = (struct spec_seccomp_arg){
	    .index = index, .value = value, .value_two = value_two, .op = strdup(op)};
	if (!n[e->n_args].op)
		return -ENOMEM;
	e->n_args++;
	return 0;
}

static int add_named(struct spec_seccomp *s, const char *name, const char *action,
		     struct spec_seccomp_syscall **ret)
{
	struct spec_seccomp_syscall *e = add_entry(s, action);
	if (!e || strv_push(&e->names, name) < 0)
		return -ENOMEM;
	*ret = e;
	return 0;
}

/*
 * Allow rules for `arg & 0xffffffff` outside `excluded`: walk the bits from the top; wherever
 * a prefix matches no excluded value, one MASKED_EQ condition on that prefix covers its whole
 * subtree. At most 32 conditions per excluded value. All conditions are on one argument, so
 * seccomp_compile() turns them into alternative rules (OR).
 */
static int add_excluding(struct spec_seccomp_syscall *e, uint32_t index, const uint32_t *excl,
			 size_t n_excl, uint32_t mask, uint32_t prefix, int bit)
{
	bool any = false;
	for (size_t i = 0; i < n_excl; i++)
		any |= (excl[i] & mask) == prefix;
	if (!any)
		return add_arg(e, index, "SCMP_CMP_MASKED_EQ", mask, prefix);
	if (bit < 0)
		return 0; /* the excluded value itself */
	uint32_t m = mask | (UINT32_C(1) << bit);
	int r = add_excluding(e, index, excl, n_excl, m, prefix, bit - 1);
	if (r < 0)
		return r;
	return add_excluding(e, index, excl, n_excl, m, prefix | (UINT32_C(1) << bit), bit - 1);
}

/*
 * No setuid or setgid files: the workspace is an idmapped view of a host directory, so a
 * setuid file made there by the sandbox's "root" would be a setuid-root file on the host.
 * Each rule: (syscall, index of its mode argument, index of its flags argument or -1).
 * A call is allowed when the mode has neither bit, or when its flags create nothing.
 * openat2 hides its mode in a struct seccomp cannot read: it stays denied.
 */
#define SETID_BITS 06000
#define CREATE_FLAGS (O_CREAT | 020000000 /* __O_TMPFILE */)
static const struct {
	const char *name;
	int mode_arg, flags_arg;
} mode_calls[] = {
	{"chmod", 1, -1},  {"fchmod", 1, -1}, {"fchmodat", 2, -1}, {"creat", 1, -1},
	{"mknod", 1, -1},  {"mknodat", 2, -1}, {"open", 2, 1},     {"openat", 3, 2},
};

static int add_mode_rules(struct spec_seccomp *s)
{
	struct spec_seccomp_syscall *e;
	for (size_t i = 0; i < ARRAY_SIZE(mode_calls); i++) {
		if (add_named(s, mode_calls[i].name, "SCMP_ACT_ALLOW", &e) < 0 ||
		    add_arg(e, (uint32_t)mode_calls[i].mode_arg, "SCMP_CMP_MASKED_EQ", SETID_BITS, 0) < 0)
			return -ENOMEM;
		if (mode_calls[i].flags_arg < 0)
			continue;
		if (add_named(s, mode_calls[i].name, "SCMP_ACT_ALLOW", &e) < 0 ||
		    add_arg(e, (uint32_t)mode_calls[i].flags_arg, "SCMP_CMP_MASKED_EQ", CREATE_FLAGS, 0) < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * fallocate() may take any amount of disk in one call, faster than the disk reserve guard
 * (hutch-agent --reserve) can look: only the modes that free space are allowed (punching a
 * hole, collapsing a range); the rest fail with EOPNOTSUPP, which every caller must expect
 * (many file systems say it), and glibc's posix_fallocate() then writes the blocks instead,
 * at a speed the guard keeps up with.
 */
#define FALLOC_PUNCH_HOLE 0x03 /* FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE */
#define FALLOC_COLLAPSE_RANGE 0x08
static const uint32_t freeing_fallocate_modes[] = {FALLOC_PUNCH_HOLE, FALLOC_COLLAPSE_RANGE};

static int add_fallocate_rules(struct spec_seccomp *s)
{
	struct spec_seccomp_syscall *e;
	if (add_named(s, "fallocate", "SCMP_ACT_ALLOW", &e) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(freeing_fallocate_modes); i++)
		if (add_arg(e, 1, "SCMP_CMP_MASKED_EQ", 0xffffffff, freeing_fallocate_modes[i]) < 0)
			return -ENOMEM;
	if (add_named(s, "fallocate", "SCMP_ACT_ERRNO", &e) < 0 ||
	    add_excluding(e, 1, freeing_fallocate_modes, ARRAY_SIZE(freeing_fallocate_modes), 0, 0,
			  31) < 0)
		return -ENOMEM;
	e->has_errno_ret = true;
	e->errno_ret = EOPNOTSUPP;
	return 0;
}

static int add_special_rules(struct spec_seccomp *s)
{
	if (add_mode_rules(s) < 0 || add_fallocate_rules(s) < 0)
		return -ENOMEM;
	struct spec_seccomp_syscall *e;
	if (add_named(s, "personality", "SCMP_ACT_ALLOW", &e) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(personalities); i++)
		if (add_arg(e, 0, "SCMP_CMP_EQ", personalities[i], 0) < 0)
			return -ENOMEM;

	for (size_t i = 0; i < ARRAY_SIZE(sockets); i++) {
		if (add_named(s, "socket", "SCMP_ACT_ALLOW", &e) < 0 ||
		    add_arg(e, 0, "SCMP_CMP_MASKED_EQ", 0xffffffff, (uint32_t)sockets[i].domain) <
			0 ||
		    add_arg(e, 1, "SCMP_CMP_MASKED_EQ", SOCK_TYPE_MASK, (uint32_t)sockets[i].type) <
			0)
			return -ENOMEM;
	}

	if (add_named(s, "ioctl", "SCMP_ACT_ALLOW", &e) < 0 ||
	    add_excluding(e, 1, denied_ioctls, ARRAY_SIZE(denied_ioctls), 0, 0, 31) < 0)
		return -ENOMEM;

	/* fork, threads and vfork, but no new namespaces. */
	if (add_named(s, "clone", "SCMP_ACT_ALLOW", &e) < 0 ||
	    add_arg(e, CLONE_FLAGS_ARG, "SCMP_CMP_MASKED_EQ", CLONE_NAMESPACES, 0) < 0)
		return -ENOMEM;
	/* openat2 passes its mode in memory too (a setuid file could be made with it): ENOSYS
	 * sends callers back to openat, whose mode is checked. */
	if (add_named(s, "openat2", "SCMP_ACT_ERRNO", &e) < 0)
		return -ENOMEM;
	e->has_errno_ret = true;
	e->errno_ret = ENOSYS;
	/* clone3 passes its flags in memory, out of seccomp's sight: make libc use clone. */
	if (add_named(s, "clone3", "SCMP_ACT_ERRNO", &e) < 0)
		return -ENOMEM;
	e->has_errno_ret = true;
	e->errno_ret = ENOSYS;
	return 0;
}

static const char *native_arch(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	return "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
	return "SCMP_ARCH_AARCH64";
#else
	return NULL; /* the native architecture only, which every filter has anyway */
#endif
}

int seccomp_default_profile(struct spec_seccomp **ret)
{
	_cleanup_seccomp_profile_ struct spec_seccomp *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->default_action = strdup("SCMP_ACT_ERRNO");
	if (!s->default_action)
		return -ENOMEM;
	s->has_default_errno_ret = true;
	s->default_errno_ret = EPERM;
	const char *arch = native_arch();
	if (arch && strv_push(&s->architectures, arch) < 0)
		return -ENOMEM;

	struct spec_seccomp_syscall *e = add_entry(s, "SCMP_ACT_ALLOW");
	if (!e)
		return -ENOMEM;
	/* One allocation for the ~300 names: pushing them one by one is quadratic. */
	e->names = calloc(ARRAY_SIZE(allowed) + 1, sizeof(char *));
	if (!e->names)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (!(e->names[i] = strdup(allowed[i])))
			return -ENOMEM;
	int r = add_special_rules(s);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

void seccomp_profile_free(struct spec_seccomp *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_syscalls; i++) {
		struct spec_seccomp_syscall *e = &s->syscalls[i];
		strv_free(e->names);
		free(e->action);
		for (size_t k = 0; k < e->n_args; k++)
			free(e->args[k].op);
		free(e->args);
	}
	free(s->syscalls);
	free(s->default_action);
	strv_free(s->architectures);
	strv_free(s->flags);
	free(s->listener_path);
	free(s);
}
