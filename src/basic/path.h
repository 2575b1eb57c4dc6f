/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Path helpers. Paths under a container rootfs are resolved with openat2(RESOLVE_IN_ROOT). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* mkdir -p; existing directories are fine. Returns 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);
/* Joins a and b with exactly one '/'; heap result or NULL. */
char *path_join(const char *a, const char *b);
/* True if p is absolute and has no "." or ".." component. */
bool path_is_normalized_absolute(const char *p);
/* True if the absolute path is dir or lies beneath it, by the text ("/a/bc" is not under
 * "/a/b"); every absolute path is under "/". */
bool path_is_under(const char *path, const char *dir);
/*
 * Opens `path` as if `rootfd` were "/" (symlinks and ".." cannot leave it).
 * Uses openat2(RESOLVE_IN_ROOT); on kernels without openat2 returns -ENOSYS so the caller
 * can choose a checked fallback. flags are open(2) flags; O_CLOEXEC is always added.
 */
int open_in_root(int rootfd, const char *path, int flags, mode_t mode);
/* Like mkdir -p, but every component is resolved inside rootfd. Returns an O_PATH fd of the last. */
int mkdir_p_in_root(int rootfd, const char *path, mode_t mode);

/*
 * hutch's runtime state directory for sub ("oci", "sandboxes", "cache"): /run/hutch/<sub> as
 * root, $XDG_RUNTIME_DIR/hutch/<sub> otherwise, else /tmp/hutch-<uid>/<sub>. Heap string.
 */
char *runtime_dir(const char *sub);
#define RUNTIME_DIR_ROOT "/run/hutch"
/*
 * As root: makes sure RUNTIME_DIR_ROOT is on a memory file system, mounting a tmpfs there
 * when /run is a disk file system and the directory is empty (see runtime-dir.c). 1 if it
 * mounted one, 0 if nothing was needed (or possible without hiding state), or -errno.
 */
int runtime_dir_prepare(void);
/* p made absolute against the current directory (p itself if already absolute). Heap. */
char *path_absolute(const char *p);
