/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: glob_match() (src/basic/glob-match.c) against fnmatch(3), which it stands in
 * for in the environment filter. Input: a pattern, a NUL, a name. Any disagreement aborts.
 */
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "glob-match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Names and globs of the environment are short; longer inputs only slow the search. */
	if (size > 512)
		return 0;
	char buf[514];
	memcpy(buf, data, size);
	buf[size] = '\0';
	buf[size + 1] = '\0';
	const char *pattern = buf;
	const char *name = buf + strlen(buf) + 1;
	if (glob_match(pattern, name) != (fnmatch(pattern, name, 0) == 0))
		abort();
	return 0;
}
