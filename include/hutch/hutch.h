/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch.h — the public C API of libhutch.
 *
 * Invariants:
 *  - every exported symbol starts with hutch_;
 *  - fallible functions return int: >= 0 on success, -errno on failure, and fill the
 *    caller's struct hutch_err (if non-NULL) with a message naming what failed;
 *  - the library never prints and never exits.
 */
#ifndef HUTCH_H
#define HUTCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HUTCH_ERR_MSG_MAX 512

/* A fixed-size error: cheap to fill in a cloned child and to send over a socket. */
struct hutch_err {
	int code;                    /* positive errno value, 0 when unset */
	char msg[HUTCH_ERR_MSG_MAX]; /* lowercase, no trailing period */
};

/* The library's version string, e.g. "0.1.0". */
const char *hutch_version(void);

/* Human-readable message for an error; never NULL. */
const char *hutch_err_message(const struct hutch_err *err);

#ifdef __cplusplus
}
#endif
#endif
