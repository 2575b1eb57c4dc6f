/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the pathfs server, shared by its files:
 *   pathfs.c       session, identity switching, rule checks, lookup/attr/directory ops
 *   pathfs-ops.c   content and namespace-changing ops (open/read/write, create, rename...)
 *   pathfs-node.c  the node table: FUSE node id → {sandbox path, O_PATH fd}
 *
 * Invariants:
 *   - a node is identified by its sandbox PATH: a hard-linked inode reached under two
 *     names gets two nodes, so the rules deciding for a node are never ambiguous;
 *   - a "hashed" node is the one the path currently names (found by path); a node whose
 *     name was unlinked or replaced is unhashed and lives until the kernel forgets it;
 *   - node->fd is O_PATH|O_NOFOLLOW: it never gives content, and content is only ever
 *     reached by re-opening it through /proc/self/fd after the rule check.
 */
#pragma once

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "pathfs/pathfs.h"

/* Hard limits on what the sandbox can make the server hold. */
#define PATHFS_NODES_MAX (1u << 20)
#define PATHFS_PATH_BYTES_MAX (256u << 20) /* all node paths together */
#define PATHFS_TIMEOUT 1.0		   /* attr and entry cache, seconds */

struct pnode {
	fuse_ino_t id; /* slot index = FUSE node id; 1 is the root */
	uint64_t generation;
	char *path; /* sandbox path (anchor + relative) */
	size_t path_len;
	int fd;	     /* O_PATH|O_NOFOLLOW */
	mode_t type; /* S_IFMT bits */
	dev_t dev;
	ino_t ino;
	uint64_t nlookup;
	uint64_t credit_on_forget; /* quota: content freed when this unlinked node goes */
	bool hashed;
	uint32_t hash;
	struct pnode *hnext;
};

struct pfs {
	const struct pathfs_config *c;
	int proc_fd; /* /proc/self/fd, to re-open O_PATH fds */
	uid_t uid;   /* the server's own fsuid/fsgid, restored after each request */
	gid_t gid;

	struct pnode **slots; /* by id; NULL = free */
	size_t nslots;
	fuse_ino_t *free_ids;
	size_t nfree;
	size_t nnodes, nodes_max;
	size_t path_bytes;
	uint64_t generation;

	uint64_t quota_used; /* bytes charged against c->quota_bytes (pathfs-quota.c) */

	struct pnode **buckets; /* path hash of the hashed nodes */
	size_t nbuckets;
	size_t nhashed;
};

/* pathfs-node.c */
int pnode_table_init(struct pfs *fs);
void pnode_table_release(struct pfs *fs);
struct pnode *pnode_get(struct pfs *fs, fuse_ino_t id);
struct pnode *pnode_find(struct pfs *fs, const char *path);
/* Takes path (heap) and fd on success and on failure. */
int pnode_new(struct pfs *fs, char *path, int fd, const struct stat *st, struct pnode **ret);
void pnode_unhash(struct pfs *fs, struct pnode *n);
/* Unhashes the node named path and, with tree, every node beneath it. */
void pnode_unhash_path(struct pfs *fs, const char *path, bool tree);
void pnode_forget(struct pfs *fs, struct pnode *n, uint64_t nlookup);
/* A rename of the cached paths, prepared before the rename (allocations) and committed
 * after it succeeded (no allocation, cannot fail). */
struct pnode_move;
int pnode_move_prepare(struct pfs *fs, const char *from, const char *to, bool exchange,
		       struct pnode_move **ret);
void pnode_move_commit(struct pfs *fs, struct pnode_move *m);
void pnode_move_free(struct pnode_move *m);
/* parent + "/" + name as a heap string; -ENAMETOOLONG past PATH_MAX. */
int path_child(const char *parent, const char *name, char **ret);

/* pathfs-quota.c */
#define PATHFS_INODE_COST 4096 /* what a new name is charged */
struct statvfs;
bool pfs_quota_on(const struct pfs *fs);
int pfs_quota_charge(struct pfs *fs, uint64_t bytes); /* -ENOSPC past the quota */
void pfs_quota_credit(struct pfs *fs, uint64_t bytes);
uint64_t pfs_quota_growth(off_t size, off_t end);
off_t pfs_quota_size_of(int fd);
void pfs_quota_statfs(const struct pfs *fs, struct statvfs *sv);

/* pathfs.c */
enum rule_access pfs_access(struct pfs *fs, const char *path);
int pfs_name_check(const char *name);
/* parent's path joined with name, a single component the kernel sent (pfs_name_check). */
int pfs_child_path(const struct pnode *parent, const char *name, char **ret);
int pfs_lookup(struct pfs *fs, struct pnode *parent, const char *name, struct fuse_entry_param *e);
int pfs_entry_from_fd(struct pfs *fs, const char *parent_path, const char *name, int opath_fd,
		      struct fuse_entry_param *e);
void pfs_reply_entry(fuse_req_t req, int r, const struct fuse_entry_param *e);
int pfs_node_seen(struct pfs *fs, fuse_ino_t ino, struct pnode **ret);
int pfs_reopen(struct pfs *fs, const struct pnode *n, int flags);
void pfs_fill_attr(struct pfs *fs, const char *path, struct stat *st);
int pfs_caller_enter(struct pfs *fs, fuse_req_t req);
void pfs_caller_leave(struct pfs *fs);

/* Every request that touches the file system runs with the caller's fsuid/fsgid; the
 * identity is restored when the handler's scope ends. */
static inline void pfs_caller_leavep(struct pfs **fs)
{
	if (*fs)
		pfs_caller_leave(*fs);
}
#define PFS_ENTER(req, fs)                                                                         \
	struct pfs *fs = fuse_req_userdata(req);                                                   \
	_cleanup_(pfs_caller_leavep) struct pfs *_as_caller_ = NULL;                               \
	do {                                                                                       \
		int _r_ = pfs_caller_enter(fs, req);                                               \
		if (_r_ < 0) {                                                                     \
			fuse_reply_err(req, -_r_);                                                 \
			return;                                                                    \
		}                                                                                  \
		_as_caller_ = fs;                                                                  \
	} while (0)

/* pathfs-ops.c: the handlers the ops table in pathfs.c points at */
void pfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void pfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void pfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void pfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void pfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void pfs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void pfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		   const char *newname, unsigned int flags);
void pfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		   struct fuse_file_info *fi);
void pfs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pfs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void pfs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		  struct fuse_file_info *fi);
void pfs_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pfs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pfs_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void pfs_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		      struct fuse_file_info *fi);
