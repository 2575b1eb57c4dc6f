/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Error reporting: a fallible function returns -errno and, where the user must learn what
 * failed, fills a struct hutch_err. Context is added on the way up with err_prefix():
 *   "container 'x': mount '/a' on '/b': Permission denied"
 */
#pragma once

#include "hutch/hutch.h"
#include "macro.h"

/* Fills err (if non-NULL) with a formatted message; returns -code. code is a positive errno. */
int err_set(struct hutch_err *err, int code, const char *fmt, ...) _printf_(3, 4);

/* Like err_set, and appends ": <strerror(code)>". */
int err_set_errno(struct hutch_err *err, int code, const char *fmt, ...) _printf_(3, 4);

/* Prepends "<prefix>: " to an existing message; returns -err->code. With err NULL, returns
 * the code of the last err_set*() in this thread, so callers without a message keep the
 * errno. */
int err_prefix(struct hutch_err *err, const char *fmt, ...) _printf_(2, 3);

/* Resets an error to empty. */
void err_clear(struct hutch_err *err);
