/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process's privileges, applied in the container child after the rootfs is ready:
 *   rlimits_apply() and oom_score_adj (need CAP_SYS_RESOURCE, so first)
 *   → identity_apply() (groups, gid, uid, umask, then the five capability sets)
 *   → no_new_privs → (wait for start) → seccomp_program_load() → execve.
 * Everything that can fail on bad input is checked in the parent first (seccomp_compile,
 * rlimits validated by the spec decoder), so the child only fails on kernel refusals.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "hutch/hutch.h"
#include "spec/spec.h"

/* A seccomp filter compiled to BPF in the parent; loading it in the child does no allocation. */
struct seccomp_program;

/*
 * Validates and compiles linux.seccomp: actions (kill, kill_process, kill_thread, trap, errno,
 * trace, allow, log, notify), argument conditions, architectures, flags. Unknown syscall names
 * are skipped (as runc does: the kernel may be older than the profile); an unknown action,
 * operator, architecture or flag is an error naming the entry ("linux.seccomp.syscalls[3]...").
 */
int seccomp_compile(const struct spec_seccomp *s, struct seccomp_program **ret,
		    struct hutch_err *err);
/*
 * Installs the filter in the calling thread (flags from the spec: TSYNC, LOG, SPEC_ALLOW).
 * One seccomp(2) call, no allocation: safe in a cloned child. The kernel refuses it (EACCES)
 * unless the caller has no_new_privs or CAP_SYS_ADMIN in its user namespace: the engine sets
 * no_new_privs first when the spec asks, and otherwise must load before dropping capabilities.
 */
int seccomp_program_load(const struct seccomp_program *p, struct hutch_err *err);

/*
 * Like seccomp_compile, but keeps compiled filters in cache_dir (NULL: no cache), keyed by
 * the whole profile: compiling a large profile with libseccomp costs milliseconds on every
 * start, reading it back microseconds. An entry is used only if the profile it was made
 * from is byte for byte the one asked for, so no crafted profile can pass as another.
 */
int seccomp_compile_cached(const struct spec_seccomp *s, const char *cache_dir,
			   struct seccomp_program **ret, struct hutch_err *err);
/* The default cache directory: runtime_dir("cache") (path.h), kept for the process. */
const char *seccomp_cache_dir(void);

struct sock_filter;
/* A program from raw BPF (the cache's way back in); *ret owns a copy. */
int seccomp_program_from_bpf(const struct sock_filter *insns, size_t n, unsigned int flags,
			     struct seccomp_program **ret);
/* The program's BPF and seccomp(2) flags (borrowed). */
const struct sock_filter *seccomp_program_bpf(const struct seccomp_program *p, size_t *ret_n,
					      unsigned int *ret_flags);

/*
 * Non-negative listener fd when the profile uses SCMP_ACT_NOTIFY (after load), else -1.
 * The fd is O_CLOEXEC (the kernel makes it so) and stays owned by the program.
 */
int seccomp_program_listener_fd(const struct seccomp_program *p);
/* Like seccomp_program_listener_fd(), but the caller owns the fd afterwards. */
int seccomp_program_take_listener_fd(struct seccomp_program *p);
/* Number of BPF instructions (at most BPF_MAXINSNS: seccomp_compile checks). */
size_t seccomp_program_size(const struct seccomp_program *p);
/* Frees the program and closes a listener fd it still owns. NULL is fine. */
void seccomp_program_free(struct seccomp_program *p);
static inline void seccomp_program_freep(struct seccomp_program **p)
{
	seccomp_program_free(*p);
}
#define _cleanup_seccomp_program_ __attribute__((cleanup(seccomp_program_freep)))

/* Sets every rlimit of the process spec. */
int rlimits_apply(const struct spec_process *p, struct hutch_err *err);
/* The spec name of an RLIMIT_* number ("RLIMIT_NOFILE"), or NULL. */
const char *rlimit_to_spec_name(int resource);
/* Writes /proc/self/oom_score_adj if the spec sets it. */
int oom_score_adj_apply(const struct spec_process *p, struct hutch_err *err);

/*
 * Becomes the spec's user: setgroups(additionalGids), setresgid, setresuid, umask; then sets
 * the capability sets (bounding is dropped to the given set, ambient raised last). caps NULL
 * (spec without "capabilities") drops everything. Keeps capabilities across the uid change
 * with PR_SET_KEEPCAPS so the sets can be set afterwards.
 */
int identity_apply(const struct spec_process *p, struct hutch_err *err);

/* Turns a capability name ("CAP_SYS_ADMIN") into its number; -EINVAL if unknown. */
int cap_from_spec_name(const char *name);
/* The spec name of a capability number ("CAP_CHOWN"), or NULL if this table has none. */
const char *cap_to_spec_name(int cap);
/* The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap). */
int cap_last_cap(void);
