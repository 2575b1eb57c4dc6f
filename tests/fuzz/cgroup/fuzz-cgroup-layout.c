/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the parsers of /proc/self/mountinfo and /proc/self/cgroup. Input: the mountinfo
 * text, then optionally a NUL byte and the /proc/self/cgroup text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	char *buf = malloc(size + 2);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	const char *self = buf + strlen(buf) + 1;
	if (self > buf + size)
		self = "";
	struct cgroup_layout *lay = NULL;
	struct hutch_err err = {0};
	if (cg_layout_parse("/sys/fs/cgroup", buf, self, &lay, &err) == 0) {
		static const char *const ctrls[] = {"", "cpu", "memory", "name=systemd", "pids"};
		for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
			int idx = cg_layout_find(lay, ctrls[i]);
			if (idx >= (int)lay->n || !lay->h[idx < 0 ? 0 : idx].own)
				abort();
		}
		if (lay->n == 0 || lay->n > CG_MAX_HIER)
			abort();
		cg_layout_free(lay);
	} else if (!err.msg[0]) {
		abort(); /* every failure explains itself */
	}
	free(buf);
	return 0;
}
