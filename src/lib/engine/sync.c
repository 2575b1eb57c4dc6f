/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <sys/socket.h>

#include "engine/sync.h"
#include "err.h"
#include "sockio.h"

int send_fd(int sock, int fd, const void *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return negative_errno();
	}
}

int sync_send(int sock, uint32_t type, int32_t pid, const struct hutch_err *e, int fd)
{
	struct sync_msg m = { .type = type, .pid = pid };
	if (e)
		m.err = *e;
	return send_fd(sock, fd, &m, sizeof(m));
}

int sync_recv(int sock, struct sync_msg *ret, int *ret_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = ret, .iov_len = sizeof(*ret) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg_polled(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -EPIPE;
	int fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if ((size_t)n != sizeof(*ret)) {
		safe_close(fd);
		return -EBADMSG;
	}
	ret->err.msg[sizeof(ret->err.msg) - 1] = '\0';
	if (ret_fd)
		*ret_fd = fd;
	else
		safe_close(fd);
	return 0;
}

int sync_expect(int sock, uint32_t type, struct sync_msg *ret, struct hutch_err *err)
{
	int r = sync_recv(sock, ret, NULL);
	if (r < 0)
		return err_set_errno(err, -r, "sync with container process");
	if (ret->type == SYNC_ERROR) {
		if (err)
			*err = ret->err;
		return -(ret->err.code > 0 ? ret->err.code : EIO);
	}
	if (ret->type != type)
		return err_set(err, EPROTO, "sync: expected message %u, got %u", type, ret->type);
	return 0;
}
