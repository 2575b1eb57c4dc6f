/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting a sandbox's pathfs servers (see pathfs-launch.c). */
#pragma once

#include "err.h"
#include "spec/spec.h"

/*
 * Starts one pathfs server per server in the spec's rules plan and points the anchors'
 * mounts at their staging mounts. *ret_staging (NULL-terminated, maybe NULL) must be
 * passed to sandbox_pathfs_detach() once the container is created, or on failure.
 */
int sandbox_pathfs_start(struct spec *spec, char ***ret_staging, struct hutch_err *err);
void sandbox_pathfs_detach(char **staging);
