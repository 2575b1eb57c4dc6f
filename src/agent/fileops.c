/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File operations, done by the agent with its own credentials, so that a client needs no
 * shell (and no path quoting) to touch files in the sandbox. Paths are taken as given;
 * relative ones are relative to the agent's working directory ("/"). Recursive removal walks
 * by fd and never follows symlinks. Every reply fits in one message: READ_FILE and READDIR
 * say when they had to truncate; larger files go through OPEN, which returns an fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "fileio.h"
#include "macro.h"

#define REMOVE_MAX_DEPTH 256
#define READ_MAX (PROTO_MAX_PAYLOAD - 4096)
#define READDIR_MAX_ENTRIES 8192

static char *want_path(struct conn *c, uint32_t req, const struct proto_fields *f, uint16_t tag)
{
	char *p = NULL;
	if (proto_get_str(f, tag, &p) < 0 || !p[0]) {
		free(p);
		reply_error(c, req, EINVAL, "path missing or empty");
		return NULL;
	}
	return p;
}

static void fail(struct conn *c, uint32_t req, int err, const char *op, const char *path)
{
	reply_error(c, req, err, "%s '%s': %s", op, path, strerror(err));
}

static int open_flags(uint32_t pf)
{
	int fl = O_CLOEXEC | O_NOCTTY;
	switch (pf & 3) {
	case PROTO_O_WRONLY:
		fl |= O_WRONLY;
		break;
	case PROTO_O_RDWR:
		fl |= O_RDWR;
		break;
	default:
		fl |= O_RDONLY;
	}
	fl |= pf & PROTO_O_CREAT ? O_CREAT : 0;
	fl |= pf & PROTO_O_EXCL ? O_EXCL : 0;
	fl |= pf & PROTO_O_TRUNC ? O_TRUNC : 0;
	fl |= pf & PROTO_O_APPEND ? O_APPEND : 0;
	fl |= pf & PROTO_O_DIRECTORY ? O_DIRECTORY : 0;
	fl |= pf & PROTO_O_NOFOLLOW ? O_NOFOLLOW : 0;
	return fl;
}

void h_open(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	    unsigned nfds)
{
	_cleanup_free_ char *path = want_path(c, h->id, f, T_PATH);
	if (!path)
		return;
	int q = 0;
	uint32_t pf = proto_u32_or(f, T_FLAGS, 0, &q);
	uint32_t mode = proto_u32_or(f, T_MODE, 0644, &q);
	if (q < 0 || (pf & ~(uint32_t)PROTO_O_ALL) || (pf & 3) == 3 || mode > 07777) {
		reply_error(c, h->id, EINVAL, "open '%s': bad flags or mode", path);
		return;
	}
	/* O_NONBLOCK: opening a FIFO must not block the agent; cleared again afterwards. */
	int fd = open(path, open_flags(pf) | O_NONBLOCK, (mode_t)mode);
	if (fd < 0) {
		fail(c, h->id, errno, "open", path);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, h->id);
	if (proto_enc_end(&e, 1) == 0)
		conn_send(c, &e, &fd, 1);
	else
		close(fd);
	proto_enc_release(&e);
}

static uint32_t ftype(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return PROTO_FT_REG;
	case S_IFDIR:
		return PROTO_FT_DIR;
	case S_IFLNK:
		return PROTO_FT_LNK;
	case S_IFCHR:
		return PROTO_FT_CHR;
	case S_IFBLK:
		return PROTO_FT_BLK;
	case S_IFIFO:
		return PROTO_FT_FIFO;
	case S_IFSOCK:
		return PROTO_FT_SOCK;
	default:
		return PROTO_FT_UNKNOWN;
	}
}

void h_stat(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	    unsigned nfds)
{
	_cleanup_free_ char *path = want_path(c, h->id, f, T_PATH);
	if (!path)
		return;
	int q = 0;
	bool nofollow = proto_u32_or(f, T_NOFOLLOW, 0, &q) != 0;
	struct stat st;
	if (fstatat(AT_FDCWD, path, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) < 0) {
		fail(c, h->id, errno, "stat", path);
		return;
	}
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, h->id);
	proto_put_u32(&e, T_FTYPE, ftype(st.st_mode));
	proto_put_u32(&e, T_MODE, st.st_mode & 07777);
	proto_put_u32(&e, T_UID, st.st_uid);
	proto_put_u32(&e, T_GID, st.st_gid);
	proto_put_u64(&e, T_SIZE, (uint64_t)st.st_size);
	proto_put_u64(&e, T_INO, (uint64_t)st.st_ino);
	proto_put_u64(&e, T_NLINK, (uint64_t)st.st_nlink);
	proto_put_i64(&e, T_MTIME_NS,
		      (int64_t)st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec);
	if (proto_enc_end(&e, 0) == 0)
		conn_send(c, &e, NULL, 0);
	proto_enc_release(&e);
}

static uint32_t dtype(unsigned char t)
{
	switch (t) {
	case DT_REG:
		return PROTO_FT_REG;
	case DT_DIR:
		return PROTO_FT_DIR;
	case DT_LNK:
		return PROTO_FT_LNK;
	case DT_CHR:
		return PROTO_FT_CHR;
	case DT_BLK:
		return PROTO_FT_BLK;
	case DT_FIFO:
		return PROTO_FT_FIFO;
	case DT_SOCK:
		return PROTO_FT_SOCK;
	default:
		return PROTO_FT_UNKNOWN;
	}
}

void h_readdir(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	       unsigned nfds)
{
	_cleanup_free_ char *path = want_path(c, h->id, f, T_PATH);
	if (!path)
		return;
	DIR *d = opendir(path);
	if (!d) {
		fail(c, h->id, errno, "readdir", path);
		return;
	}
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, h->id);
	struct dirent *de;
	unsigned n = 0;
	bool truncated = false;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* Stay well inside one message. */
		if (n >= READDIR_MAX_ENTRIES || e.len > READ_MAX) {
			truncated = true;
			break;
		}
		size_t m = proto_put_msg_begin(&e, T_ENTRY);
		proto_put_str(&e, T_NAME, de->d_name);
		proto_put_u32(&e, T_FTYPE, dtype(de->d_type));
		proto_put_msg_end(&e, m);
		n++;
	}
	closedir(d);
	proto_put_u32(&e, T_TRUNCATED, truncated);
	if (proto_enc_end(&e, 0) == 0)
		conn_send(c, &e, NULL, 0);
	else
		reply_error(c, h->id, E2BIG, "readdir '%s': reply too large", path);
	proto_enc_release(&e);
}

/* mkdir -p without following the caller's string blindly: component by component. */
static int mkdir_parents(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = saved;
		if (!saved)
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

void h_mkdir(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	     unsigned nfds)
{
	_cleanup_free_ char *path = want_path(c, h->id, f, T_PATH);
	if (!path)
		return;
	int q = 0;
	uint32_t mode = proto_u32_or(f, T_MODE, 0755, &q);
	bool parents = proto_u32_or(f, T_PARENTS, 0, &q) != 0;
	int r = q < 0 || mode > 07777 ? -EINVAL : 0;
	if (r == 0)
		r = parents ? mkdir_parents(path, mode) : (mkdir(path, mode) < 0 ? -errno : 0);
	if (r < 0)
		fail(c, h->id, -r, "mkdir", path);
	else
		reply_ok(c, h->id);
}

/* Removes name under parent; directories recursively, symlinks as links. */
static int remove_at(int parent, const char *name, unsigned depth)
{
	if (unlinkat(parent, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth >= REMOVE_MAX_DEPTH)
		return -ELOOP;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int q = remove_at(dirfd(d), de->d_name, depth + 1);
		if (q < 0 && r == 0)
			r = q;
	}
	closedir(d);
	if (r < 0)
		return r;
	return unlinkat(parent, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

void h_remove(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	      unsigned nfds)
{
	_cleanup_free_ char *path = want_path(c, h->id, f, T_PATH);
	if (!path)
		return;
	int q = 0;
	bool recursive = proto_u32_or(f, T_RECURSIVE, 0, &q) != 0;
	int r = 0;
	if (recursive)
		r = remove_at(AT_FDCWD, path, 0);
	else if (unlinkat(AT_FDCWD, path, 0) < 0) {
		r = -errno;
		if ((r == -EISDIR || r == -EPERM) && rmdir(path) == 0)
			r = 0;
	}
	if (r < 0)
		fail(c, h->id, -r, "remove", path);
	else
		reply_ok(c, h->id);
}

void h_rename(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	      unsigned nfds)
{
	_cleanup_free_ char *from = want_path(c, h->id, f, T_PATH);
	if (!from)
		return;
	_cleanup_free_ char *to = want_path(c, h->id, f, T_PATH2);
	if (!to)
		return;
	if (rename(from, to) < 0)
		fail(c, h->id, errno, "rename", from);
	else
		reply_ok(c, h->id);
}

void h_chmod(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	     unsigned nfds)
{
	_cleanup_free_ char *path = want_path(c, h->id, f, T_PATH);
	if (!path)
		return;
	uint32_t mode;
	if (proto_get_u32(f, T_MODE, &mode) < 0 || mode > 07777) {
		reply_error(c, h->id, EINVAL, "chmod '%s': bad mode", path);
		return;
	}
	if (chmod(path, (mode_t)mode) < 0)
		fail(c, h->id, errno, "chmod", path);
	else
		reply_ok(c, h->id);
}

void h_chown(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	     unsigned nfds)
{
	_cleanup_free_ char *path = want_path(c, h->id, f, T_PATH);
	if (!path)
		return;
	int q = 0;
	uint32_t uid = proto_u32_or(f, T_UID, UINT32_MAX, &q);
	uint32_t gid = proto_u32_or(f, T_GID, UINT32_MAX, &q);
	bool nofollow = proto_u32_or(f, T_NOFOLLOW, 0, &q) != 0;
	if (q < 0) {
		reply_error(c, h->id, EINVAL, "chown '%s': bad field", path);
		return;
	}
	/* UINT32_MAX is (uid_t)-1: leave that id unchanged, as chown(2) does. */
	if (fchownat(AT_FDCWD, path, (uid_t)uid, (gid_t)gid, nofollow ? AT_SYMLINK_NOFOLLOW : 0) < 0)
		fail(c, h->id, errno, "chown", path);
	else
		reply_ok(c, h->id);
}

void h_write_file(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
		  int *fds, unsigned nfds)
{
	_cleanup_free_ char *path = want_path(c, h->id, f, T_PATH);
	if (!path)
		return;
	const uint8_t *data = NULL;
	size_t len = 0;
	int q = 0;
	uint32_t mode = proto_u32_or(f, T_MODE, 0644, &q);
	int r = proto_get_bytes(f, T_DATA, &data, &len);
	if (q < 0 || r == -EBADMSG || mode > 07777) {
		reply_error(c, h->id, EINVAL, "write '%s': bad field", path);
		return;
	}
	/* Temp file in the same directory, then rename: readers see the old or the new file. */
	r = write_file_atomic(path, data ? data : (const uint8_t *)"", len, (mode_t)mode);
	if (r < 0)
		fail(c, h->id, -r, "write", path);
	else
		reply_ok(c, h->id);
}

void h_read_file(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
		 unsigned nfds)
{
	_cleanup_free_ char *path = want_path(c, h->id, f, T_PATH);
	if (!path)
		return;
	int q = 0;
	uint32_t max = proto_u32_or(f, T_MAX, READ_MAX, &q);
	if (max > READ_MAX)
		max = READ_MAX;
	/* Regular files only: a FIFO or a device planted by a workload could block the agent. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fail(c, h->id, errno, "read", path);
		return;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		fail(c, h->id, errno, "read", path);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(c, h->id, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "read", path);
		return;
	}
	/* Read one byte past the cap to learn whether the file is longer. */
	_cleanup_free_ uint8_t *buf = malloc((size_t)max + 1);
	if (!buf) {
		fail(c, h->id, ENOMEM, "read", path);
		return;
	}
	ssize_t n = read_full(fd, buf, (size_t)max + 1);
	if (n < 0) {
		fail(c, h->id, (int)-n, "read", path);
		return;
	}
	bool truncated = (size_t)n > max;
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, h->id);
	proto_put_bytes(&e, T_DATA, buf, truncated ? max : (size_t)n);
	proto_put_u32(&e, T_TRUNCATED, truncated);
	proto_put_u64(&e, T_SIZE, (uint64_t)st.st_size);
	if (proto_enc_end(&e, 0) == 0)
		conn_send(c, &e, NULL, 0);
	proto_enc_release(&e);
}
