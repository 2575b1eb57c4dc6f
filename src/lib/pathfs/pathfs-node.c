/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pathfs node table: FUSE node ids are slot indexes into an array of nodes, and the
 * nodes that a path currently names are also in a hash by path. Both are bounded: at most
 * fs->nodes_max nodes and PATHFS_PATH_BYTES_MAX bytes of paths (the sandbox chooses how
 * many names it looks up and how long they are).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "pathfs-internal.h"

struct pnode_move {
	size_t n;
	struct pnode **nodes; /* hashed nodes at or beneath `from` (and `to` for exchange) */
	char **paths;	      /* their new paths */
	char *to;	      /* for a plain rename: what is at `to` is replaced */
	bool exchange;
};

static uint32_t path_hash(const char *p)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

int path_child(const char *parent, const char *name, char **ret)
{
	size_t pl = strlen(parent), nl = strlen(name);
	if (pl == 1 && parent[0] == '/')
		pl = 0; /* no "//name" below the root */
	if (pl + 1 + nl >= PATH_MAX)
		return -ENAMETOOLONG;
	char *p = malloc(pl + nl + 2);
	if (!p)
		return -ENOMEM;
	memcpy(p, parent, pl);
	p[pl] = '/';
	memcpy(p + pl + 1, name, nl + 1);
	*ret = p;
	return 0;
}

int pnode_table_init(struct pfs *fs)
{
	fs->nbuckets = 1024;
	fs->buckets = calloc(fs->nbuckets, sizeof(*fs->buckets));
	fs->nslots = 2; /* 0 is never a node id; 1 is the root */
	fs->slots = calloc(fs->nslots, sizeof(*fs->slots));
	if (!fs->buckets || !fs->slots)
		return -ENOMEM;
	return 0;
}

static void pnode_free(struct pfs *fs, struct pnode *n)
{
	/* The kernel forgets a node only when nothing in the sandbox holds its inode (open
	 * files, mappings, O_PATH fds): the content of an unlinked file is freed now. */
	if (n->credit_on_forget)
		pfs_quota_credit(fs, n->credit_on_forget);
	fs->slots[n->id] = NULL;
	fs->free_ids[fs->nfree++] = n->id; /* room reserved when the slot was made */
	fs->nnodes--;
	fs->path_bytes -= n->path_len;
	safe_close(n->fd);
	free(n->path);
	free(n);
}

void pnode_table_release(struct pfs *fs)
{
	for (size_t i = 0; i < fs->nslots; i++)
		if (fs->slots[i]) {
			safe_close(fs->slots[i]->fd);
			free(fs->slots[i]->path);
			free(fs->slots[i]);
		}
	free(fs->slots);
	free(fs->free_ids);
	free(fs->buckets);
	fs->slots = NULL;
	fs->free_ids = NULL;
	fs->buckets = NULL;
}

struct pnode *pnode_get(struct pfs *fs, fuse_ino_t id)
{
	return id < fs->nslots ? fs->slots[id] : NULL;
}

struct pnode *pnode_find(struct pfs *fs, const char *path)
{
	uint32_t h = path_hash(path);
	for (struct pnode *n = fs->buckets[h & (fs->nbuckets - 1)]; n; n = n->hnext)
		if (n->hash == h && strcmp(n->path, path) == 0)
			return n;
	return NULL;
}

static void hash_insert(struct pfs *fs, struct pnode *n)
{
	n->hash = path_hash(n->path);
	struct pnode **b = &fs->buckets[n->hash & (fs->nbuckets - 1)];
	n->hnext = *b;
	*b = n;
	n->hashed = true;
	fs->nhashed++;
}

void pnode_unhash(struct pfs *fs, struct pnode *n)
{
	if (!n->hashed)
		return;
	struct pnode **p = &fs->buckets[n->hash & (fs->nbuckets - 1)];
	while (*p != n)
		p = &(*p)->hnext;
	*p = n->hnext;
	n->hnext = NULL;
	n->hashed = false;
	fs->nhashed--;
}

/* Doubles the buckets when the chains get long; failure only makes them longer. */
static void hash_grow(struct pfs *fs)
{
	if (fs->nhashed < fs->nbuckets)
		return;
	size_t nb = fs->nbuckets * 2;
	struct pnode **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < fs->nbuckets; i++)
		for (struct pnode *n = fs->buckets[i], *next; n; n = next) {
			next = n->hnext;
			n->hnext = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	free(fs->buckets);
	fs->buckets = b;
	fs->nbuckets = nb;
}

/* A free node id, growing the slot array (and the free-id stack with it). */
static int slot_take(struct pfs *fs, fuse_ino_t *ret)
{
	if (fs->nfree > 0) {
		*ret = fs->free_ids[--fs->nfree];
		return 0;
	}
	if (fs->nnodes >= fs->nodes_max)
		return -ENOMEM;
	size_t n = fs->nslots, nn = n * 2;
	struct pnode **s = realloc(fs->slots, nn * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + n, 0, (nn - n) * sizeof(*s));
	fs->slots = s;
	fuse_ino_t *f = realloc(fs->free_ids, nn * sizeof(*f));
	if (!f)
		return -ENOMEM; /* the bigger slot array is kept, nslots is not raised */
	fs->free_ids = f;
	/* every slot above n is free: push them, highest first, and take n */
	for (size_t i = nn - 1; i > n; i--)
		fs->free_ids[fs->nfree++] = i;
	fs->nslots = nn;
	*ret = n;
	return 0;
}

int pnode_new(struct pfs *fs, char *path, int fd, const struct stat *st, struct pnode **ret)
{
	size_t len = strlen(path);
	fuse_ino_t id = 0;
	int r;

	if (fs->path_bytes + len > PATHFS_PATH_BYTES_MAX || fs->nnodes >= fs->nodes_max)
		r = -ENOMEM;
	else if (fs->nslots > 1 && !fs->slots[1] && fs->nnodes == 0)
		r = 0, id = 1; /* the root takes id 1 */
	else
		r = slot_take(fs, &id);
	struct pnode *n = r < 0 ? NULL : calloc(1, sizeof(*n));
	if (!n) {
		if (id > 1)
			fs->free_ids[fs->nfree++] = id;
		safe_close(fd);
		free(path);
		return r < 0 ? r : -ENOMEM;
	}
	*n = (struct pnode){
	    .id = id,
	    .generation = ++fs->generation,
	    .path = path,
	    .path_len = len,
	    .fd = fd,
	    .type = st->st_mode & S_IFMT,
	    .dev = st->st_dev,
	    .ino = st->st_ino,
	    .nlookup = 1,
	};
	fs->slots[id] = n;
	fs->nnodes++;
	fs->path_bytes += len;
	hash_grow(fs);
	hash_insert(fs, n);
	*ret = n;
	return 0;
}

void pnode_forget(struct pfs *fs, struct pnode *n, uint64_t nlookup)
{
	if (n->id == FUSE_ROOT_ID)
		return; /* the root lives as long as the session */
	n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
	if (n->nlookup > 0)
		return;
	pnode_unhash(fs, n);
	pnode_free(fs, n);
}

void pnode_unhash_path(struct pfs *fs, const char *path, bool tree)
{
	struct pnode *n = pnode_find(fs, path);
	if (n && n->id != FUSE_ROOT_ID)
		pnode_unhash(fs, n);
	if (!tree)
		return;
	for (size_t i = 2; i < fs->nslots; i++) {
		n = fs->slots[i];
		if (n && n->hashed && path_is_under(n->path, path))
			pnode_unhash(fs, n);
	}
}

void pnode_move_free(struct pnode_move *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->paths[i]);
	free(m->paths);
	free(m->nodes);
	free(m->to);
	free(m);
}

/* dir + the part of path after prefix (path is prefix or beneath it). */
static char *path_rebase(const char *path, const char *prefix, const char *dir)
{
	const char *rest = path + strlen(prefix);
	size_t dl = strlen(dir), rl = strlen(rest);
	char *p = malloc(dl + rl + 1);
	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	memcpy(p + dl, rest, rl + 1);
	return p;
}

int pnode_move_prepare(struct pfs *fs, const char *from, const char *to, bool exchange,
		       struct pnode_move **ret)
{
	struct pnode_move *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->exchange = exchange;
	m->to = strdup(to);
	m->nodes = calloc(fs->nhashed + 1, sizeof(*m->nodes));
	m->paths = calloc(fs->nhashed + 1, sizeof(*m->paths));
	if (!m->to || !m->nodes || !m->paths) {
		pnode_move_free(m);
		return -ENOMEM;
	}
	size_t bytes = fs->path_bytes;
	for (size_t i = 2; i < fs->nslots; i++) {
		struct pnode *n = fs->slots[i];
		char *p = NULL;
		if (!n || !n->hashed)
			continue;
		if (path_is_under(n->path, from))
			p = path_rebase(n->path, from, to);
		else if (exchange && path_is_under(n->path, to))
			p = path_rebase(n->path, to, from);
		else
			continue;
		if (p)
			bytes = bytes - n->path_len + strlen(p);
		if (!p || bytes > PATHFS_PATH_BYTES_MAX) {
			free(p);
			pnode_move_free(m);
			return -ENOMEM;
		}
		m->nodes[m->n] = n;
		m->paths[m->n++] = p;
	}
	*ret = m;
	return 0;
}

void pnode_move_commit(struct pfs *fs, struct pnode_move *m)
{
	/* What stood at the target was replaced: it keeps its node until forgotten, but the
	 * name no longer leads to it. */
	if (!m->exchange)
		pnode_unhash_path(fs, m->to, true);
	for (size_t i = 0; i < m->n; i++)
		pnode_unhash(fs, m->nodes[i]);
	for (size_t i = 0; i < m->n; i++) {
		struct pnode *n = m->nodes[i];
		fs->path_bytes -= n->path_len;
		free(n->path);
		n->path = m->paths[i];
		n->path_len = strlen(n->path);
		fs->path_bytes += n->path_len;
		m->paths[i] = NULL;
		hash_insert(fs, n);
	}
	m->n = 0;
}
