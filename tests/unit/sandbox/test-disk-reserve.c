/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the disk reserve setting (src/lib/sandbox/disk-reserve.c): what it parses and
 * refuses, the bytes and inodes it keeps on a file system of a given size, and the agent
 * guards it adds to a sandbox's spec (which mounts get one, one per file system).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "macro.h"
#include "sandbox/disk-reserve.h"
#include "sandbox/sandbox.h"
#include "strv.h"

static void test_parse(void **state)
{
	(void)state;
	struct disk_reserve r;
	assert_int_equal(disk_reserve_parse(NULL, &r), 0);
	assert_int_equal(r.kind, DISK_RESERVE_AUTO);
	assert_int_equal(disk_reserve_parse("auto", &r), 0);
	assert_int_equal(r.kind, DISK_RESERVE_AUTO);
	assert_int_equal(disk_reserve_parse("12.5%", &r), 0);
	assert_int_equal(r.kind, DISK_RESERVE_PERCENT);
	assert_true(r.percent > 12.49 && r.percent < 12.51);
	assert_int_equal(disk_reserve_parse("2g", &r), 0);
	assert_int_equal(r.kind, DISK_RESERVE_BYTES);
	assert_int_equal(r.bytes, 2ULL << 30);
	assert_int_equal(disk_reserve_parse("0", &r), 0);
	assert_int_equal(r.kind, DISK_RESERVE_BYTES);
	assert_int_equal(r.bytes, 0);
	const char *bad[] = { "", "%", "0%", "100%", "150%", "-5%", "x%", "5%%", "1e400%", "nan%",
			      "-1", "5x", "auto1", " 5%", "5% " };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("bad: '%s'\n", bad[i]);
		assert_int_equal(disk_reserve_parse(bad[i], &r), -EINVAL);
	}
}

static void test_amounts(void **state)
{
	(void)state;
	struct disk_reserve r;
	disk_reserve_parse("auto", &r);
	/* 5%, at most 2 GiB */
	assert_int_equal(disk_reserve_bytes(&r, 1000ULL << 20), 50ULL << 20);
	assert_int_equal(disk_reserve_bytes(&r, 1ULL << 40), 2ULL << 30);
	assert_int_equal(disk_reserve_inodes(&r, 20000), 1000);
	assert_int_equal(disk_reserve_inodes(&r, 1ULL << 40), DISK_RESERVE_INODES_MAX);
	disk_reserve_parse("10%", &r);
	/* A percentage given is not capped. */
	assert_int_equal(disk_reserve_bytes(&r, 1ULL << 40), (1ULL << 40) / 10);
	assert_int_equal(disk_reserve_inodes(&r, 20000), 2000);
	disk_reserve_parse("64m", &r);
	assert_int_equal(disk_reserve_bytes(&r, 1ULL << 40), 64ULL << 20);
	assert_int_equal(disk_reserve_inodes(&r, 20000), 1000);
	disk_reserve_parse("0", &r);
	assert_int_equal(disk_reserve_bytes(&r, 1ULL << 40), 0);
	assert_int_equal(disk_reserve_inodes(&r, 20000), 0);
	/* A file system that reports no inode count keeps none. */
	disk_reserve_parse("auto", &r);
	assert_int_equal(disk_reserve_inodes(&r, 0), 0);
}

static void add_bind(struct spec *s, const char *dst, const char *src, const char *opts)
{
	s->mounts = realloc(s->mounts, (s->n_mounts + 1) * sizeof(*s->mounts));
	assert_non_null(s->mounts);
	struct spec_mount *m = &s->mounts[s->n_mounts++];
	*m = (struct spec_mount){ .destination = strdup(dst), .source = strdup(src),
				  .type = strdup("bind") };
	char *copy = strdup(opts), *save = NULL;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
		assert_int_equal(strv_push(&m->options, o), 0);
	free(copy);
}

/* The --reserve values of the spec's agent, joined by spaces. */
static char *reserves(const struct spec *s)
{
	char *out = calloc(1, 4096);
	for (size_t i = 0; s->process.args && s->process.args[i]; i++)
		if (strcmp(s->process.args[i], "--reserve") == 0 && s->process.args[i + 1]) {
			const char *colon = strchr(s->process.args[i + 1], ':');
			strcat(out, colon ? colon + 1 : "?");
			strcat(out, " ");
		}
	return out;
}

static struct spec *new_spec(void)
{
	struct spec *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	assert_int_equal(strv_push(&s->process.args, "/dev/.hutch-agent"), 0);
	s->mounts = NULL;
	return s;
}

/* Plans and applies, as the spec builder does around the path rules. */
static int add_guards(struct spec *s, const char *setting, const char *changes, const char *skip,
		      struct hutch_err *err)
{
	struct disk_guards g;
	int r = disk_reserve_plan(s, setting, changes, skip, &g, err);
	if (r == 0)
		r = disk_reserve_apply(s, &g);
	disk_guards_release(&g);
	return r;
}

static void test_guards(void **state)
{
	(void)state;
	struct hutch_err err = { 0 };
	struct spec *s = new_spec();
	add_bind(s, "/dev/.hutch-agent", "/bin/true", "bind,ro,nosuid,nodev");
	add_bind(s, "/work", "/tmp", "rbind,nosuid,nodev");
	add_bind(s, "/also-tmp", "/tmp", "rbind,nosuid,nodev");  /* same fs: no second guard */
	add_bind(s, "/etc-ro", "/etc", "rbind,ro,nosuid,nodev"); /* read-only: none */
	s->mounts = realloc(s->mounts, (s->n_mounts + 1) * sizeof(*s->mounts));
	s->mounts[s->n_mounts++] = (struct spec_mount){ .destination = strdup("/scratch"),
							.type = strdup("tmpfs"),
							.source = strdup("tmpfs") };
	assert_int_equal(add_guards(s, NULL, NULL, NULL, &err), 0);
	char *got = reserves(s);
	assert_string_equal(got, "/work ");
	free(got);
	/* The value: BYTES,INODES with the auto amounts of /tmp's file system. */
	struct statvfs v;
	assert_int_equal(statvfs("/tmp", &v), 0);
	char want[128];
	struct disk_reserve dr;
	disk_reserve_parse(NULL, &dr);
	snprintf(want, sizeof(want), "%llu,%llu:/work",
		 (unsigned long long)disk_reserve_bytes(&dr, (uint64_t)v.f_blocks * v.f_frsize),
		 (unsigned long long)disk_reserve_inodes(&dr, v.f_files));
	size_t n = strv_length(s->process.args);
	assert_string_equal(s->process.args[n - 1], want);
	spec_free(s);

	/* Skipped destination (the workspace under a quota), then the next mount stands in. */
	s = new_spec();
	add_bind(s, "/work", "/tmp", "rbind");
	add_bind(s, "/data", "/tmp", "rbind");
	assert_int_equal(add_guards(s, "10%", NULL, "/work", &err), 0);
	got = reserves(s);
	assert_string_equal(got, "/data ");
	free(got);
	spec_free(s);

	/* The rootfs's changes dir guards "/", off adds nothing, a bad value is an error. */
	s = new_spec();
	add_bind(s, "/work", "/tmp", "rbind");
	assert_int_equal(add_guards(s, "1g", "/tmp", NULL, &err), 0);
	got = reserves(s);
	assert_string_equal(got, "/ ");
	free(got);
	spec_free(s);
	s = new_spec();
	add_bind(s, "/work", "/tmp", "rbind");
	assert_int_equal(add_guards(s, "0", NULL, NULL, &err), 0);
	assert_int_equal(strv_length(s->process.args), 1);
	assert_int_equal(add_guards(s, "lots", NULL, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "--disk-reserve"));
	spec_free(s);

	/* A destination a rule hides under an empty tmpfs is not writable: no guard. */
	s = new_spec();
	add_bind(s, "/work", "/tmp", "rbind");
	struct disk_guards g;
	assert_int_equal(disk_reserve_plan(s, NULL, NULL, NULL, &g, &err), 0);
	assert_int_equal(g.n, 1);
	s->mounts = realloc(s->mounts, (s->n_mounts + 1) * sizeof(*s->mounts));
	s->mounts[s->n_mounts++] = (struct spec_mount){ .destination = strdup("/work"),
							.type = strdup("tmpfs"),
							.source = strdup("tmpfs") };
	assert_int_equal(disk_reserve_apply(s, &g), 0);
	disk_guards_release(&g);
	assert_int_equal(strv_length(s->process.args), 1);
	spec_free(s);

	/* A source that is gone is an error naming it. */
	s = new_spec();
	add_bind(s, "/work", "/nonexistent-hutch-test", "rbind");
	assert_true(add_guards(s, NULL, NULL, NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent-hutch-test"));
	spec_free(s);
}

/* The whole build: a default sandbox guards its workspace, a read-only one does not. */
static void test_build_spec(void **state)
{
	(void)state;
	struct hutch_err err = { 0 };
	struct sandbox_opts o = { .workspace = "/tmp", .agent = "/bin/true" };
	struct spec *s = NULL;
	assert_int_equal(sandbox_build_spec(&o, &s, &err), 0);
	char *got = reserves(s);
	assert_string_equal(got, "/work ");
	free(got);
	spec_free(s);
	o.read_only = true;
	assert_int_equal(sandbox_build_spec(&o, &s, &err), 0);
	got = reserves(s);
	assert_string_equal(got, "");
	free(got);
	spec_free(s);
	/* --deny /work: the workspace is an empty tmpfs, nothing to guard. */
	char *rules[] = { "none:/work", NULL };
	o = (struct sandbox_opts){ .workspace = "/tmp", .agent = "/bin/true", .rules = rules };
	assert_int_equal(sandbox_build_spec(&o, &s, &err), 0);
	got = reserves(s);
	assert_string_equal(got, "");
	free(got);
	spec_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_amounts),
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_build_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
