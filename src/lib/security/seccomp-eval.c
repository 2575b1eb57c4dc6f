/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A user-space interpreter for the subset of classic BPF that seccomp accepts
 * (kernel/seccomp.c: seccomp_check_filter): 32-bit absolute loads from seccomp_data, the ALU,
 * jumps, scratch memory, returns. Jumps only go forward, so a program of n instructions runs
 * at most n steps.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/seccomp.h>
#include <string.h>

#include "security/seccomp-eval.h"

#define SCRATCH_WORDS 16 /* BPF_MEMWORDS */

struct vm {
	uint32_t a, x, mem[SCRATCH_WORDS];
	const uint8_t *data;
};

static int load_abs(const struct vm *vm, uint32_t off, uint32_t *ret)
{
	if (off % 4 || off > sizeof(struct seccomp_data) - 4)
		return -EINVAL;
	memcpy(ret, vm->data + off, 4);
	return 0;
}

static int alu(struct vm *vm, uint16_t code, uint32_t k)
{
	uint32_t v = BPF_SRC(code) == BPF_X ? vm->x : k;
	switch (BPF_OP(code)) {
	case BPF_ADD: vm->a += v; break;
	case BPF_SUB: vm->a -= v; break;
	case BPF_MUL: vm->a *= v; break;
	case BPF_DIV: if (!v) return -EINVAL; vm->a /= v; break;
	case BPF_MOD: if (!v) return -EINVAL; vm->a %= v; break;
	case BPF_AND: vm->a &= v; break;
	case BPF_OR: vm->a |= v; break;
	case BPF_XOR: vm->a ^= v; break;
	case BPF_LSH: vm->a = v < 32 ? vm->a << v : 0; break;
	case BPF_RSH: vm->a = v < 32 ? vm->a >> v : 0; break;
	case BPF_NEG: vm->a = -vm->a; break;
	default: return -EINVAL;
	}
	return 0;
}

/* The next pc after a jump at pc, or -EINVAL. */
static long jump(const struct vm *vm, const struct sock_filter *f, size_t pc)
{
	uint32_t v = BPF_SRC(f->code) == BPF_X ? vm->x : f->k;
	bool taken;
	switch (BPF_OP(f->code)) {
	case BPF_JA: return (long)(pc + 1 + f->k);
	case BPF_JEQ: taken = vm->a == v; break;
	case BPF_JGT: taken = vm->a > v; break;
	case BPF_JGE: taken = vm->a >= v; break;
	case BPF_JSET: taken = (vm->a & v) != 0; break;
	default: return -EINVAL;
	}
	return (long)(pc + 1 + (taken ? f->jt : f->jf));
}

/* One non-jump, non-return instruction. */
static int step(struct vm *vm, const struct sock_filter *f)
{
	switch (f->code) {
	case BPF_LD | BPF_W | BPF_ABS: return load_abs(vm, f->k, &vm->a);
	case BPF_LD | BPF_W | BPF_LEN: vm->a = sizeof(struct seccomp_data); return 0;
	case BPF_LDX | BPF_W | BPF_LEN: vm->x = sizeof(struct seccomp_data); return 0;
	case BPF_LD | BPF_IMM: vm->a = f->k; return 0;
	case BPF_LDX | BPF_IMM: vm->x = f->k; return 0;
	case BPF_MISC | BPF_TAX: vm->x = vm->a; return 0;
	case BPF_MISC | BPF_TXA: vm->a = vm->x; return 0;
	}
	if (f->code == (BPF_LD | BPF_MEM) || f->code == (BPF_LDX | BPF_MEM) ||
	    f->code == BPF_ST || f->code == BPF_STX) {
		if (f->k >= SCRATCH_WORDS)
			return -EINVAL;
		if (f->code == (BPF_LD | BPF_MEM))
			vm->a = vm->mem[f->k];
		else if (f->code == (BPF_LDX | BPF_MEM))
			vm->x = vm->mem[f->k];
		else
			vm->mem[f->k] = f->code == BPF_ST ? vm->a : vm->x;
		return 0;
	}
	if (BPF_CLASS(f->code) == BPF_ALU)
		return alu(vm, f->code, f->k);
	return -EINVAL;
}

int seccomp_bpf_eval(const struct sock_filter *insns, size_t n, uint32_t arch, int nr,
		     const uint64_t args[6], uint32_t *ret)
{
	struct seccomp_data d = { .nr = nr, .arch = arch };
	for (int i = 0; i < 6; i++)
		d.args[i] = args ? args[i] : 0;
	struct vm vm = { .data = (const uint8_t *)&d };
	for (size_t pc = 0; pc < n;) {
		const struct sock_filter *f = &insns[pc];
		if (BPF_CLASS(f->code) == BPF_RET) {
			if (f->code == (BPF_RET | BPF_K))
				*ret = f->k;
			else if (f->code == (BPF_RET | BPF_A))
				*ret = vm.a;
			else
				return -EINVAL;
			return 0;
		}
		if (BPF_CLASS(f->code) == BPF_JMP) {
			long next = jump(&vm, f, pc);
			if (next < 0)
				return (int)next;
			pc = (size_t)next;
			continue;
		}
		int r = step(&vm, f);
		if (r < 0)
			return r;
		pc++;
	}
	return -EINVAL; /* ran off the end: the kernel refuses a program that can */
}
