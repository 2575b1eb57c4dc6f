/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for libhutch's exec-plane client against a hostile or broken peer: the agent
 * lives inside the sandbox, so its replies are untrusted input. A forked peer on a real
 * socketpair answers the handshake with crafted bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hutch/hutch.h"
#include "macro.h"
#include "proto.h"

/* Forks a peer on a socketpair: *ret_fd is its end in the peer (returns 0), ours here. */
static pid_t fork_peer(int *ret_fd)
{
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	close(sp[pid == 0 ? 0 : 1]);
	*ret_fd = sp[pid == 0 ? 1 : 0];
	return pid;
}

/* Runs a peer that reads the HELLO, then writes `reply` (len bytes) and closes. */
static int peer_with(const void *reply, size_t len, pid_t *ret_pid)
{
	int fd;
	pid_t pid = fork_peer(&fd);
	if (pid == 0) {
		char buf[4096];
		ssize_t n _unused_ = read(fd, buf, sizeof(buf));
		if (len)
			n = write(fd, reply, len);
		_exit(0);
	}
	*ret_pid = pid;
	return fd;
}

static int connect_to(const void *reply, size_t len, struct hutch_err *err)
{
	pid_t pid;
	int fd = peer_with(reply, len, &pid);
	struct hutch_agent *a = NULL;
	int r = hutch_agent_connect_fd(fd, NULL, &a, err);
	hutch_agent_close(a);
	waitpid(pid, NULL, 0);
	return r;
}

static void test_connect_missing_socket(void **state)
{
	struct hutch_err err = { 0 };
	struct hutch_agent *a;
	assert_int_equal(hutch_agent_connect("/nonexistent/agent.sock", NULL, &a, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "'/nonexistent/agent.sock'"));
}

static void test_peer_hangs_up(void **state)
{
	struct hutch_err err = { 0 };
	assert_int_equal(connect_to(NULL, 0, &err), -ECONNRESET);
	assert_non_null(strstr(err.msg, "receive from agent"));
}

static void test_peer_sends_garbage(void **state)
{
	struct hutch_err err = { 0 };
	char junk[64];
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(connect_to(junk, sizeof(junk), &err), -EBADMSG);
}

static void test_peer_refuses(void **state)
{
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_ERROR, 0, 1);
	proto_put_u32(&e, T_ERRNO, EACCES);
	proto_put_str(&e, T_MESSAGE, "hello: wrong token");
	assert_int_equal(proto_enc_end(&e, 0), 0);
	struct hutch_err err = { 0 };
	assert_int_equal(connect_to(e.data, e.len, &err), -EACCES);
	assert_string_equal(err.msg, "agent: hello: wrong token");
	proto_enc_release(&e);
}

static void test_peer_bad_version(void **state)
{
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, 1);
	proto_put_u32(&e, T_VERSION, 99);
	assert_int_equal(proto_enc_end(&e, 0), 0);
	struct hutch_err err = { 0 };
	assert_int_equal(connect_to(e.data, e.len, &err), -EPROTO);
	proto_enc_release(&e);
}

static void test_peer_errno_out_of_range(void **state)
{
	/* A hostile agent's errno must not become a nonsense return value. */
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_ERROR, 0, 1);
	proto_put_u32(&e, T_ERRNO, 0x7fffffff);
	assert_int_equal(proto_enc_end(&e, 0), 0);
	struct hutch_err err = { 0 };
	assert_int_equal(connect_to(e.data, e.len, &err), -EIO);
	proto_enc_release(&e);
}

static void test_peer_truncated_payload(void **state)
{
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, 1);
	proto_put_u32(&e, T_VERSION, 1);
	assert_int_equal(proto_enc_end(&e, 0), 0);
	struct hutch_err err = { 0 };
	assert_int_equal(connect_to(e.data, e.len - 3, &err), -ECONNRESET);
	proto_enc_release(&e);
}

static void test_good_handshake(void **state)
{
	struct proto_enc e;
	proto_enc_init(&e);
	/* a stale reply for another id first: skipped */
	proto_enc_begin(&e, PROTO_REPLY, 0, 77);
	assert_int_equal(proto_enc_end(&e, 0), 0);
	proto_enc_begin(&e, PROTO_REPLY, 0, 1);
	proto_put_u32(&e, T_VERSION, 1);
	proto_put_u32(&e, T_AGENT_PID, 1);
	assert_int_equal(proto_enc_end(&e, 0), 0);
	struct hutch_err err = { 0 };
	pid_t pid;
	int fd = peer_with(e.data, e.len, &pid);
	struct hutch_agent *a = NULL;
	assert_int_equal(hutch_agent_connect_fd(fd, NULL, &a, &err), 0);
	assert_int_equal(hutch_agent_pid(a), 1);
	/* the peer is gone now: the next call fails cleanly */
	struct hutch_stat st;
	assert_true(hutch_agent_file_stat(a, "/", 0, &st, &err) < 0);
	hutch_agent_close(a);
	waitpid(pid, NULL, 0);
	proto_enc_release(&e);
}

/*
 * A peer that answers the handshake with protocol `version`, then reads the next request
 * (hutch_agent_exec's SPAWN) and exits with what it saw: bit 0 set if the header carried
 * `version`, bit 1 set if the payload asked for WAIT_EXIT.
 */
static int peer_sees_spawn(uint32_t version, pid_t *ret_pid)
{
	int fd;
	pid_t pid = fork_peer(&fd);
	if (pid == 0) {
		uint8_t buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf)); /* the HELLO */
		struct proto_hdr h;
		if (n < PROTO_HDR_SIZE || proto_hdr_decode(buf, (size_t)n, &h) < 0)
			_exit(100);
		struct proto_enc e;
		proto_enc_init(&e);
		proto_enc_begin(&e, PROTO_REPLY, 0, h.id);
		proto_put_u32(&e, T_VERSION, version);
		if (proto_enc_end(&e, 0) < 0 || write(fd, e.data, e.len) != (ssize_t)e.len)
			_exit(101);
		n = read(fd, buf, sizeof(buf)); /* the SPAWN, with its fds dropped */
		struct proto_fields f;
		if (n < PROTO_HDR_SIZE || proto_hdr_decode(buf, (size_t)n, &h) < 0 ||
		    h.type != PROTO_SPAWN || (size_t)n < PROTO_HDR_SIZE + h.len ||
		    proto_decode(buf + PROTO_HDR_SIZE, h.len, &f) < 0)
			_exit(102);
		uint32_t wait = 0;
		proto_get_u32(&f, T_WAIT_EXIT, &wait);
		_exit((h.version == version ? 1 : 0) | (wait ? 2 : 0));
	}
	*ret_pid = pid;
	return fd;
}

/* Spawn-and-wait in one request only where the agent speaks protocol 2; version-1 agents get
 * version-1 headers and a plain SPAWN. */
static void test_exec_one_trip_only_with_version_2(void **state)
{
	for (uint32_t v = 1; v <= 2; v++) {
		pid_t pid;
		int fd = peer_sees_spawn(v, &pid);
		struct hutch_err err = { 0 };
		struct hutch_agent *a = NULL;
		assert_int_equal(hutch_agent_connect_fd(fd, NULL, &a, &err), 0);
		const char *const argv[] = { "true", NULL };
		struct hutch_spawn_opts o = { .argv = argv };
		struct hutch_exit x;
		assert_true(hutch_agent_exec(a, &o, &x, &err) < 0); /* the peer hangs up */
		hutch_agent_close(a);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), v == 2 ? 3 : 1);
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_missing_socket),
		cmocka_unit_test(test_peer_hangs_up),
		cmocka_unit_test(test_peer_sends_garbage),
		cmocka_unit_test(test_peer_refuses),
		cmocka_unit_test(test_peer_bad_version),
		cmocka_unit_test(test_peer_errno_out_of_range),
		cmocka_unit_test(test_peer_truncated_payload),
		cmocka_unit_test(test_good_handshake),
		cmocka_unit_test(test_exec_one_trip_only_with_version_2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
