/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for src/basic: errors, string vectors, file I/O, paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "parse.h"
#include "path.h"
#include "sockio.h"
#include "strv.h"

static void test_err_prefix_chains(void **state)
{
	struct hutch_err err = { 0 };
	assert_int_equal(err_set_errno(&err, ENOENT, "open '%s'", "/x"), -ENOENT);
	assert_int_equal(err_prefix(&err, "container '%s'", "c1"), -ENOENT);
	assert_string_equal(err.msg, "container 'c1': open '/x': No such file or directory");
}

static void test_err_null_is_safe(void **state)
{
	assert_int_equal(err_set(NULL, EINVAL, "x"), -EINVAL);
	assert_int_equal(err_set(NULL, 0, "x"), -EIO);
}

static void test_strv_env(void **state)
{
	_cleanup_strv_ char **v = NULL;
	assert_int_equal(strv_env_set(&v, "A=1"), 0);
	assert_int_equal(strv_env_set(&v, "AB=2"), 0);
	assert_int_equal(strv_env_set(&v, "A=3"), 0);
	assert_int_equal(strv_length(v), 2);
	assert_string_equal(strv_env_get(v, "A"), "3");
	assert_string_equal(strv_env_get(v, "AB"), "2");
	assert_null(strv_env_get(v, "B"));
}

static void test_path_normalized(void **state)
{
	assert_true(path_is_normalized_absolute("/a/b"));
	assert_true(path_is_normalized_absolute("/a/..b/c"));
	assert_false(path_is_normalized_absolute("a/b"));
	assert_false(path_is_normalized_absolute("/a/../b"));
	assert_false(path_is_normalized_absolute("/a/./b"));
	_cleanup_free_ char *j = path_join("/", "x");
	assert_string_equal(j, "/x");
	_cleanup_free_ char *k = path_join("/a/", "/b");
	assert_string_equal(k, "/a/b");
}

static void test_open_in_root_clamps_symlinks(void **state)
{
	char dir[] = "/tmp/hutch-unit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	_cleanup_close_ int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	assert_int_equal(symlinkat("/etc", root, "esc"), 0);
	assert_int_equal(mkdirat(root, "etc", 0755), 0);
	/* "esc/passwd" inside the root means <root>/etc/passwd, which does not exist. */
	assert_int_equal(open_in_root(root, "esc/passwd", O_RDONLY, 0), -ENOENT);
	_cleanup_close_ int made = mkdir_p_in_root(root, "/esc/x/y", 0755);
	assert_true(made >= 0);
	struct stat st;
	assert_int_equal(fstatat(root, "etc/x/y", &st, 0), 0);
	assert_int_equal(open_in_root(root, "../../etc", O_RDONLY, 0) >= 0, 1);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_write_file_atomic(void **state)
{
	char path[] = "/tmp/hutch-unit-atomic-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(write_file_atomic(path, "hello", 5, 0640), 0);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	assert_int_equal(read_file_at(AT_FDCWD, path, 100, &buf, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "hello");
	free(buf);
	buf = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, path, 3, &buf, &len), -EFBIG);
	unlink(path);
}

static void test_runtime_dir_and_absolute(void **state)
{
	_cleanup_free_ char *d = runtime_dir("oci");
	assert_non_null(d);
	if (geteuid() == 0)
		assert_string_equal(d, "/run/hutch/oci");
	_cleanup_free_ char *a = path_absolute("/x/y");
	assert_string_equal(a, "/x/y");
	_cleanup_free_ char *r = path_absolute("rel");
	assert_true(r[0] == '/' && strcmp(r + strlen(r) - 4, "/rel") == 0);
}

/* recvmsg_polled: waits for data that comes later, carries fds, reports EOF and errors. */
static void test_recvmsg_polled(void **state)
{
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) { /* sends late, so that the reader has to sleep; passes its stdin along */
		usleep(20000);
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u = { 0 };
		struct iovec iov = { .iov_base = "hi", .iov_len = 2 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		int fd = 0;
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		_exit(sendmsg(sp[1], &mh, 0) == 2 ? 0 : 1);
	}
	close(sp[1]);
	char data[8] = { 0 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	assert_int_equal(recvmsg_polled(sp[0], &mh, MSG_CMSG_CLOEXEC), 2);
	assert_memory_equal(data, "hi", 2);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	assert_non_null(c);
	assert_int_equal(c->cmsg_type, SCM_RIGHTS);
	int got;
	memcpy(&got, CMSG_DATA(c), sizeof(int));
	assert_true(got > 2);
	assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
	close(got);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	mh.msg_controllen = sizeof(u.buf);
	assert_int_equal(recvmsg_polled(sp[0], &mh, 0), 0); /* the peer is gone: EOF */
	close(sp[0]);
	assert_int_equal(recvmsg_polled(sp[0], &mh, 0), -EBADF);
}

static void test_parse_size(void **state)
{
	int64_t v;
	assert_int_equal(parse_size("1024", &v), 0);
	assert_int_equal(v, 1024);
	assert_int_equal(parse_size("64m", &v), 0);
	assert_int_equal(v, 64LL << 20);
	assert_int_equal(parse_size("2GB", &v), 0);
	assert_int_equal(v, 2LL << 30);
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("-1", &v), -EINVAL);
	assert_int_equal(parse_size("12q", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999t", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_prefix_chains),
		cmocka_unit_test(test_err_null_is_safe),
		cmocka_unit_test(test_strv_env),
		cmocka_unit_test(test_path_normalized),
		cmocka_unit_test(test_open_in_root_clamps_symlinks),
		cmocka_unit_test(test_write_file_atomic),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_recvmsg_polled),
		cmocka_unit_test(test_runtime_dir_and_absolute),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
