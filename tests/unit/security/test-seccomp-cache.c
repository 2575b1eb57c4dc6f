/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The compiled-filter cache: hits give the same BPF, and nothing but the exact profile can
 * be served from it (a planted or colliding entry is ignored), nor from a dir others own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"
#include "security/profile.h"
#include "security/security.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/hutch-scache-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static bool same_program(const struct seccomp_program *a, const struct seccomp_program *b)
{
	size_t na, nb;
	unsigned fa, fb;
	const struct sock_filter *ia = seccomp_program_bpf(a, &na, &fa);
	const struct sock_filter *ib = seccomp_program_bpf(b, &nb, &fb);
	return na == nb && fa == fb && memcmp(ia, ib, na * sizeof(*ia)) == 0;
}

/* The one file the cache wrote, as a path. */
static void cache_file(char *buf, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	buf[0] = '\0';
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			snprintf(buf, size, "%s/%s", dir, de->d_name);
	if (d)
		closedir(d);
}

static void test_hit_gives_same_program(void **state)
{
	struct spec_seccomp *prof = NULL;
	assert_int_equal(seccomp_default_profile(&prof), 0);
	struct seccomp_program *direct = NULL, *first = NULL, *second = NULL;
	assert_int_equal(seccomp_compile(prof, &direct, NULL), 0);
	assert_int_equal(seccomp_compile_cached(prof, dir, &first, NULL), 0);
	char path[256];
	cache_file(path, sizeof(path));
	assert_true(path[0] != '\0');
	assert_int_equal(seccomp_compile_cached(prof, dir, &second, NULL), 0);
	assert_true(same_program(direct, first));
	assert_true(same_program(direct, second));
	seccomp_program_free(direct);
	seccomp_program_free(first);
	seccomp_program_free(second);
	seccomp_profile_free(prof);
}

static void test_entry_for_another_profile_is_ignored(void **state)
{
	struct spec_seccomp *prof = NULL;
	assert_int_equal(seccomp_default_profile(&prof), 0);
	struct seccomp_program *p = NULL;
	assert_int_equal(seccomp_compile_cached(prof, dir, &p, NULL), 0);
	seccomp_program_free(p);
	char path[256];
	cache_file(path, sizeof(path));
	/* Plant an allow-all filter under the same name, with a different key: as an attacker
	 * with a colliding profile would. The key comparison must refuse it. */
	_cleanup_free_ char *data = NULL;
	size_t len;
	assert_int_equal(read_file_at(AT_FDCWD, path, 1 << 20, &data, &len), 0);
	data[strlen("HSCC1\n") + 8 + 3] ^= 0x5a; /* a byte of the key */
	assert_int_equal(write_file_atomic(path, data, len, 0600), 0);
	assert_int_equal(seccomp_compile_cached(prof, dir, &p, NULL), 0);
	struct seccomp_program *direct = NULL;
	assert_int_equal(seccomp_compile(prof, &direct, NULL), 0);
	assert_true(same_program(direct, p));
	seccomp_program_free(direct);
	seccomp_program_free(p);
	seccomp_profile_free(prof);
}

static void test_open_dir_is_not_used(void **state)
{
	assert_int_equal(chmod(dir, 0777), 0);
	struct spec_seccomp *prof = NULL;
	assert_int_equal(seccomp_default_profile(&prof), 0);
	struct seccomp_program *p = NULL;
	assert_int_equal(seccomp_compile_cached(prof, dir, &p, NULL), 0);
	char path[256];
	cache_file(path, sizeof(path));
	assert_string_equal(path, ""); /* nothing written to a world-writable dir */
	seccomp_program_free(p);
	seccomp_profile_free(prof);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hit_gives_same_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_for_another_profile_is_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_dir_is_not_used, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
