/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>

#include "sockio.h"

ssize_t recvmsg_polled(int fd, struct msghdr *mh, int flags)
{
	for (;;) {
		ssize_t n = recvmsg(fd, mh, flags | MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
}
