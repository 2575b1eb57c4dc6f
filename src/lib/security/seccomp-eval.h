/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Runs a classic-BPF seccomp program on one seccomp_data (arch, syscall nr, arguments; the
 * instruction pointer is 0) the way the kernel would, and returns its SECCOMP_RET_* value in
 * *ret. -EINVAL for a program the kernel would refuse (an unknown opcode, a jump or a load
 * out of bounds, no return). Used to ask what a compiled profile does to a syscall before a
 * container depends on it.
 */
int seccomp_bpf_eval(const struct sock_filter *insns, size_t n, uint32_t arch, int nr,
		     const uint64_t args[6], uint32_t *ret);
