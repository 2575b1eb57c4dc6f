/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup v2 device access control: v2 has no devices.allow; the kernel instead runs a
 * BPF_PROG_TYPE_CGROUP_DEVICE program on every device open/mknod. We generate that program
 * from the spec's rule list, with the v1 list's meaning:
 *   - default deny;
 *   - the LAST rule that matches decides (so the program tests the rules in reverse order);
 *   - an allow rule matches when it covers every requested access bit, a deny rule when it
 *     covers any of them (as v1's exception list behaves).
 *
 * Context (struct bpf_cgroup_dev_ctx): u32 access_type = (access << 16) | dev type, u32 major,
 * u32 minor. Registers: r2 = type, r3 = access, r4 = major, r5 = minor, r0 = scratch/result.
 */
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "err.h"

#define MAX_ATTACHED 64

struct prog {
	struct bpf_insn *v;
	size_t n;
};

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){
	    .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static int emit(struct prog *p, struct bpf_insn i)
{
	if (p->n == CG_BPF_MAX_INSNS)
		return -E2BIG;
	p->v[p->n++] = i;
	return 0;
}

static int access_bits(const char *acc)
{
	int bits = 0;
	for (const char *s = *acc ? acc : "rwm"; *s; s++) {
		if (*s == 'r')
			bits |= BPF_DEVCG_ACC_READ;
		else if (*s == 'w')
			bits |= BPF_DEVCG_ACC_WRITE;
		else if (*s == 'm')
			bits |= BPF_DEVCG_ACC_MKNOD;
		else
			return -EINVAL;
	}
	return bits;
}

/* A conditional jump to "next rule"; its offset is patched when the block is complete. */
static int emit_test(struct prog *p, size_t *jumps, size_t *nj, uint8_t op, uint8_t reg,
		     int32_t imm)
{
	jumps[(*nj)++] = p->n;
	return emit(p, insn(BPF_JMP32 | op | BPF_K, reg, 0, 0, imm));
}

/* One rule: a run of "if mismatch goto next" tests, then "return allow". Sets *always
 * when the block has no test (matches everything): nothing after it can run. */
static int emit_rule(struct prog *p, const struct spec_device_rule *d, bool *always)
{
	size_t jumps[4], nj = 0;
	int bits = access_bits(d->access), r = 0;
	if (bits < 0 || (d->type != 'a' && d->type != 'c' && d->type != 'b'))
		return -EINVAL;
	if (d->type != 'a')
		r = emit_test(p, jumps, &nj, BPF_JNE, 2,
			      d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
	bool all = bits == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
	if (r >= 0 && !(d->allow && all)) {
		/* allow: (req & ~rule) != 0 → next;  deny: (req & rule) == 0 → next */
		r = emit(p, insn(BPF_ALU | BPF_MOV | BPF_X, 0, 3, 0, 0));
		if (r >= 0)
			r = emit(p, insn(BPF_ALU | BPF_AND | BPF_K, 0, 0, 0,
					 d->allow ? (~bits & 7) : bits));
		if (r >= 0)
			r = emit_test(p, jumps, &nj, d->allow ? BPF_JNE : BPF_JEQ, 0, 0);
	}
	if (r >= 0 && d->type != 'a' && d->major >= 0)
		r = emit_test(p, jumps, &nj, BPF_JNE, 4, (int32_t)(uint32_t)d->major);
	if (r >= 0 && d->type != 'a' && d->minor >= 0)
		r = emit_test(p, jumps, &nj, BPF_JNE, 5, (int32_t)(uint32_t)d->minor);
	if (r >= 0)
		r = emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, d->allow ? 1 : 0));
	if (r >= 0)
		r = emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	if (r < 0)
		return r;
	for (size_t i = 0; i < nj; i++) /* "next" is the instruction after this block */
		p->v[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
	*always = nj == 0;
	return 0;
}

int cg_bpf_devices_build(const struct spec_device_rule *rules, size_t n, struct bpf_insn **ret,
			 size_t *ret_n, struct hutch_err *err)
{
	struct prog p = {.v = calloc(CG_BPF_MAX_INSNS, sizeof(struct bpf_insn))};
	if (!p.v)
		return err_set(err, ENOMEM, "device filter");
	static const struct bpf_insn prologue[] = {
	    {BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0},	  /* r2 = ctx->access_type */
	    {BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff}, /* r2 &= 0xffff: type */
	    {BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0},	  /* r3 = ctx->access_type */
	    {BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16},	  /* r3 >>= 16: access */
	    {BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0},	  /* r4 = ctx->major */
	    {BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0},	  /* r5 = ctx->minor */
	};
	memcpy(p.v, prologue, sizeof(prologue));
	p.n = ARRAY_SIZE(prologue);
	bool always = false;
	for (size_t i = n; i-- > 0 && !always;) {
		const struct spec_device_rule *d = &rules[i];
		if ((d->major >= 0 && d->major > UINT32_MAX) ||
		    (d->minor >= 0 && d->minor > UINT32_MAX)) {
			free(p.v);
			return err_set(err, EINVAL, "device rule %zu: number out of range", i);
		}
		int r = emit_rule(&p, d, &always);
		if (r < 0) {
			free(p.v);
			return err_set_errno(err, -r, "device rule %zu (type '%c', access '%.3s')",
					     i, d->type, d->access);
		}
	}
	/* Nothing matched: deny. (Unreachable code is rejected by the verifier, so only
	 * when some path can get here.) */
	if (!always && (emit(&p, insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0)) < 0 ||
			emit(&p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)) < 0)) {
		free(p.v);
		return err_set(err, E2BIG, "device filter: too many rules");
	}
	*ret = p.v;
	*ret_n = p.n;
	return 0;
}

static int bpf(int cmd, union bpf_attr *attr)
{
	long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
	return r < 0 ? negative_errno() : (int)r;
}

static int prog_load(const struct bpf_insn *v, size_t n, struct hutch_err *err)
{
	char log[4096] = "";
	union bpf_attr a = {0};
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)v;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t) "GPL";
	int fd = bpf(BPF_PROG_LOAD, &a);
	if (fd == -EACCES || fd == -EINVAL) { /* again, with the verifier's log for the message */
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = sizeof(log);
		a.log_level = 1;
		fd = bpf(BPF_PROG_LOAD, &a);
	}
	if (fd < 0) {
		size_t l = strlen(log);
		while (l && log[l - 1] == '\n')
			log[--l] = '\0';
		const char *tail = l > 120 ? log + l - 120 : log;
		return err_set_errno(err, -fd, "load device filter%s%s", *tail ? ": " : "", tail);
	}
	/* Make sure the fd is not inherited by the container. */
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int cg_bpf_devices_attach(int dirfd, const struct spec_device_rule *rules, size_t n,
			  struct hutch_err *err)
{
	_cleanup_free_ struct bpf_insn *v = NULL;
	size_t nv = 0;
	int r = cg_bpf_devices_build(rules, n, &v, &nv, err);
	if (r < 0)
		return r;
	/* Programs attached before (an earlier apply): replaced by the new one below. */
	uint32_t old[MAX_ATTACHED];
	union bpf_attr q = {0};
	q.query.target_fd = (uint32_t)dirfd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)old;
	q.query.prog_cnt = MAX_ATTACHED;
	uint32_t n_old = bpf(BPF_PROG_QUERY, &q) < 0 ? 0 : MIN(q.query.prog_cnt, MAX_ATTACHED);
	_cleanup_close_ int prog = prog_load(v, nv, err);
	if (prog < 0)
		return prog;
	union bpf_attr a = {0};
	a.target_fd = (uint32_t)dirfd;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	r = bpf(BPF_PROG_ATTACH, &a);
	if (r < 0)
		return err_set_errno(err, -r, "attach device filter");
	for (uint32_t i = 0; i < n_old; i++) {
		union bpf_attr g = {0};
		g.prog_id = old[i];
		_cleanup_close_ int ofd = bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (ofd < 0)
			continue;
		union bpf_attr d = {0};
		d.target_fd = (uint32_t)dirfd;
		d.attach_bpf_fd = (uint32_t)ofd;
		d.attach_type = BPF_CGROUP_DEVICE;
		(void)bpf(BPF_PROG_DETACH, &d);
	}
	return 0;
}
