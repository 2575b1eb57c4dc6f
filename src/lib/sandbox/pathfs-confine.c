/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Confining a pathfs server before it reads its first request (a trust boundary: every
 * request comes from the sandbox).
 *
 * The server becomes the sandbox's own host identity for good (setresuid/setresgid, no
 * supplementary groups, which also empties every capability set): every request it acts
 * on comes from that identity, so it never needs another, and a server that was somehow
 * taken over could do on the host's files no more than the sandbox could do through the
 * same mounts. no_new_privs, and a seccomp filter takes away what a file server has no use
 * for and an intruder would want: executing programs, sockets (the server lives in the
 * host's network namespace), signals to other processes, ptrace, identity changes beyond
 * the one fsuid/fsgid it has, namespaces, mounts, keyrings, bpf, io_uring.
 */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox/pathfs-launch.h"

static int deny_all(scmp_filter_ctx ctx)
{
	static const char *const denied[] = {
		"execve", "execveat", "socket", "socketpair", "connect", "bind", "listen",
		"accept", "accept4", "kill", "tkill", "tgkill", "rt_sigqueueinfo",
		"rt_tgsigqueueinfo", "pidfd_send_signal", "pidfd_open", "pidfd_getfd", "ptrace",
		"process_vm_readv", "process_vm_writev", "setuid", "setgid", "setreuid",
		"setregid", "setresuid", "setresgid", "setgroups", "capset", "unshare", "setns",
		"clone3", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsmount",
		"fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr", "keyctl",
		"add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
		"io_uring_setup", "io_uring_enter", "io_uring_register", "init_module",
		"finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
		"swapon", "swapoff", "open_by_handle_at", "name_to_handle_at", "personality",
		"seccomp", "prctl",
	};
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0)
			return r;
	}
	/* clone stays for threads and fork; with any new-namespace flag it is refused. */
	static const unsigned long ns_flags[] = { CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS,
						  CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
						  CLONE_NEWNET };
	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
					 SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

int pathfs_confine(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	int r = deny_all(ctx);
	if (r >= 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r < 0 ? r : 0;
}
