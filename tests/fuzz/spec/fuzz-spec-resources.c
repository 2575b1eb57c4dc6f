/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the LinuxResources decoder of `update --resources`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hutch_err err = {0};
	struct spec_resources r;

	if (spec_resources_parse((const char *)data, size, &r, &err) < 0) {
		if (r.devices || r.unified || r.hugepage_limits || err.code <= 0 || !err.msg[0])
			abort();
		return 0;
	}
	/* Invariants the cgroup code relies on. */
	for (size_t i = 0; i < r.n_devices; i++)
		if (!memchr(r.devices[i].access, '\0', sizeof(r.devices[i].access)))
			abort();
	spec_resources_release(&r);
	return 0;
}
