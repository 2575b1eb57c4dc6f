/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "spec-test.h"

char *dq(const char *q)
{
	char *s = strdup(q);
	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

int parse_q(const char *q, struct spec **ret, struct hutch_err *err)
{
	_cleanup_free_ char *s = dq(q);
	return spec_parse(s, strlen(s), ret, err);
}

void expect_raw_error(const char *json, const char *msg)
{
	struct hutch_err err = {0};
	struct spec *s = NULL;
	int r = spec_parse(json, strlen(json), &s, &err);
	if (!msg) {
		if (r < 0)
			fail_msg("unexpected error: %s", err.msg);
		spec_free(s);
		return;
	}
	if (r >= 0) {
		spec_free(s);
		fail_msg("parsed, expected error '%s'", msg);
	}
	assert_null(s);
	assert_true(err.code > 0 && r == -err.code);
	assert_string_equal(err.msg, msg);
}

void expect_error(const char *q, const char *msg)
{
	_cleanup_free_ char *s = dq(q);
	expect_raw_error(s, msg);
}

char *make_env_config(size_t n)
{
	size_t cap = 128 + n * 8;
	char *b = malloc(cap), *p = b;
	assert_non_null(b);
	p += sprintf(p, "{\"ociVersion\":\"1.0.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},"
			"\"args\":[\"a\"],\"cwd\":\"/\",\"env\":[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s\"A=1\"", i ? "," : "");
	strcpy(p, "]}}");
	return b;
}

char *make_annotations_config(size_t n)
{
	char *b = malloc(64 + n * 16), *p = b;
	assert_non_null(b);
	p += sprintf(p, "{\"ociVersion\":\"1.0.0\",\"annotations\":{");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s\"k%zu\":\"v\"", i ? "," : "", i);
	strcpy(p, "}}");
	return b;
}

char *make_filler_config(const char *item, size_t n)
{
	size_t il = strlen(item);
	char *b = malloc(64 + n * (il + 1)), *p = b;
	assert_non_null(b);
	p += sprintf(p, "{\"ociVersion\":\"1.0.0\",\"x\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		memcpy(p, item, il);
		p += il;
	}
	strcpy(p, "]}");
	return b;
}

char *make_hostname_config(size_t len)
{
	char *b = malloc(len + 128), *p = b;
	assert_non_null(b);
	p += sprintf(p, "{\"ociVersion\":\"1.0.0\",\"linux\":{\"namespaces\":[{\"type\":\"uts\"}]},"
			"\"hostname\":\"");
	memset(p, 'h', len);
	strcpy(p + len, "\"}");
	return b;
}

static void check_resources(const struct spec_resources *r)
{
	assert_int_equal(r->n_devices, 2);
	assert_false(r->devices[0].allow);
	assert_int_equal(r->devices[0].type, 'a');
	assert_true(r->devices[0].major == -1 && r->devices[0].minor == -1);
	assert_string_equal(r->devices[0].access, "rwm");
	assert_true(r->devices[1].allow);
	assert_int_equal(r->devices[1].type, 'c');
	assert_true(r->devices[1].major == 10 && r->devices[1].minor == 229);
	assert_string_equal(r->devices[1].access, "rw");
	assert_true(r->has_memory);
	assert_int_equal(r->memory.limit, 536870912);
	assert_int_equal(r->memory.reservation, 268435456);
	assert_int_equal(r->memory.swap, -1);
	assert_int_equal(r->memory.kernel, 0);
	assert_int_equal(r->memory.kernel_tcp, 1024);
	assert_int_equal(r->memory.swappiness, 60);
	assert_true(r->memory.has_disable_oom_killer && r->memory.disable_oom_killer);
	assert_true(r->memory.has_use_hierarchy && !r->memory.use_hierarchy);
	assert_true(r->memory.check_before_update);
	assert_true(r->has_cpu);
	assert_int_equal(r->cpu.shares, 1024);
	assert_int_equal(r->cpu.quota, 50000);
	assert_int_equal(r->cpu.burst, 1000);
	assert_int_equal(r->cpu.period, 100000);
	assert_int_equal(r->cpu.realtime_runtime, 950000);
	assert_int_equal(r->cpu.realtime_period, 1000000);
	assert_int_equal(r->cpu.idle, 1);
	assert_string_equal(r->cpu.cpus, "0-1");
	assert_string_equal(r->cpu.mems, "0");
	assert_int_equal(r->pids_limit, 100);
	assert_true(r->has_blkio);
	assert_int_equal(r->blkio.weight, 500);
	assert_int_equal(r->blkio.leaf_weight, 300);
	assert_int_equal(r->blkio.n_weight_devices, 1);
	assert_int_equal(r->blkio.weight_devices[0].weight, 600);
	assert_true(r->blkio.weight_devices[0].leaf_weight == SPEC_UNSET);
	assert_int_equal(r->blkio.n_throttle[SPEC_THROTTLE_READ_BPS], 1);
	assert_int_equal(r->blkio.throttle[SPEC_THROTTLE_READ_BPS][0].rate, 1048576);
	assert_int_equal(r->blkio.throttle[SPEC_THROTTLE_WRITE_BPS][0].minor, 16);
	assert_int_equal(r->blkio.throttle[SPEC_THROTTLE_READ_IOPS][0].rate, 100);
	assert_int_equal(r->blkio.n_throttle[SPEC_THROTTLE_WRITE_IOPS], 2);
	assert_int_equal(r->blkio.throttle[SPEC_THROTTLE_WRITE_IOPS][1].rate, 300);
	assert_int_equal(r->n_hugepage_limits, 1);
	assert_string_equal(r->hugepage_limits[0].page_size, "2MB");
	assert_int_equal(r->hugepage_limits[0].limit, 209715200);
	assert_int_equal(r->n_unified, 2);
	assert_string_equal(r->unified[1].key, "io.weight");
	assert_string_equal(r->unified[1].value, "default 100");
}

static void check_seccomp(const struct spec_seccomp *sc)
{
	assert_non_null(sc);
	assert_string_equal(sc->default_action, "SCMP_ACT_ERRNO");
	assert_true(sc->has_default_errno_ret);
	assert_int_equal(sc->default_errno_ret, 1);
	assert_string_equal(sc->architectures[1], "SCMP_ARCH_X86");
	assert_string_equal(sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
	assert_string_equal(sc->listener_path, "/run/seccomp.sock");
	assert_int_equal(sc->n_syscalls, 2);
	assert_string_equal(sc->syscalls[0].names[1], "write");
	assert_false(sc->syscalls[0].has_errno_ret);
	assert_int_equal(sc->syscalls[0].n_args, 0);
	assert_true(sc->syscalls[1].has_errno_ret);
	assert_int_equal(sc->syscalls[1].errno_ret, 38);
	assert_int_equal(sc->syscalls[1].n_args, 1);
	assert_int_equal(sc->syscalls[1].args[0].index, 0);
	assert_int_equal(sc->syscalls[1].args[0].value, 8);
	assert_string_equal(sc->syscalls[1].args[0].op, "SCMP_CMP_EQ");
}

void check_full_linux(const struct spec *s)
{
	const struct spec_linux *l = &s->linux;
	static const int types[] = {CLONE_NEWPID, CLONE_NEWNET,	 CLONE_NEWNS,	  CLONE_NEWIPC,
				    CLONE_NEWUTS, CLONE_NEWUSER, CLONE_NEWCGROUP, 0x80};
	assert_true(s->has_linux);
	assert_int_equal(l->n_namespaces, 8);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(l->namespaces[i].type, types[i]);
	assert_string_equal(l->namespaces[1].path, "/var/run/netns/x");
	assert_null(l->namespaces[0].path);
	assert_int_equal(l->n_uid_mappings, 1);
	assert_int_equal(l->uid_mappings[0].host_id, 1000);
	assert_int_equal(l->n_gid_mappings, 2);
	assert_int_equal(l->gid_mappings[1].container_id, 1);
	assert_int_equal(l->gid_mappings[1].size, 65535);
	assert_true(l->time_monotonic.present);
	assert_int_equal(l->time_monotonic.secs, -86400);
	assert_int_equal(l->time_monotonic.nanosecs, 5);
	assert_true(l->time_boottime.present);
	assert_int_equal(l->time_boottime.secs, 3600);
	assert_int_equal(l->n_devices, 2);
	assert_string_equal(l->devices[0].path, "/dev/fuse");
	assert_int_equal(l->devices[0].type, 'c');
	assert_true(l->devices[0].major == 10 && l->devices[0].minor == 229);
	assert_true(l->devices[0].has_file_mode && l->devices[0].file_mode == 0666);
	assert_true(l->devices[0].has_uid && l->devices[0].has_gid);
	assert_int_equal(l->devices[1].type, 'p');
	assert_true(l->devices[1].major == SPEC_UNSET && !l->devices[1].has_uid);
	assert_int_equal(l->devices[1].file_mode, 0666); /* S_IFCHR bits dropped */
	assert_string_equal(l->cgroups_path, "/hutch/box");
	assert_true(l->has_resources);
	check_resources(&l->resources);
	assert_int_equal(l->n_sysctl, 2);
	assert_string_equal(l->sysctl[0].key, "net.ipv4.ip_forward");
	assert_string_equal(l->sysctl[0].value, "1");
	check_seccomp(l->seccomp);
	assert_string_equal(l->rootfs_propagation, "rslave");
	assert_int_equal(strv_length(l->masked_paths), 2);
	assert_string_equal(l->readonly_paths[0], "/proc/sys");
	assert_string_equal(l->mount_label, "system_u:object_r:container_file_t:s0");
	assert_true(l->has_personality);
	assert_int_equal(l->personality, 8);
}
