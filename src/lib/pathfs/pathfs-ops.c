/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pathfs ops that reach content or change the namespace: open/read/write and friends,
 * create, mknod, mkdir, symlink, link, unlink, rmdir, rename.
 *
 * Rules (see rules.h): content needs read; opening for writing, truncating, creating,
 * deleting and renaming need write on every path created, deleted or moved. A path that
 * the rules hide answers EACCES to creation, whether or not it exists, so creating never
 * reveals it. Every call runs as the caller (PFS_ENTER) relative to O_PATH fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pathfs-internal.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

/* Open flags passed to the host: access mode and a few harmless modifiers. Creation,
 * path-resolution and O_DIRECT (alignment the kernel's FUSE reads do not keep) are not. */
static int open_flags(int flags)
{
	return (flags &
		(O_ACCMODE | O_APPEND | O_NONBLOCK | O_TRUNC | O_SYNC | O_DSYNC | O_NOATIME)) |
	       O_CLOEXEC | O_NOCTTY;
}

/* The kernel keeps a file's pages across opens (it drops them when it sees the size or
 * mtime change, within the attribute timeout), and sends no FLUSH on close: there is
 * nothing to flush here. Each open still asks the server, so the rules are checked. */
static void open_cache(struct fuse_file_info *fi)
{
	fi->keep_cache = 1;
	fi->noflush = 1;
}

static bool open_writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/* A node the caller may still see: a rename may have moved it under a rule that hides it,
 * and a hidden directory must not be a parent for anything. */
static struct pnode *node_of(struct pfs *fs, fuse_ino_t ino, int *r)
{
	struct pnode *n = NULL;
	*r = pfs_node_seen(fs, ino, &n);
	return n;
}

/* The path parent/name may be created or deleted: write access on it. */
/* may_change() for a name about to be made: also charges it to the quota (undo with
 * pfs_quota_credit(fs, PATHFS_INODE_COST) if making it fails). */
static int may_create(struct pfs *fs, struct pnode *parent, const char *name);

static int may_change(struct pfs *fs, struct pnode *parent, const char *name, char **ret_path)
{
	_cleanup_free_ char *path = NULL;
	int r = pfs_child_path(parent, name, &path);
	if (r < 0)
		return r;
	if (pfs_access(fs, path) < RULE_ACCESS_WRITE)
		return -EACCES;
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

static int may_create(struct pfs *fs, struct pnode *parent, const char *name)
{
	int r = may_change(fs, parent, name, NULL);
	return r < 0 ? r : pfs_quota_charge(fs, PATHFS_INODE_COST);
}

/* Only regular files, FIFOs and sockets: device nodes would be a way around the
 * sandbox's device policy. */
void pfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	PFS_ENTER(req, fs);
	struct fuse_entry_param e = {0};
	int r;
	struct pnode *p = node_of(fs, parent, &r);
	if (r == 0 && !S_ISREG(mode) && !S_ISFIFO(mode) && !S_ISSOCK(mode))
		r = -EPERM;
	if (r == 0)
		r = may_create(fs, p, name);
	if (r == 0 && mknodat(p->fd, name, mode, 0) < 0) {
		r = negative_errno();
		pfs_quota_credit(fs, PATHFS_INODE_COST);
	}
	if (r == 0)
		r = pfs_lookup(fs, p, name, &e);
	pfs_reply_entry(req, r, &e);
}

void pfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	PFS_ENTER(req, fs);
	struct fuse_entry_param e = {0};
	int r;
	struct pnode *p = node_of(fs, parent, &r);
	if (r == 0)
		r = may_create(fs, p, name);
	if (r == 0 && mkdirat(p->fd, name, mode) < 0) {
		r = negative_errno();
		pfs_quota_credit(fs, PATHFS_INODE_COST);
	}
	if (r == 0)
		r = pfs_lookup(fs, p, name, &e);
	pfs_reply_entry(req, r, &e);
}

/* The target is stored as given: the sandbox resolves it later, through this mount and
 * its rules; the server never follows it. */
void pfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	PFS_ENTER(req, fs);
	struct fuse_entry_param e = {0};
	int r;
	struct pnode *p = node_of(fs, parent, &r);
	if (r == 0)
		r = may_create(fs, p, name);
	if (r == 0 && symlinkat(link, p->fd, name) < 0) {
		r = negative_errno();
		pfs_quota_credit(fs, PATHFS_INODE_COST);
	}
	if (r == 0)
		r = pfs_lookup(fs, p, name, &e);
	pfs_reply_entry(req, r, &e);
}

/* A new name shares the inode's content, so it needs write on the old path too: else a
 * link would turn a read-only (or view-only) file into a writable one. */
void pfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	PFS_ENTER(req, fs);
	struct fuse_entry_param e = {0};
	char name[16];
	int r, r2;
	struct pnode *n = node_of(fs, ino, &r);
	struct pnode *p = node_of(fs, newparent, &r2);
	if (r == 0)
		r = r2;
	if (r == 0 && pfs_access(fs, n->path) < RULE_ACCESS_WRITE)
		r = -EACCES;
	if (r == 0)
		r = may_change(fs, p, newname, NULL);
	/* linking a symlink would need CAP_DAC_READ_SEARCH (AT_EMPTY_PATH) */
	if (r == 0 && S_ISLNK(n->type))
		r = -EPERM;
	if (r == 0)
		r = pfs_quota_charge(fs, PATHFS_INODE_COST);
	if (r == 0) {
		snprintf(name, sizeof(name), "%d", n->fd);
		if (linkat(fs->proc_fd, name, p->fd, newname, AT_SYMLINK_FOLLOW) < 0) {
			r = negative_errno();
			pfs_quota_credit(fs, PATHFS_INODE_COST);
		}
	}
	if (r == 0)
		r = pfs_lookup(fs, p, newname, &e);
	pfs_reply_entry(req, r, &e);
}

static void remove_entry(fuse_req_t req, fuse_ino_t parent, const char *name, bool dir)
{
	PFS_ENTER(req, fs);
	_cleanup_free_ char *path = NULL;
	int r;
	struct pnode *p = node_of(fs, parent, &r);
	if (r == 0)
		r = may_change(fs, p, name, &path);
	/* What the removal gives back: the name now; the content of a last name only when
	 * the kernel forgets its node, as until then something in the sandbox may still hold
	 * the file open (or mapped, or by O_PATH), and its blocks stay on the disk. */
	struct stat st;
	uint64_t content = 0;
	if (r == 0 && pfs_quota_on(fs) && fstatat(p->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && st.st_nlink == 1)
		content = (uint64_t)st.st_size;
	if (r == 0 && unlinkat(p->fd, name, dir ? AT_REMOVEDIR : 0) < 0)
		r = negative_errno();
	if (r == 0) {
		struct pnode *gone = content ? pnode_find(fs, path) : NULL;
		if (gone)
			gone->credit_on_forget = content;
		pnode_unhash_path(fs, path, dir);
		pfs_quota_credit(fs, PATHFS_INODE_COST);
	}
	fuse_reply_err(req, -r);
}

void pfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, false);
}

void pfs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, true);
}

/* A directory may not be renamed if that could move paths out from under their rules, or
 * under other ones: EXDEV, so tools fall back to copy and delete, file by file, each
 * checked against the rules. With no rule that can match strictly beneath the old or the
 * new name, everything beneath has the access of the directory itself (write, checked),
 * before and after. */
static bool dir_rename_guarded(struct pfs *fs, const char *dir)
{
	return fs->c->rules && rule_set_has_rules_below(fs->c->rules, dir);
}

static int rename_check(struct pfs *fs, struct pnode *p, const char *name, struct pnode *np,
			const char *newname, unsigned int flags, char **ret_old, char **ret_new)
{
	struct stat st;
	int r;

	if (flags & ~(unsigned int)(RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE))
		return -EINVAL;
	r = may_change(fs, p, name, ret_old);
	if (r == 0)
		r = may_change(fs, np, newname, ret_new);
	if (r < 0)
		return r;
	if (fstatat(p->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return negative_errno();
	if (S_ISDIR(st.st_mode) &&
	    (dir_rename_guarded(fs, *ret_old) || dir_rename_guarded(fs, *ret_new)))
		return -EXDEV;
	if (flags & RENAME_EXCHANGE) {
		if (fstatat(np->fd, newname, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return negative_errno();
		if (S_ISDIR(st.st_mode) &&
		    (dir_rename_guarded(fs, *ret_old) || dir_rename_guarded(fs, *ret_new)))
			return -EXDEV;
	}
	return 0;
}

void pfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		   const char *newname, unsigned int flags)
{
	PFS_ENTER(req, fs);
	_cleanup_free_ char *from = NULL, *to = NULL;
	struct pnode_move *m = NULL;
	int r, r2;
	struct pnode *p = node_of(fs, parent, &r);
	struct pnode *np = node_of(fs, newparent, &r2);
	if (r == 0)
		r = r2;
	if (r == 0)
		r = rename_check(fs, p, name, np, newname, flags, &from, &to);
	/* the node table's new paths are allocated first: after the rename nothing may fail */
	if (r == 0)
		r = pnode_move_prepare(fs, from, to, flags & RENAME_EXCHANGE, &m);
	if (r == 0 && renameat2(p->fd, name, np->fd, newname, flags) < 0)
		r = negative_errno();
	if (r == 0)
		pnode_move_commit(fs, m);
	pnode_move_free(m);
	fuse_reply_err(req, -r);
}

void pfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   struct fuse_file_info *fi)
{
	PFS_ENTER(req, fs);
	struct fuse_entry_param e = {0};
	_cleanup_close_ int fd = -1;
	char fdname[16];
	int r;
	struct pnode *p = node_of(fs, parent, &r);
	if (r == 0)
		r = may_create(fs, p, name);
	if (r < 0)
		return (void)fuse_reply_err(req, -r);
	fd = openat(p->fd, name,
		    open_flags(fi->flags) | (fi->flags & O_EXCL) | O_CREAT | O_NOFOLLOW, mode);
	if (fd < 0) {
		pfs_quota_credit(fs, PATHFS_INODE_COST);
		return (void)fuse_reply_err(req, errno);
	}
	/* the node comes from the file just opened, not from the name again */
	snprintf(fdname, sizeof(fdname), "%d", fd);
	int opath = openat(fs->proc_fd, fdname, O_PATH | O_CLOEXEC);
	if (opath < 0)
		return (void)fuse_reply_err(req, errno);
	r = pfs_entry_from_fd(fs, p->path, name, opath, &e);
	if (r < 0)
		return (void)fuse_reply_err(req, -r);
	fi->fh = fd;
	open_cache(fi);
	if (fuse_reply_create(req, &e, fi) < 0)
		pnode_forget(fs, pnode_get(fs, e.ino), 1);
	else
		fd = -1;
}

void pfs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	PFS_ENTER(req, fs);
	int r;
	struct pnode *n = node_of(fs, ino, &r);
	if (r < 0)
		return (void)fuse_reply_err(req, -r);
	if (S_ISDIR(n->type))
		return (void)fuse_reply_err(req, EISDIR);
	if (pfs_access(fs, n->path) <
	    (open_writes(fi->flags) ? RULE_ACCESS_WRITE : RULE_ACCESS_READ))
		return (void)fuse_reply_err(req, EACCES);
	int fd = pfs_reopen(fs, n, open_flags(fi->flags));
	if (fd < 0)
		return (void)fuse_reply_err(req, -fd);
	fi->fh = fd;
	open_cache(fi);
	if (fuse_reply_open(req, fi) < 0)
		safe_close(fd);
}

/* Reads need no identity switch: the fd was opened (and checked) with the caller's. */
void pfs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

/* Writes use the fd as it was opened, with the caller's identity and checks: no switch,
 * as the kernel's write-back of a shared mapping arrives with no caller at all (uid 0).
 * The server has no CAP_FSETID, so the host kernel still clears set-id bits on write. */
void pfs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	struct pfs *fs = fuse_req_userdata(req);
	uint64_t grow = 0;
	if (pfs_quota_on(fs)) {
		off_t cur = pfs_quota_size_of((int)fi->fh);
		/* O_APPEND lands at the real end, whatever offset the kernel had cached. */
		int fl = fcntl((int)fi->fh, F_GETFL);
		off_t at = fl >= 0 && (fl & O_APPEND) ? cur : off;
		grow = pfs_quota_growth(cur, at + (off_t)size);
		int r = pfs_quota_charge(fs, grow);
		if (r < 0)
			return (void)fuse_reply_err(req, -r);
	}
	ssize_t l = pwrite(fi->fh, buf, size, off);
	if (l < 0) {
		pfs_quota_credit(fs, grow);
		fuse_reply_err(req, errno);
	} else {
		pfs_quota_credit(fs, grow > size - (size_t)l ? size - (size_t)l : grow);
		fuse_reply_write(req, l);
	}
}

void pfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

void pfs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	close(fi->fh);
	fuse_reply_err(req, 0);
}

void pfs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	int r = datasync ? fdatasync(fi->fh) : fsync(fi->fh);
	fuse_reply_err(req, r < 0 ? errno : 0);
}

/* The fd was opened for writing (and checked) at open; fallocate on a read-only fd fails. */
void pfs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		      struct fuse_file_info *fi)
{
	struct pfs *fs = fuse_req_userdata(req);
	/* Allocation is charged: the whole range with KEEP_SIZE (blocks past the end), else
	 * the growth of the apparent size, at least the range; holes cost nothing. */
	uint64_t grow = 0;
	if (!(mode & FALLOC_FL_PUNCH_HOLE) && pfs_quota_on(fs)) {
		off_t cur = pfs_quota_size_of((int)fi->fh);
		uint64_t past = pfs_quota_growth(cur, off + len);
		grow = (mode & FALLOC_FL_KEEP_SIZE) || past < (uint64_t)len ? (uint64_t)len : past;
	}
	int r = pfs_quota_charge(fs, grow);
	if (r < 0)
		return (void)fuse_reply_err(req, -r);
	r = fallocate(fi->fh, mode, off, len) < 0 ? errno : 0;
	if (r)
		pfs_quota_credit(fs, grow);
	fuse_reply_err(req, r);
}
