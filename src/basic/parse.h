/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing of numbers the user writes. */
#pragma once

#include <stdint.h>

/* "512m", "1G", "64k", "1024", "2gb" → bytes (binary units). -EINVAL if malformed, negative
 * or past INT64_MAX. */
int parse_size(const char *s, int64_t *ret);
