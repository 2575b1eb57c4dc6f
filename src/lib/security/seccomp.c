/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linux.seccomp → BPF. All the work that can fail on bad input (names, actions, operators,
 * architectures, flags, program size) happens here, in the parent, with libseccomp. The result
 * is a plain sock_filter array: the container child only calls seccomp(2) on it, with no
 * allocation and no libseccomp, so a config can never make the child fail half-way through.
 *
 * Trust boundary: struct spec_seccomp comes from an untrusted config.json (bounded by the spec
 * decoder) or from a hand-built spec; every count is checked again here because a hand-built
 * spec does not go through the decoder.
 */
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "macro.h"
#include "strv.h"
#include "security/seccomp-eval.h"
#include "security/security.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* errno values from the kernel's MAX_ERRNO (4095) up are not errnos, and libseccomp refuses
 * 4095 itself; SECCOMP_RET_DATA (the TRACE value) is 16 bit. */
#define SECCOMP_MAX_ERRNO 4094u
#define SECCOMP_MAX_TRACE 0xffffu
#define SECCOMP_MAX_ARG_INDEX 5u
/*
 * Caps on what one profile may make libseccomp do: a spec may hold SPEC_MAX_ARRAY entries of
 * SPEC_MAX_ARRAY names each, which would be 16M rules. Real profiles add under 2000.
 */
#define SECCOMP_MAX_RULES 16384u

struct seccomp_program {
	struct sock_filter *insns;
	unsigned short n_insns;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* passed to seccomp(2) */
	int listener_fd;    /* filled by seccomp_program_load() when flags has NEW_LISTENER */
};

enum action_data { DATA_NONE, DATA_ERRNO, DATA_TRACE };

static const struct {
	const char *name;
	uint32_t action;
	enum action_data data;
} actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, DATA_NONE},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, DATA_NONE},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, DATA_NONE},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, DATA_NONE},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), DATA_ERRNO},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), DATA_TRACE},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, DATA_NONE},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, DATA_NONE},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, DATA_NONE},
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* Each flag goes to seccomp(2) at load time; the libseccomp attribute (if any) makes libseccomp
 * check that this kernel supports it, at compile time in the parent. */
static const struct {
	const char *name;
	unsigned int kernel_flag;
	enum scmp_filter_attr attr; /* 0: none */
} filter_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, SCMP_FLTATR_CTL_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, SCMP_FLTATR_CTL_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, SCMP_FLTATR_CTL_SSB},
    /* Only meaningful with a listener: dropped at load time when there is none. */
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, 0},
};

/* Architecture names as the OCI spec writes them, mapped to libseccomp's tokens. */
static const struct {
	const char *name;
	uint32_t token;
} arches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* Turns an action name (plus errnoRet for ERRNO/TRACE) into libseccomp's action value. */
static int parse_action(const char *name, bool has_ret, uint32_t ret, const char *where,
			uint32_t *ret_action, struct hutch_err *err)
{
	if (!name)
		return err_set(err, EINVAL, "%s: missing action", where);
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(actions[i].name, name) != 0)
			continue;
		switch (actions[i].data) {
		case DATA_ERRNO:
			if (has_ret && ret > SECCOMP_MAX_ERRNO)
				return err_set(err, EINVAL, "%s: errnoRet %u is over %u", where,
					       ret, SECCOMP_MAX_ERRNO);
			*ret_action = SCMP_ACT_ERRNO(has_ret ? ret : EPERM);
			return 0;
		case DATA_TRACE:
			if (has_ret && ret > SECCOMP_MAX_TRACE)
				return err_set(err, EINVAL, "%s: errnoRet %u is over %u", where,
					       ret, SECCOMP_MAX_TRACE);
			*ret_action = SCMP_ACT_TRACE(has_ret ? ret : EPERM);
			return 0;
		case DATA_NONE:
			*ret_action = actions[i].action;
			return 0;
		}
	}
	return err_set(err, EINVAL, "%s: unknown action '%s'", where, name);
}

static int add_architectures(scmp_filter_ctx ctx, char *const *names, struct hutch_err *err)
{
	size_t n = strv_length(names);
	if (n > SPEC_MAX_ARRAY)
		return err_set(err, E2BIG, "linux.seccomp.architectures: %zu entries, over %u", n,
			       SPEC_MAX_ARRAY);
	for (size_t i = 0; i < n; i++) {
		uint32_t token = 0;
		for (size_t j = 0; j < ARRAY_SIZE(arches); j++)
			if (strcmp(arches[j].name, names[i]) == 0)
				token = arches[j].token;
		if (token == 0)
			return err_set(
			    err, EINVAL,
			    "linux.seccomp.architectures[%zu]: unknown architecture '%s'", i,
			    names[i]);
		int r = seccomp_arch_add(ctx, token);
		/* The native architecture is in every new filter already; lists repeat too. */
		if (r < 0 && r != -EEXIST)
			return err_set_errno(err, -r, "linux.seccomp.architectures[%zu]: add '%s'",
					     i, names[i]);
	}
	return 0;
}

static int apply_flags(scmp_filter_ctx ctx, char *const *names, unsigned int *ret_flags,
		       struct hutch_err *err)
{
	size_t n = strv_length(names);
	if (n > SPEC_MAX_ARRAY)
		return err_set(err, E2BIG, "linux.seccomp.flags: %zu entries, over %u", n,
			       SPEC_MAX_ARRAY);
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < ARRAY_SIZE(filter_flags) && strcmp(filter_flags[j].name, names[i]) != 0)
			j++;
		if (j == ARRAY_SIZE(filter_flags))
			return err_set(err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag '%s'",
				       i, names[i]);
		if (filter_flags[j].attr != 0) {
			int r = seccomp_attr_set(ctx, filter_flags[j].attr, 1);
			if (r < 0)
				return err_set_errno(err, -r, "linux.seccomp.flags[%zu]: '%s'", i,
						     names[i]);
		}
		*ret_flags |= filter_flags[j].kernel_flag;
	}
	return 0;
}

/* Checks one argument condition and turns it into libseccomp's form. */
static int parse_arg(const struct spec_seccomp_arg *a, size_t i, size_t k, struct scmp_arg_cmp *ret,
		     struct hutch_err *err)
{
	if (a->index > SECCOMP_MAX_ARG_INDEX)
		return err_set(err, EINVAL,
			       "linux.seccomp.syscalls[%zu].args[%zu].index: %u is over %u", i, k,
			       a->index, SECCOMP_MAX_ARG_INDEX);
	if (!a->op)
		return err_set(err, EINVAL, "linux.seccomp.syscalls[%zu].args[%zu].op: missing", i,
			       k);
	for (size_t j = 0; j < ARRAY_SIZE(operators); j++) {
		if (strcmp(operators[j].name, a->op) != 0)
			continue;
		/* For MASKED_EQ, "value" is the mask and "valueTwo" what the masked arg must equal.
		 */
		*ret = (struct scmp_arg_cmp){
		    .arg = a->index,
		    .op = operators[j].op,
		    .datum_a = a->value,
		    .datum_b = a->value_two,
		};
		return 0;
	}
	return err_set(err, EINVAL,
		       "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator '%s'", i, k,
		       a->op);
}

/*
 * libseccomp refuses two conditions on the same argument in one rule. Like runc, such an entry
 * becomes one rule per condition (the conditions are then OR-ed, not AND-ed: that is what
 * profiles written for runc expect, e.g. several allowed values of one argument).
 */
static bool args_repeat_index(const struct scmp_arg_cmp *conds, size_t n)
{
	unsigned int seen = 0;
	for (size_t k = 0; k < n; k++) {
		if (seen & (1u << conds[k].arg))
			return true;
		seen |= 1u << conds[k].arg;
	}
	return false;
}

struct compile_state {
	scmp_filter_ctx ctx;
	uint32_t default_action;
	size_t n_rules; /* rules handed to libseccomp so far, against SECCOMP_MAX_RULES */
	bool uses_notify;
};

static int add_rule(struct compile_state *st, uint32_t action, int nr, unsigned int n_conds,
		    const struct scmp_arg_cmp *conds, size_t i, const char *name,
		    struct hutch_err *err)
{
	if (++st->n_rules > SECCOMP_MAX_RULES)
		return err_set(err, E2BIG,
			       "linux.seccomp.syscalls[%zu]: over %u rules in the profile", i,
			       SECCOMP_MAX_RULES);
	int r = seccomp_rule_add_array(st->ctx, action, nr, n_conds, conds);
	if (r < 0)
		return err_set_errno(err, -r, "linux.seccomp.syscalls[%zu]: add rule for '%s'", i,
				     name);
	if (action == SCMP_ACT_NOTIFY)
		st->uses_notify = true;
	return 0;
}

static int add_syscall_entry(struct compile_state *st, const struct spec_seccomp_syscall *sc,
			     size_t i, struct hutch_err *err)
{
	char where[64];
	snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu].action", i);
	uint32_t action;
	int r = parse_action(sc->action, sc->has_errno_ret, sc->errno_ret, where, &action, err);
	if (r < 0)
		return r;

	/* Six arguments, each once: anything longer repeats an index and is split below. */
	if (sc->n_args > SPEC_MAX_ARRAY)
		return err_set(err, E2BIG, "linux.seccomp.syscalls[%zu].args: %zu entries, over %u",
			       i, sc->n_args, SPEC_MAX_ARRAY);
	_cleanup_free_ struct scmp_arg_cmp *conds = NULL;
	if (sc->n_args > 0) {
		conds = calloc(sc->n_args, sizeof(*conds));
		if (!conds)
			return err_set_errno(err, ENOMEM, "linux.seccomp.syscalls[%zu]", i);
	}
	for (size_t k = 0; k < sc->n_args; k++) {
		r = parse_arg(&sc->args[k], i, k, &conds[k], err);
		if (r < 0)
			return r;
	}
	bool split = args_repeat_index(conds, sc->n_args);

	size_t n_names = strv_length(sc->names);
	if (n_names > SPEC_MAX_ARRAY)
		return err_set(err, E2BIG,
			       "linux.seccomp.syscalls[%zu].names: %zu entries, over %u", i,
			       n_names, SPEC_MAX_ARRAY);
	/* libseccomp rejects a rule that does what the default does; it would be a no-op. */
	if (action == st->default_action)
		return 0;
	for (size_t j = 0; j < n_names; j++) {
		int nr = seccomp_syscall_resolve_name(sc->names[j]);
		/* Profiles name syscalls newer than this kernel or libseccomp: skip, as runc does.
		 */
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (!split) {
			r = add_rule(st, action, nr, sc->n_args, conds, i, sc->names[j], err);
			if (r < 0)
				return r;
			continue;
		}
		for (size_t k = 0; k < sc->n_args; k++) {
			r = add_rule(st, action, nr, 1, &conds[k], i, sc->names[j], err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Exports the filter as BPF through a memfd (libseccomp 2.5 only writes BPF to an fd). */
static int export_bpf(scmp_filter_ctx ctx, struct seccomp_program *p, struct hutch_err *err)
{
	_cleanup_close_ int fd = memfd_create("hutch-seccomp-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "linux.seccomp: memfd for the filter");
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return err_set_errno(err, -r, "linux.seccomp: export filter");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return err_set_errno(err, errno, "linux.seccomp: stat filter");
	size_t len = (size_t)st.st_size;
	if (len == 0 || len % sizeof(struct sock_filter) != 0)
		return err_set(err, EIO, "linux.seccomp: filter of %zu bytes", len);
	/* The kernel refuses longer programs; say so now rather than in the child. */
	if (len / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return err_set(err, E2BIG, "linux.seccomp: filter of %zu instructions, over %u",
			       len / sizeof(struct sock_filter), BPF_MAXINSNS);
	_cleanup_free_ struct sock_filter *insns = malloc(len);
	if (!insns)
		return err_set_errno(err, ENOMEM, "linux.seccomp: filter");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return err_set_errno(err, errno, "linux.seccomp: seek filter");
	ssize_t n = read_full(fd, insns, len);
	if (n < 0)
		return err_set_errno(err, (int)-n, "linux.seccomp: read filter");
	if ((size_t)n != len)
		return err_set(err, EIO, "linux.seccomp: short read of filter");
	p->insns = TAKE_PTR(insns);
	p->n_insns = (unsigned short)(len / sizeof(struct sock_filter));
	return 0;
}

static int compile_into(const struct spec_seccomp *s, struct compile_state *st,
			struct seccomp_program *p, struct hutch_err *err)
{
	int r = parse_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
			     "linux.seccomp.defaultAction", &st->default_action, err);
	if (r < 0)
		return r;
	st->ctx = seccomp_init(st->default_action);
	if (!st->ctx)
		return err_set(err, EINVAL,
			       "linux.seccomp.defaultAction: '%s' refused by libseccomp",
			       s->default_action);
	if (st->default_action == SCMP_ACT_NOTIFY)
		st->uses_notify = true;
	/*
	 * A binary tree of syscall numbers, not a list: a profile of ~350 syscalls is then
	 * ~10 comparisons deep instead of ~350. It matters twice: at load, the kernel runs the
	 * filter once per syscall number and architecture to precompute which are always
	 * allowed (that emulation of a long list took ~0.4 ms of every sandbox start), and on
	 * each syscall the cache does not cover.
	 */
	r = seccomp_attr_set(st->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return err_set_errno(err, -r, "linux.seccomp: binary tree optimization");
	r = add_architectures(st->ctx, s->architectures, err);
	if (r < 0)
		return r;
	r = apply_flags(st->ctx, s->flags, &p->flags, err);
	if (r < 0)
		return r;
	if (s->n_syscalls > SPEC_MAX_ARRAY)
		return err_set(err, E2BIG, "linux.seccomp.syscalls: %zu entries, over %u",
			       s->n_syscalls, SPEC_MAX_ARRAY);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		r = add_syscall_entry(st, &s->syscalls[i], i, err);
		if (r < 0)
			return r;
	}
	return export_bpf(st->ctx, p, err);
}

static const char *refusal_name(uint32_t action)
{
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS: return "SCMP_ACT_KILL_PROCESS";
	case SECCOMP_RET_KILL_THREAD: return "SCMP_ACT_KILL";
	case SECCOMP_RET_TRAP: return "SCMP_ACT_TRAP";
	case SECCOMP_RET_ERRNO: return "SCMP_ACT_ERRNO";
	default: return NULL; /* allow, log, trace, notify: not a refusal we can be sure of */
	}
}

/*
 * A profile that refuses execve or exit_group cannot run anything: the container's init
 * loads the filter, its exec then fails, and without exit_group it cannot even end (it
 * traps instead, see exit_after_exec_failure()). Refused here, with a reason. Asked of the
 * compiled program for the native architecture and zero arguments; only a definite refusal
 * counts (trace and notify depend on a tracer or a listener).
 */
static int check_can_start(const struct seccomp_program *p, struct hutch_err *err)
{
	static const struct {
		int nr;
		const char *name;
	} needed[] = { { SYS_execve, "execve" }, { SYS_exit_group, "exit_group" } };
	for (size_t i = 0; i < ARRAY_SIZE(needed); i++) {
		uint32_t v;
		if (seccomp_bpf_eval(p->insns, p->n_insns, seccomp_arch_native(), needed[i].nr,
				     NULL, &v) < 0)
			return 0; /* a program we cannot run: the kernel judges it at load */
		const char *refusal = refusal_name(v & SECCOMP_RET_ACTION_FULL);
		if (refusal)
			return err_set(err, EPERM,
				       "linux.seccomp: the profile refuses %s (%s): no process "
				       "could start or end under it",
				       needed[i].name, refusal);
	}
	return 0;
}

int seccomp_compile(const struct spec_seccomp *s, struct seccomp_program **ret,
		    struct hutch_err *err)
{
	if (!s)
		return err_set(err, EINVAL, "linux.seccomp: missing");
	_cleanup_free_ struct seccomp_program *p = calloc(1, sizeof(*p));
	if (!p)
		return err_set_errno(err, ENOMEM, "linux.seccomp");
	p->listener_fd = -1;
	struct compile_state st = {0};
	int r = compile_into(s, &st, p, err);
	ctx_releasep(&st.ctx);
	if (r >= 0)
		r = check_can_start(p, err);
	if (r < 0) {
		free(p->insns);
		return r;
	}
	if (st.uses_notify) {
		p->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		/* With TSYNC, seccomp(2) returns a thread id on failure, which would be taken for
		 * the listener fd: TSYNC_ESRCH makes it fail with ESRCH instead. */
		if (p->flags & SECCOMP_FILTER_FLAG_TSYNC)
			p->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	} else {
		p->flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	}
	*ret = TAKE_PTR(p);
	return 0;
}

/*
 * Runs in the container child: one syscall, no allocation. The kernel requires no_new_privs
 * or CAP_SYS_ADMIN in the caller's user namespace; the engine sets no_new_privs first when the
 * spec asks for it, otherwise the filter must be loaded before capabilities are dropped.
 */
int seccomp_program_load(const struct seccomp_program *p, struct hutch_err *err)
{
	struct sock_fprog prog = {.len = p->n_insns, .filter = p->insns};
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog);
	if (r < 0 && errno == EACCES)
		return err_set_errno(err, EACCES,
				     "load seccomp filter (needs no_new_privs or CAP_SYS_ADMIN)");
	if (r < 0)
		return err_set_errno(err, errno, "load seccomp filter");
	if (p->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		/* The program is logically const (the filter); the listener is its one result
		 * slot, and the object is always heap-allocated by seccomp_compile(). */
		((struct seccomp_program *)p)->listener_fd = (int)r;
		return 0;
	}
	if (r > 0) /* TSYNC: the id of a thread that could not be synchronised */
		return err_set(err, ESRCH,
			       "load seccomp filter: thread %ld could not be synchronized", r);
	return 0;
}

int seccomp_program_listener_fd(const struct seccomp_program *p)
{
	return p->listener_fd;
}

int seccomp_program_take_listener_fd(struct seccomp_program *p)
{
	return TAKE_FD(p->listener_fd);
}

size_t seccomp_program_size(const struct seccomp_program *p)
{
	return p->n_insns;
}

void seccomp_program_free(struct seccomp_program *p)
{
	if (!p)
		return;
	safe_close(p->listener_fd);
	free(p->insns);
	free(p);
}

int seccomp_program_from_bpf(const struct sock_filter *insns, size_t n, unsigned int flags,
			     struct seccomp_program **ret)
{
	if (n == 0 || n > BPF_MAXINSNS)
		return -EINVAL;
	struct seccomp_program *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->insns = malloc(n * sizeof(*insns));
	if (!p->insns) {
		free(p);
		return -ENOMEM;
	}
	memcpy(p->insns, insns, n * sizeof(*insns));
	p->n_insns = (unsigned short)n;
	p->flags = flags;
	p->listener_fd = -1;
	*ret = p;
	return 0;
}

const struct sock_filter *seccomp_program_bpf(const struct seccomp_program *p, size_t *ret_n,
					      unsigned int *ret_flags)
{
	*ret_n = p->n_insns;
	*ret_flags = p->flags;
	return p->insns;
}
