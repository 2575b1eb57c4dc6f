/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch's default seccomp profile for sandboxes, as a struct spec_seccomp so it goes through
 * the same seccomp_compile() as any config.json profile (and shows in `hutch inspect`).
 *
 * An allowlist: everything not listed fails with EPERM. What it keeps from untrusted code:
 * ptrace and process_vm_*, kernel modules and kexec, bpf, perf_event_open, userfaultfd, the
 * keyring, io_uring, new namespaces (unshare, setns, clone with CLONE_NEW*; clone3 answers
 * ENOSYS so libc falls back to clone, whose flags can be checked), mount, umount2, pivot_root,
 * chroot and the new mount API, file handles, AF_PACKET and raw sockets (and every address
 * family but unix, inet, inet6 and netlink), swap, reboot, acct, quota, syslog, clock
 * setting, personality() beyond the standard values, and the TIOCSTI/TIOCLINUX ioctls.
 *
 * Only the native architecture is listed: other ABIs (32-bit x86 via int 0x80) are killed.
 * On x86-32 socket() goes through socketcall(), whose arguments sit behind a pointer that
 * seccomp cannot read, so its address-family rules could not hold there.
 */
#pragma once

#include "security/security.h"

/* Builds the default profile (heap-allocated, every string its own allocation). */
int seccomp_default_profile(struct spec_seccomp **ret);
/* Frees a heap-allocated struct spec_seccomp laid out as above (also one from the default
 * profile); NULL is fine. */
void seccomp_profile_free(struct spec_seccomp *s);
static inline void seccomp_profile_freep(struct spec_seccomp **s)
{
	seccomp_profile_free(*s);
}
#define _cleanup_seccomp_profile_ __attribute__((cleanup(seccomp_profile_freep)))
