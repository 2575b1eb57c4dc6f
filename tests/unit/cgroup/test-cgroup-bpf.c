/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cgroup v2 device filter: the generated program is run through a small interpreter of
 * the instructions it may use, and compared with a plain reference of the v1 list semantics
 * (last matching rule wins, default deny) over fixed and random rule lists. Then, as root,
 * the kernel's verifier must accept it, and attached to a real cgroup2 directory it must
 * let a child open /dev/null but not /dev/zero.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-test-util.h"
#include "err.h"

/* Runs prog on a device request; returns the program's r0, or -1 on a bad program. */
static int interp(const struct bpf_insn *p, size_t n, int type, int acc, uint32_t maj, uint32_t min)
{
	uint32_t ctx[3] = {((uint32_t)acc << 16) | (uint32_t)type, maj, min};
	uint64_t r[11] = {0};
	for (size_t pc = 0, steps = 0; pc < n && steps < 100000; pc++, steps++) {
		const struct bpf_insn *i = &p[pc];
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			if (i->src_reg != 1 || i->off < 0 || i->off > 8 || i->off % 4)
				return -1;
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] & (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			r[i->dst_reg] = (uint32_t)r[i->src_reg];
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			r[i->dst_reg] = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_JMP32 | BPF_JNE | BPF_K:
		case BPF_JMP32 | BPF_JEQ | BPF_K: {
			if (i->off < 0)
				return -1;
			bool eq = (uint32_t)r[i->dst_reg] == (uint32_t)i->imm;
			if (eq == ((i->code & 0xf0) == BPF_JEQ))
				pc += (size_t)i->off;
			break;
		}
		case BPF_JMP | BPF_EXIT:
			return (int)r[0];
		default:
			return -1;
		}
	}
	return -1; /* fell off the end */
}

static int acc_bits(const char *a)
{
	int b = 0;
	for (const char *s = *a ? a : "rwm"; *s; s++)
		b |= *s == 'r'	 ? BPF_DEVCG_ACC_READ
		     : *s == 'w' ? BPF_DEVCG_ACC_WRITE
				 : BPF_DEVCG_ACC_MKNOD;
	return b;
}

/* The meaning we want, written plainly. */
static int reference(const struct spec_device_rule *rules, size_t n, int type, int acc,
		     uint32_t maj, uint32_t min)
{
	for (size_t i = n; i-- > 0;) {
		const struct spec_device_rule *d = &rules[i];
		int t = d->type == 'c'	 ? BPF_DEVCG_DEV_CHAR
			: d->type == 'b' ? BPF_DEVCG_DEV_BLOCK
					 : 0;
		if (d->type != 'a' && (t != type || (d->major >= 0 && (uint32_t)d->major != maj) ||
				       (d->minor >= 0 && (uint32_t)d->minor != min)))
			continue;
		int b = acc_bits(d->access);
		if (d->allow && (acc & ~b) == 0)
			return 1;
		if (!d->allow && (acc & b) != 0)
			return 0;
	}
	return 0;
}

static void build(const struct spec_device_rule *rules, size_t n, struct bpf_insn **p, size_t *np)
{
	struct hutch_err err = {0};
	if (cg_bpf_devices_build(rules, n, p, np, &err) < 0)
		fail_msg("build: %s", err.msg);
}

#define C BPF_DEVCG_DEV_CHAR
#define B BPF_DEVCG_DEV_BLOCK
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD

static void test_fixed_rules(void **state)
{
	struct spec_device_rule rules[] = {
	    {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 136, -1, "rw"},
	    {false, 'c', 136, 5, "w"},	 {true, 'b', 8, -1, "r"},
	};
	struct bpf_insn *p;
	size_t n;
	build(rules, ARRAY_SIZE(rules), &p, &n);
	struct {
		int type, acc;
		uint32_t maj, min;
		int want;
	} q[] = {
	    {C, R, 1, 3, 1},   {C, R | W | M, 1, 3, 1}, {C, R, 1, 5, 0},   {C, R | W, 136, 2, 1},
	    {C, M, 136, 2, 0}, {C, R, 136, 5, 1},	{C, W, 136, 5, 0}, {C, R | W, 136, 5, 0},
	    {B, R, 8, 0, 1},   {B, W, 8, 0, 0},		{B, R, 1, 3, 0},   {C, R, 0xffffffff, 3, 0},
	};
	for (size_t i = 0; i < ARRAY_SIZE(q); i++) {
		int got = interp(p, n, q[i].type, q[i].acc, q[i].maj, q[i].min);
		if (got != q[i].want)
			fail_msg("query %zu: got %d want %d", i, got, q[i].want);
	}
	/* Structure: the prologue loads the three context words; the program ends in exit. */
	assert_int_equal(p[0].code, BPF_LDX | BPF_MEM | BPF_W);
	assert_int_equal(p[n - 1].code, BPF_JMP | BPF_EXIT);
	free(p);

	/* An allow-everything last rule ends the program: nothing unreachable follows it. */
	struct spec_device_rule open_all[] = {{false, 'c', 1, 3, "w"}, {true, 'a', -1, -1, "rwm"}};
	build(open_all, 2, &p, &n);
	assert_int_equal(n, 6 + 2);
	assert_int_equal(interp(p, n, C, W, 1, 3), 1);
	free(p);
	build(open_all, 0, &p, &n);
	assert_int_equal(interp(p, n, C, R, 1, 3), 0);
	free(p);

	struct hutch_err err = {0};
	struct spec_device_rule bad[] = {{true, 'x', 1, 1, "r"}};
	assert_int_equal(cg_bpf_devices_build(bad, 1, &p, &n, &err), -EINVAL);
	struct spec_device_rule badacc[] = {{true, 'c', 1, 1, "rq"}};
	assert_int_equal(cg_bpf_devices_build(badacc, 1, &p, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "device rule 0"));
}

static void test_random_rules_match_reference(void **state)
{
	static const char *const accs[] = {"r", "w", "m", "rw", "rm", "wm", "rwm", ""};
	static const char types[] = {'a', 'c', 'b'};
	srand(42);
	for (int round = 0; round < 300; round++) {
		struct spec_device_rule rules[8];
		size_t n = (size_t)(rand() % 9);
		for (size_t i = 0; i < n; i++) {
			rules[i] = (struct spec_device_rule){.allow = rand() % 2,
							     .type = types[rand() % 3],
							     .major = rand() % 3 - 1,
							     .minor = rand() % 3 - 1};
			strcpy(rules[i].access, accs[rand() % 8]);
		}
		struct bpf_insn *p;
		size_t np;
		build(rules, n, &p, &np);
		for (int t = 1; t <= 2; t++)
			for (int acc = 1; acc < 8; acc++)
				for (uint32_t maj = 0; maj < 3; maj++)
					for (uint32_t min = 0; min < 3; min++)
						if (interp(p, np, t, acc, maj, min) !=
						    reference(rules, n, t, acc, maj, min))
							fail_msg("round %d: t=%d acc=%d %u:%u",
								 round, t, acc, maj, min);
		free(p);
	}
}

static int prog_load(const struct bpf_insn *p, size_t n)
{
	char log[8192] = "";
	union bpf_attr a = {0};
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)p;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t) "GPL";
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0 && errno != EPERM)
		print_message("# verifier: %s\n", log);
	return fd < 0 ? -errno : fd;
}

static void test_kernel_verifier_accepts(void **state)
{
	struct spec_device_rule sets[][3] = {
	    {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {false, 'b', 8, -1, "w"}},
	    {{true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"}, {true, 'a', -1, -1, "rwm"}},
	};
	for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
		for (size_t n = 0; n <= 3; n++) {
			struct bpf_insn *p;
			size_t np;
			build(sets[s], n, &p, &np);
			int fd = prog_load(p, np);
			free(p);
			if (fd == -EPERM) {
				print_message(
				    "# SKIP verifier check: loading BPF needs privilege\n");
				skip();
				return;
			}
			if (fd < 0)
				fail_msg("set %zu n %zu: load failed: %s", s, n, strerror(-fd));
			close(fd);
		}
	}
}

/* The cgroup2 directory to test in, or NULL (with a reason printed). */
static const char *v2_base(void)
{
	struct hutch_err err = {0};
	enum cgroup_mode mode;
	if (geteuid() != 0) {
		print_message("# SKIP live device filter: needs root\n");
		return NULL;
	}
	if (cgroup_detect(NULL, &mode, &err) < 0 || mode == CGROUP_MODE_V1) {
		print_message("# SKIP live device filter: no cgroup2 tree on this host\n");
		return NULL;
	}
	return mode == CGROUP_MODE_V2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
}

/* In a child moved into dir: can it open /dev/null and /dev/zero? Returns bits 1 and 2. */
static int probe_in(const char *dir)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char p[256];
		snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
		FILE *f = fopen(p, "we");
		if (!f || fprintf(f, "%d", getpid()) < 0 || fclose(f) != 0)
			_exit(100);
		int fd1 = open("/dev/null", O_RDWR | O_CLOEXEC);
		int fd2 = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		_exit((fd1 >= 0 ? 1 : 0) | (fd2 >= 0 ? 2 : 0));
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_live_attach(void **state)
{
	const char *base = v2_base();
	if (!base) {
		skip();
		return;
	}
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/hutch-test-bpf-%d", base, getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct hutch_err err = {0};
	struct spec_device_rule only_null[] = {{false, 'a', -1, -1, "rwm"},
					       {true, 'c', 1, 3, "rwm"}};
	int r = cg_bpf_devices_attach(fd, only_null, 2, &err);
	int got1 = r == 0 ? probe_in(dir) : -1;
	/* Applying again replaces the program instead of stacking a second one. */
	struct spec_device_rule plus_zero[] = {{true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "r"}};
	int r2 = r == 0 ? cg_bpf_devices_attach(fd, plus_zero, 2, &err) : r;
	int got2 = r2 == 0 ? probe_in(dir) : -1;
	uint32_t ids[8];
	union bpf_attr q = {0};
	q.query.target_fd = (uint32_t)fd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)ids;
	q.query.prog_cnt = 8;
	int qr = (int)syscall(SYS_bpf, BPF_PROG_QUERY, &q, sizeof(q));
	close(fd);
	assert_int_equal(rmdir(dir), 0); /* attached programs go with the directory */
	if (r < 0 || r2 < 0)
		fail_msg("attach: %s", err.msg);
	assert_int_equal(got1, 1);
	assert_int_equal(got2, 3);
	assert_int_equal(qr, 0);
	assert_int_equal(q.query.prog_cnt, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_rules),
	    cmocka_unit_test(test_random_rules_match_reference),
	    cmocka_unit_test(test_kernel_verifier_accepts),
	    cmocka_unit_test(test_live_attach),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
