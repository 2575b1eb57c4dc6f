/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole-file and whole-buffer I/O with hard size caps; all fds are O_CLOEXEC. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Writes all of buf, retrying on EINTR and short writes. Returns 0 or -errno. */
int write_full(int fd, const void *buf, size_t len);
/* Reads until EOF or len bytes; returns bytes read or -errno. */
ssize_t read_full(int fd, void *buf, size_t len);
/* Reads a whole fd into a NUL-terminated heap buffer; -EFBIG if larger than max. */
int read_fd_max(int fd, size_t max, char **ret, size_t *ret_len);
/* Reads a whole file (relative to dirfd, or AT_FDCWD) with the same cap. */
int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);
/* Writes a string to an existing file (for cgroup and /proc knobs): open, write, close. */
int write_string_at(int dirfd, const char *path, const char *s);
/* Atomically replaces path with contents: temp file in the same directory, fsync-less rename. */
int write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode);
/*
 * Opens /dev/null on each of fds 0, 1 and 2 that is closed. A program started with one of
 * them closed would otherwise get its next open file (a socket to an agent, say) as its
 * "stdin", and hand it on as such to whatever it runs. Returns 0 or -errno.
 */
int stdio_reserve(void);
