/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runtime ↔ container-child conversation during create, over a SOCK_SEQPACKET pair:
 *   parent → child: GO (maps written, cgroup entered)
 *   child → parent: PID (when a grandchild becomes init), HOOKS (run create hooks now),
 *                   PTY (+ the master fd), READY (set up, waiting for start) or ERROR
 *   parent → child: HOOKS_DONE
 * When namespaces are joined by path, the child creates its user namespace itself (after
 * joining the others) and asks for its maps with MAPS / MAPS_DONE.
 * One message per packet; an ERROR carries the child's struct hutch_err as is.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "hutch/hutch.h"

enum sync_type {
	SYNC_GO = 1,
	SYNC_PID,
	SYNC_HOOKS,
	SYNC_HOOKS_DONE,
	SYNC_PTY,
	SYNC_READY,
	SYNC_ERROR,
	SYNC_MAPS,      /* child → parent: I made a user namespace, write my id maps */
	SYNC_MAPS_DONE, /* parent → child */
};

struct sync_msg {
	uint32_t type;
	int32_t pid;
	struct hutch_err err;
};

/* Sends a message, with fd attached if fd >= 0. */
int sync_send(int sock, uint32_t type, int32_t pid, const struct hutch_err *e, int fd);
/* Receives one message (and an fd, if one rides along and ret_fd is set). EOF is -EPIPE. */
int sync_recv(int sock, struct sync_msg *ret, int *ret_fd);
/* Receives and requires a given type; an ERROR message is copied into err. */
int sync_expect(int sock, uint32_t type, struct sync_msg *ret, struct hutch_err *err);

/* Sends one fd over a Unix socket (SCM_RIGHTS) with a small payload. */
int send_fd(int sock, int fd, const void *data, size_t len);
