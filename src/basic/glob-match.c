/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fnmatch.h>
#include <stddef.h>

#include "glob-match.h"

/*
 * '*' matches any run of characters ('/' and a leading '.' included, as fnmatch without
 * flags). Greedy with one backtrack point: a later '*' supersedes the earlier one, so the
 * work is O(len(pattern) * len(s)) at worst, never exponential.
 */
static bool star_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = ++p;
			resume = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* A plain loop: musl's strpbrk builds a byte table on every call, which cost more than
 * the matching itself. */
static bool only_stars(const char *p)
{
	for (; *p; p++)
		if (*p == '?' || *p == '[' || *p == '\\')
			return false;
	return true;
}

bool glob_match(const char *pattern, const char *s)
{
	if (!only_stars(pattern))
		return fnmatch(pattern, s, 0) == 0;
	return star_match(pattern, s);
}
