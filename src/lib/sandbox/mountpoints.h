/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mount points a sandbox makes in the host's workspace. A --mount or --tmpfs under /work
 * needs its destination to exist, and /work is the host's own directory, so the engine
 * creates what is missing there. They are listed before the sandbox starts (only what does
 * not exist yet) and removed once it is gone, if still empty: the workspace ends as it was.
 */
#pragma once

#include "spec/spec.h"

/*
 * The workspace's host path (*ret_ws) and the paths, relative to it, that the spec's mounts
 * under /work would create, deepest first. Both NULL when there are none.
 */
int sandbox_mountpoints_plan(const struct spec *s, char **ret_ws, char ***ret_paths);

/*
 * Removes each path (relative to ws) that is an empty directory or an empty regular file,
 * deepest first. Walks from ws without following symlinks: the sandbox could have put one
 * where a directory was.
 */
void sandbox_mountpoints_remove(const char *ws, char *const *paths);
