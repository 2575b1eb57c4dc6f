/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* File operations through the agent (see fileops.c in the agent for what each one does). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "macro.h"

/* Sends a request naming a path; fills m with the reply if m is non-NULL. */
static int path_call(struct hutch_agent *a, struct proto_enc *e, uint32_t req, const char *op,
		     const char *path, struct client_msg *m, struct hutch_err *err)
{
	int r = client_call(a, e, req, NULL, 0, NULL, NULL, m, err);
	return r < 0 ? err_prefix(err, "%s '%s'", op, path) : 0;
}

static uint32_t begin_path(struct hutch_agent *a, struct proto_enc *e, uint16_t type,
			   const char *path)
{
	uint32_t req = client_begin(a, e, type);
	proto_put_str(e, T_PATH, path);
	return req;
}

_public_ int hutch_agent_file_open(struct hutch_agent *a, const char *path, int flags,
				   uint32_t mode, int *ret_fd, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = begin_path(a, &e, PROTO_OPEN, path);
	proto_put_u32(&e, T_FLAGS, (uint32_t)flags);
	proto_put_u32(&e, T_MODE, mode);
	struct client_msg m;
	int r = path_call(a, &e, req, "open", path, &m, err);
	if (r < 0)
		return r;
	if (m.nfds != 1) {
		client_msg_release(&m);
		return err_set(err, EBADMSG, "open '%s': reply without fd", path);
	}
	*ret_fd = m.fds[0];
	m.nfds = 0;
	client_msg_release(&m);
	return 0;
}

_public_ int hutch_agent_file_stat(struct hutch_agent *a, const char *path, int nofollow,
				   struct hutch_stat *ret, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = begin_path(a, &e, PROTO_STAT, path);
	if (nofollow)
		proto_put_u32(&e, T_NOFOLLOW, 1);
	struct client_msg m;
	int r = path_call(a, &e, req, "stat", path, &m, err);
	if (r < 0)
		return r;
	uint32_t t = 0;
	*ret = (struct hutch_stat){ 0 };
	proto_get_u32(&m.f, T_FTYPE, &t);
	ret->type = t <= HUTCH_FT_SOCK ? (enum hutch_file_type)t : HUTCH_FT_UNKNOWN;
	proto_get_u32(&m.f, T_MODE, &ret->mode);
	proto_get_u32(&m.f, T_UID, &ret->uid);
	proto_get_u32(&m.f, T_GID, &ret->gid);
	proto_get_u64(&m.f, T_SIZE, &ret->size);
	proto_get_u64(&m.f, T_INO, &ret->ino);
	proto_get_u64(&m.f, T_NLINK, &ret->nlink);
	proto_get_i64(&m.f, T_MTIME_NS, &ret->mtime_ns);
	client_msg_release(&m);
	return 0;
}

_public_ void hutch_dirents_free(struct hutch_dirent *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}

_public_ int hutch_agent_file_readdir(struct hutch_agent *a, const char *path,
				      struct hutch_dirent **ret, size_t *ret_n, int *ret_truncated,
				      struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = begin_path(a, &e, PROTO_READDIR, path);
	struct client_msg m;
	int r = path_call(a, &e, req, "readdir", path, &m, err);
	if (r < 0)
		return r;
	size_t n = proto_count(&m.f, T_ENTRY), k = 0;
	struct hutch_dirent *v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		r = -ENOMEM;
	for (size_t i = 0; i < m.f.n && r == 0; i++) {
		const struct proto_field *x = &m.f.f[i];
		if (x->tag != T_ENTRY || x->type != PROTO_T_MSG)
			continue;
		struct proto_fields sub;
		r = proto_decode(x->val, x->len, &sub);
		if (r < 0)
			break;
		uint32_t t = 0;
		proto_get_u32(&sub, T_FTYPE, &t);
		r = proto_get_str(&sub, T_NAME, &v[k].name);
		v[k].type = t <= HUTCH_FT_SOCK ? (enum hutch_file_type)t : HUTCH_FT_UNKNOWN;
		proto_fields_release(&sub);
		if (r == 0)
			k++;
	}
	uint32_t tr = 0;
	proto_get_u32(&m.f, T_TRUNCATED, &tr);
	client_msg_release(&m);
	if (r < 0) {
		hutch_dirents_free(v, k);
		return err_set_errno(err, -r, "readdir '%s': bad reply", path);
	}
	*ret = v;
	*ret_n = k;
	if (ret_truncated)
		*ret_truncated = tr != 0;
	return 0;
}

_public_ int hutch_agent_file_mkdir(struct hutch_agent *a, const char *path, uint32_t mode,
				    int parents, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = begin_path(a, &e, PROTO_MKDIR, path);
	proto_put_u32(&e, T_MODE, mode);
	proto_put_u32(&e, T_PARENTS, parents ? 1 : 0);
	return path_call(a, &e, req, "mkdir", path, NULL, err);
}

_public_ int hutch_agent_file_remove(struct hutch_agent *a, const char *path, int recursive,
				     struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = begin_path(a, &e, PROTO_REMOVE, path);
	proto_put_u32(&e, T_RECURSIVE, recursive ? 1 : 0);
	return path_call(a, &e, req, "remove", path, NULL, err);
}

_public_ int hutch_agent_file_rename(struct hutch_agent *a, const char *from, const char *to,
				     struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = begin_path(a, &e, PROTO_RENAME, from);
	proto_put_str(&e, T_PATH2, to);
	return path_call(a, &e, req, "rename", from, NULL, err);
}

_public_ int hutch_agent_file_chmod(struct hutch_agent *a, const char *path, uint32_t mode,
				    struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = begin_path(a, &e, PROTO_CHMOD, path);
	proto_put_u32(&e, T_MODE, mode);
	return path_call(a, &e, req, "chmod", path, NULL, err);
}

_public_ int hutch_agent_file_chown(struct hutch_agent *a, const char *path, uint32_t uid,
				    uint32_t gid, int nofollow, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = begin_path(a, &e, PROTO_CHOWN, path);
	proto_put_u32(&e, T_UID, uid);
	proto_put_u32(&e, T_GID, gid);
	if (nofollow)
		proto_put_u32(&e, T_NOFOLLOW, 1);
	return path_call(a, &e, req, "chown", path, NULL, err);
}

_public_ int hutch_agent_file_write(struct hutch_agent *a, const char *path, const void *data,
				    size_t len, uint32_t mode, struct hutch_err *err)
{
	if (len > PROTO_MAX_PAYLOAD - 8192)
		return err_set(err, EFBIG, "write '%s': %zu bytes is too large for one request",
			       path, len);
	struct proto_enc e;
	uint32_t req = begin_path(a, &e, PROTO_WRITE_FILE, path);
	proto_put_bytes(&e, T_DATA, data, len);
	proto_put_u32(&e, T_MODE, mode);
	return path_call(a, &e, req, "write", path, NULL, err);
}

_public_ int hutch_agent_file_read(struct hutch_agent *a, const char *path, size_t max, void **ret,
				   size_t *ret_len, int *ret_truncated, struct hutch_err *err)
{
	struct proto_enc e;
	uint32_t req = begin_path(a, &e, PROTO_READ_FILE, path);
	proto_put_u32(&e, T_MAX, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max);
	struct client_msg m;
	int r = path_call(a, &e, req, "read", path, &m, err);
	if (r < 0)
		return r;
	const uint8_t *data = NULL;
	size_t len = 0;
	uint32_t tr = 0;
	proto_get_bytes(&m.f, T_DATA, &data, &len);
	proto_get_u32(&m.f, T_TRUNCATED, &tr);
	char *buf = malloc(len + 1);
	if (buf) {
		if (len)
			memcpy(buf, data, len);
		buf[len] = '\0';
	}
	client_msg_release(&m);
	if (!buf)
		return err_set(err, ENOMEM, "read '%s'", path);
	*ret = buf;
	*ret_len = len;
	if (ret_truncated)
		*ret_truncated = tr != 0;
	return 0;
}
