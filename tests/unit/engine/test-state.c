/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Container state on disk: ids, save/load round trip, live status from /proc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "engine/state.h"
#include "macro.h"
#include "strv.h"

static char root[64];

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/hutch-state-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_ids(void **state)
{
	assert_true(container_id_valid("abc-1.2_x+y"));
	assert_false(container_id_valid(""));
	assert_false(container_id_valid("."));
	assert_false(container_id_valid(".."));
	assert_false(container_id_valid("a/b"));
	assert_false(container_id_valid("a b"));
	char long_id[1100];
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_false(container_id_valid(long_id));
}

static void test_create_twice_is_eexist(void **state)
{
	struct hutch_err err = { 0 };
	_cleanup_close_ int fd = -1, fd2 = -1;
	assert_int_equal(state_dir_create(root, "c1", &fd, &err), 0);
	assert_int_equal(state_dir_create(root, "c1", &fd2, &err), -EEXIST);
	assert_string_equal(err.msg, "container 'c1' already exists");
	assert_int_equal(state_dir_open(root, "nope", &fd2, &err), -ENOENT);
	assert_string_equal(err.msg, "container 'nope' does not exist");
	assert_int_equal(state_dir_create(root, "../x", &fd2, &err), -EINVAL);
}

static void test_save_load_round_trip(void **state)
{
	struct hutch_err err = { 0 };
	_cleanup_close_ int fd = -1;
	assert_int_equal(state_dir_create(root, "c2", &fd, &err), 0);
	struct container_state s = {
		.id = strdup("c2"), .bundle = strdup("/b"), .rootfs = strdup("/b/rootfs"),
		.created = strdup("2026-01-01T00:00:00Z"), .owner = strdup("root"),
		.pid = getpid(), .pid_start = pid_start_time(getpid()), .started = true,
	};
	strv_push(&s.annotations, "k=v");
	assert_int_equal(state_save(fd, &s, &err), 0);
	struct container_state l;
	assert_int_equal(state_load(fd, "c2", &l, &err), 0);
	assert_string_equal(l.bundle, "/b");
	assert_int_equal(l.pid, getpid());
	assert_true(l.started);
	assert_string_equal(l.annotations[0], "k=v");
	assert_true(state_pid_alive(&l));
	_cleanup_free_ char *json = state_to_json(&l, STATUS_RUNNING, false);
	assert_non_null(strstr(json, "\"status\":\"running\""));
	assert_non_null(strstr(json, "\"k\":\"v\""));
	container_state_release(&s);
	container_state_release(&l);
	assert_int_equal(state_dir_remove(root, "c2"), 0);
}

static void test_dead_or_reused_pid_is_stopped(void **state)
{
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	struct container_state s = { .id = (char *)"c3", .pid = child, .pid_start = 12345,
				     .started = true };
	assert_int_equal(state_status(&s), STATUS_STOPPED);
	/* Our own pid with a wrong start time: a reused pid is not the container. */
	s.pid = getpid();
	assert_false(state_pid_alive(&s));
	s.pid = 0;
	assert_int_equal(state_status(&s), STATUS_CREATING);
}

static void test_corrupt_state_is_an_error(void **state)
{
	struct hutch_err err = { 0 };
	_cleanup_close_ int fd = -1;
	assert_int_equal(state_dir_create(root, "c4", &fd, &err), 0);
	int f = openat(fd, "state.json", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(f >= 0);
	assert_int_equal(write(f, "{not json", 9), 9);
	close(f);
	struct container_state l;
	assert_int_equal(state_load(fd, "c4", &l, &err), -EBADMSG);
	assert_string_equal(err.msg, "state of container 'c4' is corrupt");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test_setup_teardown(test_create_twice_is_eexist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load_round_trip, setup, teardown),
		cmocka_unit_test(test_dead_or_reused_pid_is_stopped),
		cmocka_unit_test_setup_teardown(test_corrupt_state_is_an_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
