/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/*
 * fnmatch(pattern, s, 0) == 0, with a fast path for patterns whose only special character is
 * '*' (the environment filter's globs: "LC_*", "*_TOKEN_*"...). musl's fnmatch was the top
 * user-space symbol of `hutch exec`, which filters every host variable through ~35 globs.
 * Patterns with '?', '[' or '\\' go to fnmatch.
 */
bool glob_match(const char *pattern, const char *s);
