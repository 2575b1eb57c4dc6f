/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: seccomp_bpf_eval() (src/lib/security/seccomp-eval.c) on arbitrary programs.
 * Input: syscall nr (4 bytes), arch (4), six arguments (48), then 8-byte sock_filter
 * instructions. It must return, never read outside the program or seccomp_data, and give a
 * value only for a program that reached a return.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "security/seccomp-eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum { HEAD = 4 + 4 + 48 };
	if (size < HEAD || size > HEAD + 4096 * sizeof(struct sock_filter))
		return 0;
	int32_t nr;
	uint32_t arch;
	uint64_t args[6];
	memcpy(&nr, data, 4);
	memcpy(&arch, data + 4, 4);
	memcpy(args, data + 8, sizeof(args));
	size_t n = (size - HEAD) / sizeof(struct sock_filter);
	/* An exact-size copy, so that the sanitizers see any read past the program. */
	struct sock_filter *prog = malloc(n ? n * sizeof(*prog) : 1);
	if (!prog)
		return 0;
	memcpy(prog, data + HEAD, n * sizeof(*prog));
	uint32_t v = 0xdeadbeef;
	int r = seccomp_bpf_eval(prog, n, arch, nr, args, &v);
	if (r != 0 && (r != -EINVAL || v != 0xdeadbeef))
		abort();
	free(prog);
	return 0;
}
