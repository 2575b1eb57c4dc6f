/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for mount_opts_parse: every option family, overrides, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "fs/fs-internal.h"

static int parse(char **opts, struct mount_opts *o)
{
	struct hutch_err err = {0};
	int r = mount_opts_parse(opts, o, &err);
	if (r < 0)
		print_message("# %s\n", err.msg);
	return r;
}

static void test_flags_and_clears(void **state)
{
	struct mount_opts o;
	char *opts[] = {"ro",	"nosuid",  "nodev",	 "noexec",	"sync", "dirsync",
			"mand", "noatime", "nodiratime", "nosymfollow", "suid", NULL};
	assert_int_equal(parse(opts, &o), 0);
	assert_int_equal(o.flags, MS_RDONLY | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_DIRSYNC |
				      MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_NOSYMFOLLOW);
	assert_int_equal(o.clear, MS_NOSUID);
	assert_null(o.data);
	assert_false(o.bind);
	mount_opts_release(&o);
}

static void test_later_option_wins(void **state)
{
	struct mount_opts o;
	char *opts[] = {"ro",	      "rw",	     "exec",  "noexec",	  "async",  "relatime",
			"norelatime", "strictatime", "atime", "diratime", "nomand", "nostrictatime",
			NULL};
	assert_int_equal(parse(opts, &o), 0);
	assert_int_equal(o.flags, MS_NOEXEC);
	assert_int_equal(o.clear, MS_RDONLY | MS_SYNCHRONOUS | MS_RELATIME | MS_STRICTATIME |
				      MS_NOATIME | MS_NODIRATIME | MS_MANDLOCK);
	mount_opts_release(&o);
}

static void test_bind_and_propagation(void **state)
{
	struct mount_opts o;
	char *a[] = {"bind", "private", NULL};
	assert_int_equal(parse(a, &o), 0);
	assert_true(o.bind);
	assert_false(o.rbind);
	assert_false(o.recursive);
	assert_int_equal(o.propagation, MS_PRIVATE);
	char *b[] = {"rbind", "rslave", "remount", NULL};
	assert_int_equal(parse(b, &o), 0);
	assert_true(o.bind && o.rbind && o.recursive);
	assert_int_equal(o.propagation, MS_SLAVE | MS_REC);
	assert_int_equal(o.flags, MS_REMOUNT);
	const char *names[] = {"shared", "rshared", "unbindable", "runbindable", "rprivate"};
	const unsigned long want[] = {MS_SHARED, MS_SHARED | MS_REC, MS_UNBINDABLE,
				      MS_UNBINDABLE | MS_REC, MS_PRIVATE | MS_REC};
	for (size_t i = 0; i < 5; i++) {
		char *c[] = {(char *)names[i], NULL};
		assert_int_equal(parse(c, &o), 0);
		assert_int_equal(o.propagation, want[i]);
	}
}

static void test_recursive_attrs(void **state)
{
	struct mount_opts o;
	char *opts[] = {"rro",		"rnosuid", "rnodev",   "rnoexec", "rnodiratime",
			"rnosymfollow", "rsuid",   "rnoatime", NULL};
	assert_int_equal(parse(opts, &o), 0);
	assert_true(o.recursive);
	assert_int_equal(o.rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
					     MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW |
					     MOUNT_ATTR_NOATIME);
	assert_int_equal(o.rec_attr_clr, MOUNT_ATTR_NOSUID | MOUNT_ATTR__ATIME);
	assert_int_equal(o.flags, 0);
	char *b[] = {"rnoatime", "ratime", "rrw", "rdev", "rexec", "rdiratime", "rsymfollow", NULL};
	assert_int_equal(parse(b, &o), 0);
	assert_int_equal(o.rec_attr_set, 0); /* ratime = relatime, the value 0 */
	assert_int_equal(o.rec_attr_clr, MOUNT_ATTR__ATIME | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV |
					     MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME |
					     MOUNT_ATTR_NOSYMFOLLOW);
	char *c[] = {"rstrictatime", NULL};
	assert_int_equal(parse(c, &o), 0);
	assert_int_equal(o.rec_attr_set, MOUNT_ATTR_STRICTATIME);
}

static void test_idmap_tmpcopyup(void **state)
{
	struct mount_opts o;
	char *a[] = {"idmap", NULL};
	assert_int_equal(parse(a, &o), 0);
	assert_true(o.idmap);
	assert_false(o.idmap_recursive);
	char *b[] = {"ridmap", "tmpcopyup", NULL};
	assert_int_equal(parse(b, &o), 0);
	assert_true(o.idmap && o.idmap_recursive && o.tmpcopyup);
}

static void test_data_string(void **state)
{
	struct mount_opts o;
	char *opts[] = {"nosuid", "size=64m", "", "mode=755", "defaults", "context=\"a,b\"", NULL};
	assert_int_equal(parse(opts, &o), 0);
	assert_string_equal(o.data, "size=64m,mode=755,context=\"a,b\"");
	assert_int_equal(o.flags, MS_NOSUID);
	mount_opts_release(&o);
	assert_null(o.data);
	mount_opts_release(&o); /* twice is harmless */
	assert_int_equal(parse(NULL, &o), 0);
	assert_int_equal(o.flags, 0);
}

static void test_limits(void **state)
{
	struct mount_opts o;
	char *many[MOUNT_OPTS_MAX + 2];
	for (size_t i = 0; i < MOUNT_OPTS_MAX + 1; i++)
		many[i] = "ro";
	many[MOUNT_OPTS_MAX + 1] = NULL;
	struct hutch_err err = {0};
	assert_int_equal(mount_opts_parse(many, &o, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "mount options"));
	many[MOUNT_OPTS_MAX] = NULL;
	assert_int_equal(mount_opts_parse(many, &o, &err), 0);

	static char big[MOUNT_OPTS_DATA_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	char *b[] = {big, NULL};
	assert_int_equal(mount_opts_parse(b, &o, &err), -E2BIG);
	big[MOUNT_OPTS_DATA_MAX] = '\0'; /* exactly the cap fits */
	assert_int_equal(mount_opts_parse(b, &o, &err), 0);
	assert_int_equal(strlen(o.data), MOUNT_OPTS_DATA_MAX);
	mount_opts_release(&o);
	char *c[] = {big, "y", NULL}; /* the cap counts the separating comma */
	assert_int_equal(mount_opts_parse(c, &o, &err), -E2BIG);
}

static void test_attr_conversion(void **state)
{
	assert_int_equal(mount_flags_to_attr(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC),
			 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			     MOUNT_ATTR_NOEXEC);
	assert_int_equal(mount_flags_to_attr(MS_NOATIME | MS_STRICTATIME), MOUNT_ATTR_STRICTATIME);
	assert_int_equal(mount_flags_to_attr(MS_SYNCHRONOUS | MS_REMOUNT), 0);
	assert_int_equal(mount_clear_to_attr(0, MS_RDONLY), MOUNT_ATTR_RDONLY);
	assert_int_equal(mount_clear_to_attr(MS_NOATIME, 0), MOUNT_ATTR__ATIME);
	assert_int_equal(mount_clear_to_attr(0, MS_NOATIME), MOUNT_ATTR__ATIME);
	assert_int_equal(mount_clear_to_attr(MS_RDONLY, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flags_and_clears),
	    cmocka_unit_test(test_later_option_wins),
	    cmocka_unit_test(test_bind_and_propagation),
	    cmocka_unit_test(test_recursive_attrs),
	    cmocka_unit_test(test_idmap_tmpcopyup),
	    cmocka_unit_test(test_data_string),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_attr_conversion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
