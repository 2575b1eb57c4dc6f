/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Socket reads that sleep in poll(), not in recvmsg(). */
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

/*
 * recvmsg() for a blocking AF_UNIX socket, retried on EINTR; returns bytes read or -errno.
 *
 * A reader blocked inside recvmsg() sits on the socket's one wait queue, which the kernel
 * also wakes whenever the peer consumes something we sent ("you may write again"). In a
 * request/reply exchange that is every message: the peer pays for waking us (an IPI when we
 * are on another CPU, ~15 us inside its recvmsg on a VM) and we wake only to sleep again.
 * poll() for POLLIN only is woken by data alone. So: try without waiting, then poll, then read.
 */
ssize_t recvmsg_polled(int fd, struct msghdr *mh, int flags);
