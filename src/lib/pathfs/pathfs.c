/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pathfs: serves a FUSE mount that passes operations through to a base tree and takes
 * away what the path rules deny (see pathfs.h). This file holds the session, the per
 * request identity switch, the rule checks, and the lookup, attribute and directory ops;
 * pathfs-ops.c holds content and namespace changes, pathfs-node.c the node table.
 *
 * Trust boundary: every request comes from the sandbox. Names are single components
 * checked here; every call is relative to an O_PATH fd the server holds, never follows a
 * symlink, and runs with the caller's fsuid/fsgid (setfsuid to a non-zero uid drops the
 * server's filesystem capabilities, so the host kernel checks modes as it would for the
 * caller). Supplementary groups are NOT applied: FUSE does not pass them, so a caller
 * gets access through its primary group only (never more than without the rules).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statvfs.h>

#include "pathfs-internal.h"

struct pdir {
	DIR *dp;
	off_t offset;
	struct dirent *entry; /* read but not yet returned (did not fit) */
};

enum rule_access pfs_access(struct pfs *fs, const char *path)
{
	if (!fs->c->rules)
		return fs->c->fallback;
	return rule_set_access(fs->c->rules, path, fs->c->fallback);
}

/* The kernel sends single components; anything else is refused, never interpreted. */
int pfs_name_check(const char *name)
{
	size_t l = strnlen(name, NAME_MAX + 1);
	if (l > NAME_MAX)
		return -ENAMETOOLONG;
	if (l == 0 || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	return 0;
}

int pfs_child_path(const struct pnode *parent, const char *name, char **ret)
{
	int r = pfs_name_check(name);
	return r < 0 ? r : path_child(parent->path, name, ret);
}

int pfs_caller_enter(struct pfs *fs, fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	setfsgid(ctx->gid);
	setfsuid(ctx->uid);
	/* setfsuid reports no error: read both back (-1 changes nothing) and refuse to act
	 * with any identity but the caller's. */
	if ((uid_t)setfsuid(-1) != ctx->uid || (gid_t)setfsgid(-1) != ctx->gid) {
		pfs_caller_leave(fs);
		return -EPERM;
	}
	return 0;
}

void pfs_caller_leave(struct pfs *fs)
{
	setfsuid(fs->uid);
	setfsgid(fs->gid);
}

/* Re-opens a node's O_PATH fd with real access flags. The magic link is followed, so
 * the node must not be a symlink (O_NOFOLLOW cannot be used on /proc/self/fd/N). */
int pfs_reopen(struct pfs *fs, const struct pnode *n, int flags)
{
	char name[16];
	if (S_ISLNK(n->type))
		return -ELOOP;
	snprintf(name, sizeof(name), "%d", n->fd);
	int fd = openat(fs->proc_fd, name, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? negative_errno() : fd;
}

/* The mode bits shown match the rules, so access(2), `test -w` and the kernel's own
 * default_permissions check agree with them: a read-level file shows no write bits, a
 * view-level file no bits at all. Directories keep theirs: a write rule on a child must
 * still let the kernel create and remove it in a read-level directory. */
void pfs_fill_attr(struct pfs *fs, const char *path, struct stat *st)
{
	if (S_ISDIR(st->st_mode) || S_ISLNK(st->st_mode))
		return;
	switch (pfs_access(fs, path)) {
	case RULE_ACCESS_NONE:
	case RULE_ACCESS_VIEW:
		st->st_mode &= ~(mode_t)07777;
		break;
	case RULE_ACCESS_READ:
		st->st_mode &= ~(mode_t)(S_IWUSR | S_IWGRP | S_IWOTH | S_ISUID | S_ISGID);
		break;
	default:
		break;
	}
}

/* The node for parent/name given an O_PATH fd of it (taken): the hashed node of that path
 * if it is the same inode, else a new node (the old one, if any, was replaced). */
int pfs_entry_from_fd(struct pfs *fs, const char *parent_path, const char *name, int opath_fd,
		      struct fuse_entry_param *e)
{
	_cleanup_close_ int fd = opath_fd;
	_cleanup_free_ char *path = NULL;
	struct stat st;
	struct pnode *n;
	int r;

	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return negative_errno();
	r = path_child(parent_path, name, &path);
	if (r < 0)
		return r;
	n = pnode_find(fs, path);
	if (n && n->dev == st.st_dev && n->ino == st.st_ino && n->type == (st.st_mode & S_IFMT)) {
		n->nlookup++;
	} else {
		if (n)
			pnode_unhash(fs, n);
		r = pnode_new(fs, TAKE_PTR(path), TAKE_FD(fd), &st, &n);
		if (r < 0)
			return r;
	}
	*e = (struct fuse_entry_param){.ino = n->id,
				       .generation = n->generation,
				       .attr = st,
				       .attr_timeout = PATHFS_TIMEOUT,
				       .entry_timeout = PATHFS_TIMEOUT};
	pfs_fill_attr(fs, n->path, &e->attr);
	return 0;
}

/* A path with access none answers exactly like a missing one. */
int pfs_lookup(struct pfs *fs, struct pnode *parent, const char *name, struct fuse_entry_param *e)
{
	_cleanup_free_ char *path = NULL;
	int r = pfs_child_path(parent, name, &path);
	if (r < 0)
		return r;
	if (pfs_access(fs, path) == RULE_ACCESS_NONE)
		return -ENOENT;
	int fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	return pfs_entry_from_fd(fs, parent->path, name, fd, e);
}

/* The node of an id, if its path may still be seen (a rename may have moved it under a
 * rule that hides it). The root is always seen: the mount must answer for itself. */
int pfs_node_seen(struct pfs *fs, fuse_ino_t ino, struct pnode **ret)
{
	struct pnode *n = pnode_get(fs, ino);
	if (!n)
		return -ESTALE;
	if (n->id != FUSE_ROOT_ID && pfs_access(fs, n->path) == RULE_ACCESS_NONE)
		return -ENOENT;
	*ret = n;
	return 0;
}

/* Replies with an entry (or the error); if the kernel did not take the entry (the request
 * was interrupted), the reference the lookup counted is dropped again. */
void pfs_reply_entry(fuse_req_t req, int r, const struct fuse_entry_param *e)
{
	struct pfs *fs = fuse_req_userdata(req);
	if (r < 0)
		fuse_reply_err(req, -r);
	else if (fuse_reply_entry(req, e) < 0 && e->ino)
		pnode_forget(fs, pnode_get(fs, e->ino), 1);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* The kernel clears set-id bits itself with a SETATTR, which passes the rule check;
	 * no writeback cache: every write reaches the server with the caller's identity. */
	conn->want &= ~(FUSE_CAP_HANDLE_KILLPRIV | FUSE_CAP_WRITEBACK_CACHE |
			FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_POSIX_ACL);
	/* cached pages are dropped when the size or mtime changes (see open_cache) */
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	PFS_ENTER(req, fs);
	struct fuse_entry_param e;
	struct pnode *p;
	int r = pfs_node_seen(fs, parent, &p);
	if (r == 0)
		r = pfs_lookup(fs, p, name, &e);
	if (r == -ENOENT) {
		/* a negative entry, cached like a positive one */
		e = (struct fuse_entry_param){.ino = 0, .entry_timeout = PATHFS_TIMEOUT};
		r = 0;
	}
	pfs_reply_entry(req, r, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct pfs *fs = fuse_req_userdata(req);
	struct pnode *n = pnode_get(fs, ino);
	if (n)
		pnode_forget(fs, n, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct pfs *fs = fuse_req_userdata(req);
	for (size_t i = 0; i < count; i++) {
		struct pnode *n = pnode_get(fs, forgets[i].ino);
		if (n)
			pnode_forget(fs, n, forgets[i].nlookup);
	}
	fuse_reply_none(req);
}

/* Replies with n's attributes (as the rules show them), or with the error r. */
static void reply_attr(fuse_req_t req, struct pfs *fs, struct pnode *n, int r)
{
	struct stat st;
	if (r == 0 && fstatat(n->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		r = negative_errno();
	if (r < 0)
		return (void)fuse_reply_err(req, -r);
	pfs_fill_attr(fs, n->path, &st);
	fuse_reply_attr(req, &st, PATHFS_TIMEOUT);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	PFS_ENTER(req, fs);
	struct pnode *n = NULL;
	reply_attr(req, fs, n, pfs_node_seen(fs, ino, &n));
}

static int set_times(struct pfs *fs, struct pnode *n, const struct stat *attr, int to_set,
		     struct fuse_file_info *fi)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
	char name[16];
	int r;

	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_ATIME)
		ts[0] = attr->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		ts[1] = attr->st_mtim;
	if (fi)
		r = futimens(fi->fh, ts);
	else if (S_ISLNK(n->type))
		r = utimensat(n->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	else {
		snprintf(name, sizeof(name), "%d", n->fd);
		r = utimensat(fs->proc_fd, name, ts, 0);
	}
	return r < 0 ? negative_errno() : 0;
}

static int set_attrs(struct pfs *fs, struct pnode *n, const struct stat *attr, int to_set,
		     struct fuse_file_info *fi)
{
	char name[16];
	int r;

	snprintf(name, sizeof(name), "%d", n->fd);
	if (to_set & FUSE_SET_ATTR_MODE) {
		if (S_ISLNK(n->type))
			return -EOPNOTSUPP;
		if (fchmodat(fs->proc_fd, name, attr->st_mode & 07777, 0) < 0)
			return negative_errno();
	}
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t u = to_set & FUSE_SET_ATTR_UID ? attr->st_uid : (uid_t)-1;
		gid_t g = to_set & FUSE_SET_ATTR_GID ? attr->st_gid : (gid_t)-1;
		if (fchownat(n->fd, "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return negative_errno();
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		_cleanup_close_ int fd = -1;
		if (!fi) {
			fd = pfs_reopen(fs, n, O_WRONLY);
			if (fd < 0)
				return fd;
		}
		int tfd = fi ? (int)fi->fh : fd;
		off_t cur = pfs_quota_size_of(tfd);
		uint64_t grow = pfs_quota_growth(cur, attr->st_size);
		if ((r = pfs_quota_charge(fs, grow)) < 0)
			return r;
		if (ftruncate(tfd, attr->st_size) < 0) {
			pfs_quota_credit(fs, grow);
			return negative_errno();
		}
		if (attr->st_size < cur)
			pfs_quota_credit(fs, (uint64_t)(cur - attr->st_size));
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		r = set_times(fs, n, attr, to_set, fi);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Any attribute change is a modification: it needs write access. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	PFS_ENTER(req, fs);
	struct pnode *n = NULL;
	int r = pfs_node_seen(fs, ino, &n);
	if (r == 0 && pfs_access(fs, n->path) < RULE_ACCESS_WRITE)
		r = -EACCES;
	if (r == 0)
		r = set_attrs(fs, n, attr, to_set, fi);
	reply_attr(req, fs, n, r);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	PFS_ENTER(req, fs);
	char buf[PATH_MAX + 1];
	struct pnode *n;
	ssize_t l = 0;
	int r = pfs_node_seen(fs, ino, &n);
	if (r == 0 && (l = readlinkat(n->fd, "", buf, sizeof(buf) - 1)) < 0)
		r = negative_errno();
	if (r < 0)
		return (void)fuse_reply_err(req, -r);
	buf[l] = '\0';
	fuse_reply_readlink(req, buf);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	PFS_ENTER(req, fs);
	struct statvfs sv;
	struct pnode *n = pnode_get(fs, FUSE_ROOT_ID);
	if (fstatvfs(n->fd, &sv) < 0)
		return (void)fuse_reply_err(req, errno);
	pfs_quota_statfs(fs, &sv);
	fuse_reply_statfs(req, &sv);
}

/* Listing needs view access; the directory is opened with the caller's identity. */
static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	PFS_ENTER(req, fs);
	struct pnode *n;
	int r = pfs_node_seen(fs, ino, &n);
	if (r < 0)
		return (void)fuse_reply_err(req, -r);
	if (!S_ISDIR(n->type))
		return (void)fuse_reply_err(req, ENOTDIR);
	int fd = pfs_reopen(fs, n, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return (void)fuse_reply_err(req, -fd);
	struct pdir *d = calloc(1, sizeof(*d));
	if (!d || !(d->dp = fdopendir(fd))) {
		free(d);
		safe_close(fd);
		return (void)fuse_reply_err(req, ENOMEM);
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi) < 0) {
		closedir(d->dp);
		free(d);
	}
}

/* Adds one entry to the reply buffer: hidden entries are skipped (returns 0 with *skip),
 * with plus the entry is looked up (and forgotten again if it does not fit). Returns the
 * bytes it needs, which may exceed rem (then nothing was added). */
static size_t dir_add(fuse_req_t req, struct pfs *fs, struct pnode *dir, struct dirent *de,
		      bool plus, char *p, size_t rem, bool *skip)
{
	const char *name = de->d_name;
	bool dot = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
	struct fuse_entry_param e = {.attr.st_ino = de->d_ino, .attr.st_mode = de->d_type << 12};
	_cleanup_free_ char *path = NULL;

	*skip = false;
	if (!dot) {
		if (path_child(dir->path, name, &path) < 0 ||
		    pfs_access(fs, path) == RULE_ACCESS_NONE) {
			*skip = true;
			return 0;
		}
	}
	if (!plus)
		return fuse_add_direntry(req, p, rem, name, &e.attr, de->d_off);
	if (!dot && pfs_lookup(fs, dir, name, &e) < 0)
		/* gone or unreadable meanwhile: listed without attributes */
		e = (struct fuse_entry_param){.attr.st_ino = de->d_ino,
					      .attr.st_mode = de->d_type << 12};
	size_t l = fuse_add_direntry_plus(req, p, rem, name, &e, de->d_off);
	if (l > rem && e.ino)
		pnode_forget(fs, pnode_get(fs, e.ino), 1);
	return l;
}

static void dir_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi, bool plus)
{
	PFS_ENTER(req, fs);
	struct pdir *d = (struct pdir *)(uintptr_t)fi->fh;
	struct pnode *n;
	int r = pfs_node_seen(fs, ino, &n);
	if (r < 0)
		return (void)fuse_reply_err(req, -r);
	size = MIN(size, (size_t)1 << 20);
	_cleanup_free_ char *buf = calloc(1, size);
	if (!buf)
		return (void)fuse_reply_err(req, ENOMEM);
	if (off != d->offset) {
		seekdir(d->dp, off);
		d->entry = NULL;
		d->offset = off;
	}
	size_t rem = size;
	for (;;) {
		bool skip;
		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				if (errno && rem == size)
					return (void)fuse_reply_err(req, errno);
				break;
			}
		}
		size_t l = dir_add(req, fs, n, d->entry, plus, buf + size - rem, rem, &skip);
		if (!skip && l > rem)
			break;
		rem -= skip ? 0 : l;
		d->offset = d->entry->d_off;
		d->entry = NULL;
	}
	fuse_reply_buf(req, buf, size - rem);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	dir_read(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	dir_read(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pdir *d = (struct pdir *)(uintptr_t)fi->fh;
	closedir(d->dp);
	free(d);
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops pathfs_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .mknod = pfs_op_mknod,
    .mkdir = pfs_op_mkdir,
    .unlink = pfs_op_unlink,
    .rmdir = pfs_op_rmdir,
    .symlink = pfs_op_symlink,
    .rename = pfs_op_rename,
    .link = pfs_op_link,
    .open = pfs_op_open,
    .read = pfs_op_read,
    .write = pfs_op_write,
    .flush = pfs_op_flush,
    .release = pfs_op_release,
    .fsync = pfs_op_fsync,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .releasedir = op_releasedir,
    .statfs = op_statfs,
    .create = pfs_op_create,
    .fallocate = pfs_op_fallocate,
    /* no xattr ops: the kernel answers EOPNOTSUPP itself and stops asking, which also
     * spares a security.capability round trip on every write */
};

/* Every node holds an fd: allow as many as the hard limit permits (this process is the
 * server and nothing else), and size the node table to them. */
static void nodes_limit(struct pfs *fs)
{
	struct rlimit rl;
	fs->nodes_max = 4096;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur > 1024)
		fs->nodes_max = MIN((size_t)rl.rlim_cur - 256, (size_t)PATHFS_NODES_MAX);
	else
		fs->nodes_max = rl.rlim_cur / 2;
}

static int root_node(struct pfs *fs, struct hutch_err *err)
{
	struct stat st;
	struct pnode *n;
	int fd = openat(fs->c->base_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int r =
		    err_set_errno(err, errno, "pathfs '%s': open base directory", fs->c->anchor);
		safe_close(fd);
		return r;
	}
	char *path = strdup(fs->c->anchor);
	if (!path) {
		safe_close(fd);
		return err_set(err, ENOMEM, "pathfs '%s': out of memory", fs->c->anchor);
	}
	int r = pnode_new(fs, path, fd, &st, &n);
	if (r < 0)
		return err_set_errno(err, -r, "pathfs '%s': root node", fs->c->anchor);
	return 0;
}

/* libfuse logs to stderr; a library does not print, and the errors it would log reach
 * the caller as return values. */
static void quiet_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
}

/* One message on the control socket: join the cgroups whose files came with it. */
static bool control_message(int ctl)
{
	char byte;
	union {
		char buf[CMSG_SPACE(PATHFS_JOIN_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[PATHFS_JOIN_FDS];
		memcpy(fds, CMSG_DATA(c), MIN(nfd, (size_t)PATHFS_JOIN_FDS) * sizeof(int));
		for (size_t i = 0; i < nfd && i < PATHFS_JOIN_FDS; i++) {
			/* "0": the writer itself, the one move that skips the kernel's global
			 * threadgroup lock (v1 tasks of a single-threaded process). */
			(void)!write(fds[i], "0", 1);
			close(fds[i]);
		}
	}
	return true;
}

/*
 * libfuse's loop, plus the control socket: the FUSE device is read only when it has a
 * request, so the server can act on the runtime's one message while it serves.
 */
static int serve_loop(struct pfs *fs, struct fuse_session *se)
{
	struct fuse_buf fbuf = { .mem = NULL };
	int ctl = fs->c->ctl_fd, res = 0;
	while (!fuse_session_exited(se)) {
		struct pollfd p[2] = { { .fd = fuse_session_fd(se), .events = POLLIN },
				       { .fd = ctl, .events = POLLIN } };
		if (poll(p, ctl >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			res = -errno;
			break;
		}
		if (ctl >= 0 && p[1].revents && !control_message(ctl))
			ctl = -1; /* the runtime is done with us */
		if (!p[0].revents)
			continue;
		res = fuse_session_receive_buf(se, &fbuf);
		if (res == -EINTR)
			continue;
		if (res <= 0)
			break;
		fuse_session_process_buf(se, &fbuf);
		res = 0;
	}
	free(fbuf.mem);
	fuse_session_reset(se);
	return res == -ENODEV ? 0 : res;
}

static int serve_session(struct pfs *fs, int fuse_fd, struct hutch_err *err)
{
	char *argv[] = {(char *)"pathfs", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	char mnt[32];
	int r;

	fuse_set_log_func(quiet_log);
	struct fuse_session *se = fuse_session_new(&args, &pathfs_ops, sizeof(pathfs_ops), fs);
	fuse_opt_free_args(&args); /* libfuse may have copied them into a heap vector */
	if (!se)
		return err_set(err, EIO, "pathfs '%s': cannot create fuse session", fs->c->anchor);
	/* libfuse closes the session's fd when it is destroyed: give it a copy. */
	int fd = fcntl(fuse_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		fuse_session_destroy(se);
		return err_set_errno(err, errno, "pathfs '%s': dup fuse fd", fs->c->anchor);
	}
	snprintf(mnt, sizeof(mnt), "/dev/fd/%d", fd);
	if (fuse_session_mount(se, mnt) < 0) {
		safe_close(fd);
		fuse_session_destroy(se);
		return err_set(err, EIO, "pathfs '%s': cannot attach fuse fd", fs->c->anchor);
	}
	mode_t old_umask = umask(0); /* the kernel applied the caller's umask already */
	r = serve_loop(fs, se);
	umask(old_umask);
	fuse_session_destroy(se);
	if (r < 0)
		return err_set_errno(err, -r, "pathfs '%s': serving", fs->c->anchor);
	if (r > 0)
		return err_set(err, EINTR, "pathfs '%s': interrupted by signal %d", fs->c->anchor,
			       r);
	return 0;
}

int pathfs_serve(int fuse_fd, const struct pathfs_config *c, struct hutch_err *err)
{
	struct pfs fs = {.c = c, .proc_fd = -1, .uid = geteuid(), .gid = getegid()};
	int r;

	if (!c->anchor || c->anchor[0] != '/' || c->base_fd < 0 || fuse_fd < 0)
		return err_set(err, EINVAL, "pathfs: bad configuration");
	if (c->fallback > RULE_ACCESS_WRITE)
		return err_set(err, EINVAL, "pathfs '%s': fallback access must be none..write",
			       c->anchor);
	nodes_limit(&fs);
	fs.proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs.proc_fd < 0)
		return err_set_errno(err, errno, "pathfs '%s': open '/proc/self/fd'", c->anchor);
	r = pnode_table_init(&fs);
	if (r < 0)
		err_set(err, -r, "pathfs '%s': out of memory", c->anchor);
	if (r == 0)
		r = root_node(&fs, err);
	if (r == 0)
		r = serve_session(&fs, fuse_fd, err);
	pnode_table_release(&fs);
	safe_close(fs.proc_fd);
	return r;
}
