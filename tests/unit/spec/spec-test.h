/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the spec unit tests (spec-test.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "lib/spec/spec.h"
#include "strv.h"

/* A config with a valid process whose object also holds x. */
#define PROC_WITH(x)                                                                               \
	"{'ociVersion':'1.0.0','process':{'user':{'uid':0,'gid':0},'args':['a'],'cwd':'/'," x "}}"
/* A config whose process.user object holds x. */
#define PROC_USER(x) "{'ociVersion':'1.0.0','process':{'user':{" x "},'args':['a'],'cwd':'/'}}"

/* Parses q with every ' turned into " (keeps the JSON in tests readable). */
int parse_q(const char *q, struct spec **ret, struct hutch_err *err);
/* Parses q (quotes as above); msg NULL: must succeed, else must fail with exactly msg. */
void expect_error(const char *q, const char *msg);
/* The same for JSON given as is. */
void expect_raw_error(const char *json, const char *msg);
/* Configs of a given size: n env entries, a hostname of len bytes, n annotations. */
char *make_env_config(size_t n);
char *make_hostname_config(size_t len);
char *make_annotations_config(size_t n);
/* A config with an ignored key holding an array of n copies of item. */
char *make_filler_config(const char *item, size_t n);
/* Checks the linux section of tests/unit/spec/bundle-full/config.json. */
void check_full_linux(const struct spec *s);
/* Replaces every ' with "; heap copy. */
char *dq(const char *q);
