/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup module against fake trees (temp dirs with files named like cgroup knobs): layout
 * parsing and detection, path rules, and which value lands in which knob on v1, v2 and hybrid.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cgroup-test-util.h"
#include "err.h"

/* This machine's real layout, as a sample of a hybrid host. */
static const char hybrid_mountinfo[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime shared:3 - cgroup cgroup "
    "rw,cpuset,clone_children\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,release_agent=/x,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "50 31 0:38 / /sys/fs/cgroup/unified/sub rw,relatime - cgroup2 cgroup2 rw\n"
    "51 23 0:29 /docker /mnt/elsewhere rw - cgroup cgroup rw,cpu,cpuacct\n"
    "garbage line\n";
static const char hybrid_self[] = "9:name=systemd:/\n8:pids:/../../x\n4:memory:/process_api/abc\n"
				  "3:cpuset:/\n1:cpuacct,cpu:/\n0::/\n";

static void test_layout_hybrid(void **state)
{
	struct cgroup_layout *lay = NULL;
	struct hutch_err err = {0};
	assert_int_equal(
	    cg_layout_parse("/sys/fs/cgroup", hybrid_mountinfo, hybrid_self, &lay, &err), 0);
	assert_int_equal(lay->mode, CGROUP_MODE_HYBRID);
	assert_int_equal(lay->n, 6);
	int m = cg_layout_find(lay, "memory");
	assert_true(m >= 0);
	assert_string_equal(lay->h[m].own, "/process_api/abc");
	int c = cg_layout_find(lay, "cpuacct");
	assert_int_equal(c, cg_layout_find(lay, "cpu"));
	assert_string_equal(lay->h[c].ctrls, "cpu,cpuacct");
	assert_string_equal(lay->h[c].mnt, "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(lay->h[cg_layout_find(lay, "cpuset")].ctrls, "cpuset");
	assert_string_equal(lay->h[cg_layout_find(lay, "name=systemd")].ctrls, "name=systemd");
	assert_int_equal(cg_layout_find(lay, "hugetlb"), -1);
	assert_string_equal(lay->h[cg_layout_find(lay, "pids")].own, ""); /* outside our ns */
	assert_true(lay->v2_idx >= 0);
	assert_string_equal(lay->h[lay->v2_idx].mnt, "/sys/fs/cgroup/unified");
	assert_int_equal(cg_layout_find(lay, ""), lay->v2_idx);
	cg_layout_free(lay);
}

static void test_layout_v2_and_errors(void **state)
{
	struct cgroup_layout *lay = NULL;
	struct hutch_err err = {0};
	const char *mi = "29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"
			 "30 23 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
	assert_int_equal(cg_layout_parse("/sys/fs/cgroup/", mi, "0::/user.slice/x\n", &lay, &err),
			 0);
	assert_int_equal(lay->mode, CGROUP_MODE_V2);
	assert_int_equal(lay->n, 1);
	assert_string_equal(lay->h[0].own, "/user.slice/x");
	cg_layout_free(lay);
	lay = NULL;
	assert_int_equal(cg_layout_parse("/sys/fs/cgroup", "", "", &lay, &err), -ENOMEDIUM);
	assert_non_null(strstr(err.msg, "no cgroup hierarchy mounted under '/sys/fs/cgroup'"));
	assert_int_equal(cg_layout_parse("relative", mi, "", &lay, &err), -EINVAL);
	/* Escaped mount point names (a space is \040). */
	const char *esc = "30 23 0:27 / /a\\040b/memory rw - cgroup cgroup rw,memory\n";
	assert_int_equal(cg_layout_parse("/a b", esc, "", &lay, &err), 0);
	assert_int_equal(lay->mode, CGROUP_MODE_V1);
	assert_string_equal(lay->h[0].mnt, "/a b/memory");
	assert_string_equal(lay->h[0].own, "/");
	cg_layout_free(lay);
}

static void test_detect_fake_trees(void **state)
{
	const char *const v1[] = {"cpu,cpuacct", "memory", NULL};
	struct {
		bool v2, unified;
		const char *const *h;
		enum cgroup_mode want;
	} cases[] = {{false, false, v1, CGROUP_MODE_V1},
		     {true, false, NULL, CGROUP_MODE_V2},
		     {false, true, v1, CGROUP_MODE_HYBRID}};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake f;
		fake_make(&f, cases[i].h, cases[i].v2, cases[i].unified);
		char mi[128];
		snprintf(mi, sizeof(mi), "%s/mountinfo", f.dir);
		enum cgroup_mode mode;
		struct hutch_err err = {0};
		assert_int_equal(cgroup_detect_mountinfo(f.root, mi, &mode, &err), 0);
		assert_int_equal(mode, cases[i].want);
		assert_int_equal(f.lay->mode, cases[i].want);
		fake_free(&f);
	}
	/* The real host by statfs agrees with the real host by mountinfo. */
	enum cgroup_mode by_magic, by_mi;
	struct hutch_err err = {0};
	if (cgroup_detect(NULL, &by_magic, &err) < 0) {
		print_message("# host has no cgroups mounted: %s\n", err.msg);
		return;
	}
	assert_int_equal(
	    cgroup_detect_mountinfo("/sys/fs/cgroup", "/proc/self/mountinfo", &by_mi, &err), 0);
	assert_int_equal(by_magic, by_mi);
	assert_string_equal(cgroup_mode_name(CGROUP_MODE_HYBRID), "hybrid");
}

static void expect_path(const char *in, const char *id, const char *want, bool relative)
{
	char *out = NULL;
	bool rel = !relative;
	struct hutch_err err = {0};
	int r = cg_resolve_path(in, id, &out, &rel, &err);
	if (!want) {
		assert_true(r < 0);
		assert_true(err.msg[0] != '\0');
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(out, want);
	assert_int_equal(rel, relative);
	free(out);
}

static void test_path_rules(void **state)
{
	expect_path(NULL, "c1", "/hutch/c1", false);
	expect_path("", "c1", "/hutch/c1", false);
	expect_path("/a//b/./c/", "c1", "/a/b/c", false);
	expect_path("a/b", "c1", "/a/b", true);
	expect_path("system.slice:docker:abc", "abc", "/system.slice/docker-abc.scope", false);
	expect_path(":hutch:abc", "abc", "/system.slice/hutch-abc.scope", false);
	expect_path("user.slice::abc", NULL, "/user.slice/abc.scope", false);
	expect_path("/a/../b", "c1", NULL, false);
	expect_path("..", "c1", NULL, false);
	expect_path(NULL, "a/b", NULL, false);
	expect_path(NULL, "..", NULL, false);
	expect_path(NULL, NULL, NULL, false);
	expect_path("/", "c1", NULL, false);
	expect_path("bad:x:y", "c1", NULL, false);	 /* slice must end in .slice */
	expect_path("a.slice:x:y/z", "c1", NULL, false); /* no '/' in name */
	char deep[400] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "/d");
	expect_path(deep, "c1", NULL, false);
}

static const char *const v1_hiers[] = {"cpu,cpuacct", "cpuset",	 "memory",	 "pids", "blkio",
				       "devices",     "freezer", "name=systemd", NULL};

static void test_v1_knobs(void **state)
{
	struct fake f;
	fake_make(&f, v1_hiers, false, false);
	/* Parent cpuset values to copy down; leaf knob files to write. */
	fake_write(strcat(strcpy((char[256]){0}, f.root), "/cpuset/cpuset.cpus"), "0-1\n");
	fake_write(strcat(strcpy((char[256]){0}, f.root), "/cpuset/cpuset.mems"), "0\n");
	fake_knobs(&f, "cpuset/hutch", (const char *const[]){"cpuset.cpus", "cpuset.mems", NULL});
	fake_knobs(&f, "cpuset/hutch/c1",
		   (const char *const[]){"cpuset.cpus", "cpuset.mems", NULL});
	fake_knobs(&f, "memory/hutch/c1",
		   (const char *const[]){"memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
					 "memory.soft_limit_in_bytes", "memory.swappiness",
					 "memory.oom_control", NULL});
	fake_knobs(&f, "cpu,cpuacct/hutch/c1",
		   (const char *const[]){"cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us",
					 "cpu.rt_runtime_us", NULL});
	fake_knobs(&f, "pids/hutch/c1", (const char *const[]){"pids.max", NULL});
	fake_knobs(&f, "blkio/hutch/c1",
		   (const char *const[]){"blkio.bfq.weight", "blkio.throttle.read_bps_device",
					 "blkio.throttle.write_iops_device", NULL});
	fake_knobs(&f, "devices/hutch/c1",
		   (const char *const[]){"devices.allow", "devices.deny", NULL});

	struct spec_resources r;
	res_init(&r);
	r.has_memory = true;
	r.memory.limit = 64 << 20;
	r.memory.reservation = 32 << 20;
	r.memory.swap = 128 << 20;
	r.memory.kernel = 1 << 20; /* no kmem file here: skipped */
	r.memory.swappiness = 10;
	r.memory.has_disable_oom_killer = true;
	r.memory.disable_oom_killer = true;
	r.has_cpu = true;
	r.cpu.shares = 512;
	r.cpu.quota = 50000;
	r.cpu.period = 100000;
	r.cpu.realtime_runtime = 1000;
	r.cpu.mems = "0";
	r.pids_limit = 0;
	r.has_blkio = true;
	r.blkio.weight = 300;
	struct spec_throttle_device rb[2] = {{8, 0, 1048576}, {8, 16, 2097152}};
	struct spec_throttle_device wi[1] = {{8, 0, 100}};
	r.blkio.throttle[SPEC_THROTTLE_READ_BPS] = rb;
	r.blkio.n_throttle[SPEC_THROTTLE_READ_BPS] = 2;
	r.blkio.throttle[SPEC_THROTTLE_WRITE_IOPS] = wi;
	r.blkio.n_throttle[SPEC_THROTTLE_WRITE_IOPS] = 1;
	struct spec_device_rule dev[] = {{false, 'a', -1, -1, "rwm"},
					 {true, 'c', 1, 3, "rwm"},
					 {true, 'c', 136, -1, "rw"},
					 {false, 'c', 1, 3, "m"},
					 {true, 'b', 8, 0, ""}};
	r.devices = dev;
	r.n_devices = ARRAY_SIZE(dev);

	struct cgroup *cg = NULL;
	struct hutch_err err = {0};
	int rc = cgroup_create_in(f.lay, NULL, "c1", &r, &cg, &err);
	if (rc < 0)
		fail_msg("create: %s", err.msg);
	assert_string_equal(fake_read(&f, "memory/hutch/c1/memory.limit_in_bytes"), "67108864");
	assert_string_equal(fake_read(&f, "memory/hutch/c1/memory.memsw.limit_in_bytes"),
			    "134217728");
	assert_string_equal(fake_read(&f, "memory/hutch/c1/memory.soft_limit_in_bytes"),
			    "33554432");
	assert_string_equal(fake_read(&f, "memory/hutch/c1/memory.swappiness"), "10");
	assert_string_equal(fake_read(&f, "memory/hutch/c1/memory.oom_control"), "1");
	assert_false(fake_exists(&f, "memory/hutch/c1/memory.kmem.limit_in_bytes"));
	assert_string_equal(fake_read(&f, "cpu,cpuacct/hutch/c1/cpu.shares"), "512");
	assert_string_equal(fake_read(&f, "cpu,cpuacct/hutch/c1/cpu.cfs_quota_us"), "50000");
	assert_string_equal(fake_read(&f, "cpu,cpuacct/hutch/c1/cpu.cfs_period_us"), "100000");
	assert_string_equal(fake_read(&f, "cpu,cpuacct/hutch/c1/cpu.rt_runtime_us"), "1000");
	/* cpuset: copied down into both levels, then mems from the spec */
	assert_string_equal(fake_read(&f, "cpuset/hutch/cpuset.cpus"), "0-1\n");
	assert_string_equal(fake_read(&f, "cpuset/hutch/c1/cpuset.cpus"), "0-1\n");
	assert_string_equal(fake_read(&f, "cpuset/hutch/c1/cpuset.mems"), "0");
	assert_string_equal(fake_read(&f, "pids/hutch/c1/pids.max"), "max");
	assert_string_equal(fake_read(&f, "blkio/hutch/c1/blkio.bfq.weight"), "300");
	assert_string_equal(fake_read(&f, "blkio/hutch/c1/blkio.throttle.read_bps_device"),
			    "8:0 1048576\n8:16 2097152\n");
	assert_string_equal(fake_read(&f, "blkio/hutch/c1/blkio.throttle.write_iops_device"),
			    "8:0 100\n");
	assert_string_equal(fake_read(&f, "devices/hutch/c1/devices.deny"),
			    "a\na *:* rwm\nc 1:3 m\n");
	assert_string_equal(fake_read(&f, "devices/hutch/c1/devices.allow"),
			    "c 1:3 rwm\nc 136:* rw\nb 8:0 rwm\n");
	/* every hierarchy got the directory, the named one too */
	assert_true(fake_exists(&f, "systemd/hutch/c1"));
	assert_true(fake_exists(&f, "freezer/hutch/c1"));
	assert_string_equal(cgroup_path_for(cg, "cpuacct") + strlen(f.root),
			    "/cpu,cpuacct/hutch/c1");
	assert_null(cgroup_path_for(cg, "hugetlb"));
	/* Asked-for but missing: clear errors. */
	struct spec_resources r2;
	res_init(&r2);
	struct spec_hugepage_limit hp = {"2MB", 1 << 21};
	r2.hugepage_limits = &hp;
	r2.n_hugepage_limits = 1;
	assert_int_equal(cgroup_apply(cg, &r2, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "no 'hugetlb' cgroup hierarchy"));
	res_init(&r2);
	struct spec_key_value kv = {"memory.high", "1"};
	r2.unified = &kv;
	r2.n_unified = 1;
	assert_int_equal(cgroup_apply(cg, &r2, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "needs cgroup v2, host is v1"));
	cgroup_free(cg);
	fake_free(&f);
}

static void test_v1_memsw_order_and_missing(void **state)
{
	/* No pids hierarchy: fine when the spec does not ask for pids. No memsw: swap skipped. */
	struct fake f;
	fake_make(&f, (const char *const[]){"memory", NULL}, false, false);
	fake_knobs(&f, "memory/x", (const char *const[]){"memory.limit_in_bytes", NULL});
	struct spec_resources r;
	res_init(&r);
	r.has_memory = true;
	r.memory.limit = 1000000;
	r.memory.swap = 2000000;
	struct cgroup *cg = NULL;
	struct hutch_err err = {0};
	assert_int_equal(cgroup_create_in(f.lay, "/x", "c1", &r, &cg, &err), 0);
	assert_string_equal(fake_read(&f, "memory/x/memory.limit_in_bytes"), "1000000");
	assert_false(fake_exists(&f, "memory/x/memory.memsw.limit_in_bytes"));
	cgroup_free(cg);
	/* pids asked for, no pids hierarchy: error, and what create made is removed again. */
	res_init(&r);
	r.pids_limit = 10;
	assert_int_equal(cgroup_create_in(f.lay, "/new/deep/c2", "c2", &r, &cg, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "pids limit requested but the host has no 'pids'"));
	assert_false(fake_exists(&f, "memory/new"));
	fake_free(&f);
}

/* cgroup_create_some: only the hierarchies holding a named controller get a directory; the
 * cgroup reopens with just those, and a limit for a left-out one is an error. */
static void test_create_some_hierarchies(void **state)
{
	(void)state;
	struct fake f;
	fake_make(&f, v1_hiers, false, true); /* hybrid: an empty cgroup2 tree too */
	fake_knobs(&f, "pids/hutch/c1", (const char *const[]){"pids.max", NULL});
	struct spec_resources r;
	res_init(&r);
	r.pids_limit = 10;
	struct cgroup *cg = NULL;
	struct hutch_err err = {0};
	assert_int_equal(cgroup_create_some_in(f.lay, NULL, "c1", &r, "memory,pids,cpuacct", &cg,
					       &err), 0);
	assert_true(fake_exists(&f, "memory/hutch/c1"));
	assert_true(fake_exists(&f, "pids/hutch/c1"));
	assert_true(fake_exists(&f, "cpu,cpuacct/hutch/c1")); /* co-mounted: one name is enough */
	const char *absent[] = {"cpuset/hutch", "blkio/hutch", "devices/hutch", "freezer/hutch",
				"name=systemd/hutch", "unified/hutch"};
	for (size_t i = 0; i < ARRAY_SIZE(absent); i++) {
		print_message("absent: %s\n", absent[i]);
		assert_false(fake_exists(&f, absent[i]));
	}
	assert_string_equal(fake_read(&f, "pids/hutch/c1/pids.max"), "10");
	assert_null(cgroup_path_for(cg, "blkio"));
	cgroup_free(cg);
	/* Reopened later (delete): the three, and removed cleanly. */
	assert_int_equal(cgroup_open_in(f.lay, NULL, "c1", &cg, &err), 0);
	assert_non_null(cgroup_path_for(cg, "memory"));
	assert_null(cgroup_path_for(cg, "freezer"));
	cgroup_free(cg);
	/* A limit whose controller was left out fails, naming it, and nothing stays behind. */
	res_init(&r);
	r.pids_limit = 10;
	assert_int_equal(cgroup_create_some_in(f.lay, NULL, "c2", &r, "memory", &cg, &err),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "'pids'"));
	assert_false(fake_exists(&f, "memory/hutch/c2"));
	/* No controller matches: no cgroup at all is an error, not an empty success. */
	assert_true(cgroup_create_some_in(f.lay, NULL, "c3", NULL, "nosuch", &cg, &err) < 0);
	fake_free(&f);
}

static const char *const v2_knobs[] = {"cgroup.controllers",
				       "cgroup.subtree_control",
				       "memory.max",
				       "memory.low",
				       "memory.swap.max",
				       "cpu.weight",
				       "cpu.max",
				       "cpu.max.burst",
				       "cpuset.cpus",
				       "pids.max",
				       "io.weight",
				       "io.max",
				       "hugetlb.2MB.max",
				       "memory.high",
				       NULL};

static void test_v2_knobs(void **state)
{
	struct fake f;
	fake_make(&f, NULL, true, false);
	fake_knobs(&f, "",
		   (const char *const[]){"cgroup.controllers", "cgroup.subtree_control", NULL});
	fake_write(strcat(strcpy((char[256]){0}, f.root), "/cgroup.controllers"),
		   "cpu io memory pids\n");
	fake_knobs(&f, "hutch",
		   (const char *const[]){"cgroup.controllers", "cgroup.subtree_control", NULL});
	fake_write(strcat(strcpy((char[256]){0}, f.root), "/hutch/cgroup.controllers"),
		   "memory pids\n");
	fake_knobs(&f, "hutch/c1", v2_knobs);

	struct spec_resources r;
	res_init(&r);
	r.has_memory = true;
	r.memory.limit = 100 << 20;
	r.memory.swap = 300 << 20;
	r.memory.reservation = 50 << 20;
	r.memory.kernel = 1 << 20; /* ignored on v2 */
	r.has_cpu = true;
	r.cpu.shares = 1024;
	r.cpu.quota = 50000;
	r.cpu.period = 100000;
	r.cpu.burst = 1000;
	r.cpu.cpus = "0";
	r.pids_limit = -1;
	r.has_blkio = true;
	r.blkio.weight = 500;
	struct spec_throttle_device rb[1] = {{8, 0, 1048576}};
	struct spec_throttle_device wb[1] = {{8, 16, 0}};
	r.blkio.throttle[SPEC_THROTTLE_READ_BPS] = rb;
	r.blkio.n_throttle[SPEC_THROTTLE_READ_BPS] = 1;
	r.blkio.throttle[SPEC_THROTTLE_WRITE_BPS] = wb;
	r.blkio.n_throttle[SPEC_THROTTLE_WRITE_BPS] = 1;
	struct spec_hugepage_limit hp = {"2MB", 4 << 21};
	r.hugepage_limits = &hp;
	r.n_hugepage_limits = 1;
	struct spec_key_value kv = {"memory.high", "90000000"};
	r.unified = &kv;
	r.n_unified = 1;
	struct cgroup *cg = NULL;
	struct hutch_err err = {0};
	if (cgroup_create_in(f.lay, NULL, "c1", &r, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	assert_string_equal(fake_read(&f, "cgroup.subtree_control"), "+cpu +io +memory +pids");
	assert_string_equal(fake_read(&f, "hutch/cgroup.subtree_control"), "+memory +pids");
	assert_string_equal(fake_read(&f, "hutch/c1/cgroup.subtree_control"), "");
	assert_string_equal(fake_read(&f, "hutch/c1/memory.max"), "104857600");
	assert_string_equal(fake_read(&f, "hutch/c1/memory.swap.max"), "209715200");
	assert_string_equal(fake_read(&f, "hutch/c1/memory.low"), "52428800");
	assert_string_equal(fake_read(&f, "hutch/c1/cpu.weight"), "39");
	assert_string_equal(fake_read(&f, "hutch/c1/cpu.max"), "50000 100000");
	assert_string_equal(fake_read(&f, "hutch/c1/cpu.max.burst"), "1000");
	assert_string_equal(fake_read(&f, "hutch/c1/cpuset.cpus"), "0");
	assert_string_equal(fake_read(&f, "hutch/c1/pids.max"), "max");
	assert_string_equal(fake_read(&f, "hutch/c1/io.weight"), "default 4950");
	assert_string_equal(fake_read(&f, "hutch/c1/io.max"), "8:0 rbps=1048576\n8:16 wbps=max\n");
	assert_string_equal(fake_read(&f, "hutch/c1/hugetlb.2MB.max"), "8388608");
	assert_string_equal(fake_read(&f, "hutch/c1/memory.high"), "90000000");
	assert_string_equal(cgroup_path_for(cg, "memory") + strlen(f.root), "/hutch/c1");

	/* Conversions at the edges. */
	assert_int_equal(cg_shares_to_weight(2), 1);
	assert_int_equal(cg_shares_to_weight(262144), 10000);
	assert_int_equal(cg_shares_to_weight(1), 1);
	assert_int_equal(cg_blkio_to_io_weight(10), 1);
	assert_int_equal(cg_blkio_to_io_weight(1000), 10000);

	/* Refusals with clear messages. */
	struct spec_resources bad;
	res_init(&bad);
	bad.has_memory = true;
	bad.memory.swap = 10;
	assert_int_equal(cgroup_apply(cg, &bad, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "swap limit needs a memory limit"));
	bad.memory.limit = 20;
	assert_int_equal(cgroup_apply(cg, &bad, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "below memory limit"));
	res_init(&bad);
	bad.has_memory = true;
	bad.memory.limit = 0; /* 0 is "not set", as runc reads it */
	bad.memory.swap = 0;
	assert_int_equal(cgroup_apply(cg, &bad, &err), 0);
	assert_string_equal(fake_read(&f, "hutch/c1/memory.max"), "104857600");
	res_init(&bad);
	struct spec_key_value evil[] = {{"cgroup.procs", "1"}, {"../x.y", "1"}};
	bad.unified = evil;
	bad.n_unified = 1;
	assert_int_equal(cgroup_apply(cg, &bad, &err), -EINVAL);
	bad.unified = evil + 1;
	assert_int_equal(cgroup_apply(cg, &bad, &err), -EINVAL);
	struct spec_key_value nope = {"rdma.max", "x"};
	bad.unified = &nope;
	assert_int_equal(cgroup_apply(cg, &bad, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "controller 'rdma' is not available"));
	res_init(&bad);
	struct spec_hugepage_limit hbad = {"2MB/../x", 1};
	bad.hugepage_limits = &hbad;
	bad.n_hugepage_limits = 1;
	assert_int_equal(cgroup_apply(cg, &bad, &err), -EINVAL);
	cgroup_free(cg);

	/* Reopen finds it; a missing one is ENOENT. */
	assert_int_equal(cgroup_open_in(f.lay, NULL, "c1", &cg, &err), 0);
	cgroup_free(cg);
	assert_int_equal(cgroup_open_in(f.lay, NULL, "nope", &cg, &err), -ENOENT);
	fake_free(&f);
}

static void test_hybrid_sets_nothing_in_unified(void **state)
{
	struct fake f;
	fake_make(&f, (const char *const[]){"memory", "pids", NULL}, false, true);
	fake_knobs(&f, "unified/hutch/c1", (const char *const[]){"memory.max", "pids.max", NULL});
	fake_knobs(&f, "memory/hutch/c1", (const char *const[]){"memory.limit_in_bytes", NULL});
	fake_knobs(&f, "pids/hutch/c1", (const char *const[]){"pids.max", NULL});
	struct spec_resources r;
	res_init(&r);
	r.has_memory = true;
	r.memory.limit = 4096000;
	r.pids_limit = 7;
	struct cgroup *cg = NULL;
	struct hutch_err err = {0};
	if (cgroup_create_in(f.lay, NULL, "c1", &r, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	assert_string_equal(fake_read(&f, "memory/hutch/c1/memory.limit_in_bytes"), "4096000");
	assert_string_equal(fake_read(&f, "pids/hutch/c1/pids.max"), "7");
	assert_string_equal(fake_read(&f, "unified/hutch/c1/memory.max"), "");
	assert_string_equal(fake_read(&f, "unified/hutch/c1/pids.max"), "");
	assert_string_equal(cgroup_path_for(cg, "") + strlen(f.root), "/unified/hutch/c1");
	struct spec_resources r2;
	res_init(&r2);
	struct spec_key_value kv = {"memory.high", "1"};
	r2.unified = &kv;
	r2.n_unified = 1;
	assert_int_equal(cgroup_apply(cg, &r2, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "host is hybrid"));
	cgroup_free(cg);
	fake_free(&f);
}

static void test_relative_path_follows_own_cgroup(void **state)
{
	struct fake f;
	fake_make(&f, (const char *const[]){"memory", NULL}, false, false);
	char mp[128], sp[128];
	snprintf(mp, sizeof(mp), "%s/mountinfo", f.dir);
	snprintf(sp, sizeof(sp), "%s/self", f.dir);
	fake_write(sp, "1:memory:/runtime/me\n");
	struct cgroup_layout *lay = NULL;
	struct hutch_err err = {0};
	assert_int_equal(cg_layout_load(f.root, mp, sp, &lay, &err), 0);
	struct cgroup *cg = NULL;
	assert_int_equal(cgroup_create_in(lay, "sub/c1", "c1", NULL, &cg, &err), 0);
	assert_string_equal(cgroup_path_for(cg, "memory") + strlen(f.root),
			    "/memory/runtime/me/sub/c1");
	cgroup_free(cg);
	cg_layout_free(lay);
	/* Outside our cgroup namespace ("/.."): relative paths are refused, never joined. */
	fake_write(sp, "1:memory:/../x\n");
	assert_int_equal(cg_layout_load(f.root, mp, sp, &lay, &err), 0);
	assert_int_equal(cgroup_create_in(lay, "sub/c1", "c1", NULL, &cg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "outside its cgroup namespace"));
	assert_int_equal(cgroup_create_in(lay, "/abs/c1", "c1", NULL, &cg, &err), 0);
	cgroup_free(cg);
	cg_layout_free(lay);
	fake_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_hybrid),
	    cmocka_unit_test(test_layout_v2_and_errors),
	    cmocka_unit_test(test_detect_fake_trees),
	    cmocka_unit_test(test_path_rules),
	    cmocka_unit_test(test_v1_knobs),
	    cmocka_unit_test(test_v1_memsw_order_and_missing),
	    cmocka_unit_test(test_create_some_hierarchies),
	    cmocka_unit_test(test_v2_knobs),
	    cmocka_unit_test(test_hybrid_sets_nothing_in_unified),
	    cmocka_unit_test(test_relative_path_follows_own_cgroup),
	};
	return cmocka_run_group_tests(tests, NULL, fake_cleanup_all);
}
