/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OCI hooks: each runs with the container state JSON on stdin, a timeout, and its own env. */
#pragma once

#include "hutch/hutch.h"
#include "spec/spec.h"

/*
 * Runs the hooks of one kind in order; the first failure stops the rest. mntns_fd >= 0 runs
 * them inside that mount namespace (createContainer), with the binary opened beforehand in
 * ours, as the spec wants ("path resolves in the runtime namespace").
 */
int hooks_run(const struct spec *s, enum spec_hook_kind kind, const char *state_json,
	      int mntns_fd, struct hutch_err *err);
const char *hook_kind_name(enum spec_hook_kind kind);
