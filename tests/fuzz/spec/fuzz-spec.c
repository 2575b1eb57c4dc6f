/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the config.json decoder: parse, validate, free. Nothing may crash or leak. */
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hutch_err err = {0};
	struct spec *s = NULL;

	if (spec_parse((const char *)data, size, &s, &err) < 0) {
		/* A failure must say why and leave nothing behind. */
		if (s || err.code <= 0 || !err.msg[0])
			abort();
		return 0;
	}
	if (spec_validate(s, &err) < 0)
		abort(); /* spec_parse already validated: the two must agree */
	(void)spec_find_namespace(s, CLONE_NEWUSER);
	spec_free(s);
	return 0;
}
