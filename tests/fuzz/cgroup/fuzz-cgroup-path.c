/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the cgroupsPath rules: whatever the config says, an accepted path is absolute,
 * normalized (no "." or ".." components, no empty ones) and bounded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *in = strndup((const char *)data, size);
	if (!in)
		return 0;
	/* The part after a NUL-free '\n' is used as the container id. */
	char *id = strchr(in, '\n');
	if (id)
		*id++ = '\0';
	char *out = NULL;
	bool rel;
	struct hutch_err err = {0};
	if (cg_resolve_path(in, id, &out, &rel, &err) == 0) {
		if (!path_is_normalized_absolute(out) || strstr(out, "//") || strlen(out) < 2 ||
		    out[strlen(out) - 1] == '/' || strlen(out) >= CG_MAX_PATH)
			abort();
		free(out);
	} else if (!err.msg[0]) {
		abort();
	}
	free(in);
	return 0;
}
