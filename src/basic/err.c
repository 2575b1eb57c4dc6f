/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "err.h"

/* The code of the last error set in this thread, so err_prefix(NULL, ...) can return it. */
static _Thread_local int last_code = EIO;

__attribute__((format(printf, 4, 0))) static int vset(struct hutch_err *err, int code, bool with_errno,
						     const char *fmt, va_list ap)
{
	if (code <= 0)
		code = EIO;
	last_code = code;
	if (!err)
		return -code;
	err->code = code;
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(code));
	return -code;
}

int err_set(struct hutch_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vset(err, code, false, fmt, ap);
	va_end(ap);
	return r;
}

int err_set_errno(struct hutch_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vset(err, code, true, fmt, ap);
	va_end(ap);
	return r;
}

int err_prefix(struct hutch_err *err, const char *fmt, ...)
{
	if (!err)
		return -last_code; /* no message to extend: keep the code that was set */
	char prefix[HUTCH_ERR_MSG_MAX], old[HUTCH_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	if (err->code <= 0)
		err->code = EIO;
	return -err->code;
}

void err_clear(struct hutch_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
