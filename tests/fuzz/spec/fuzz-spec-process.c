/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the process.json decoder of `exec --process`. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hutch_err err = {0};
	struct spec_process p;

	if (spec_process_parse((const char *)data, size, &p, &err) < 0) {
		/* On failure the output is empty again and the error says why. */
		if (p.args || p.cwd || p.env || p.rlimits || err.code <= 0 || !err.msg[0])
			abort();
		return 0;
	}
	if (!p.args || !p.args[0] || !p.cwd || p.cwd[0] != '/')
		abort();
	spec_process_release(&p);
	return 0;
}
