/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "parse.h"

int parse_size(const char *str, int64_t *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(str, &end, 10);
	if (end == str || errno || v < 0)
		return -EINVAL;
	int64_t mult = 1;
	switch (*end) {
	case 'k': case 'K': mult = 1LL << 10; end++; break;
	case 'm': case 'M': mult = 1LL << 20; end++; break;
	case 'g': case 'G': mult = 1LL << 30; end++; break;
	case 't': case 'T': mult = 1LL << 40; end++; break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v > INT64_MAX / mult)
		return -EINVAL;
	*ret = v * mult;
	return 0;
}
