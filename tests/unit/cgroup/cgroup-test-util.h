/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers for the cgroup unit tests: fake cgroup trees in a temp dir, spec resources. */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup-internal.h"
#include "path.h"

static inline void res_init(struct spec_resources *r)
{
	memset(r, 0, sizeof(*r));
	r->pids_limit = SPEC_UNSET;
	int64_t *mem[] = {&r->memory.limit,  &r->memory.reservation, &r->memory.swap,
			  &r->memory.kernel, &r->memory.kernel_tcp,  &r->memory.swappiness};
	for (size_t i = 0; i < ARRAY_SIZE(mem); i++)
		*mem[i] = SPEC_UNSET;
	int64_t *cpu[] = {
	    &r->cpu.shares,	      &r->cpu.quota,	       &r->cpu.burst, &r->cpu.period,
	    &r->cpu.realtime_runtime, &r->cpu.realtime_period, &r->cpu.idle};
	for (size_t i = 0; i < ARRAY_SIZE(cpu); i++)
		*cpu[i] = SPEC_UNSET;
	r->blkio.weight = SPEC_UNSET;
	r->blkio.leaf_weight = SPEC_UNSET;
}

/* A fake tree: <dir>/cg is the sysfs root; <dir>/mountinfo and <dir>/self describe it. */
struct fake {
	char dir[64];
	char root[128];
	struct cgroup_layout *lay;
};

static inline void fake_write(const char *path, const char *content)
{
	FILE *f = fopen(path, "we");
	if (!f) {
		perror(path);
		abort();
	}
	fputs(content, f);
	fclose(f);
}

/* Every fake tree still on disk: a failed assertion skips fake_free, the group teardown not. */
static char fake_live[32][64];

static inline void fake_rm(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

static inline int fake_cleanup_all(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(fake_live); i++)
		if (fake_live[i][0]) {
			fake_rm(fake_live[i]);
			fake_live[i][0] = '\0';
		}
	return 0;
}

/* hiers: v1 hierarchy names ("cpu,cpuacct", "memory", "name=systemd" → dir "systemd");
 * v2: cgroup2 at root; unified: cgroup2 at root/unified. */
static inline void fake_make(struct fake *f, const char *const *hiers, bool v2, bool unified)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/hutch-cgtest-XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	for (size_t i = 0; i < ARRAY_SIZE(fake_live); i++)
		if (!fake_live[i][0]) {
			snprintf(fake_live[i], sizeof(fake_live[i]), "%s", f->dir);
			break;
		}
	snprintf(f->root, sizeof(f->root), "%s/cg", f->dir);
	mkdir(f->root, 0755);
	char mi[8192] = "", self[4096] = "", line[512], p[512];
	int id = 30;
	snprintf(line, sizeof(line), "%d 1 0:%d / %s rw - tmpfs tmpfs rw\n", id, id, f->root);
	strcat(mi, line);
	for (size_t i = 0; hiers && hiers[i]; i++) {
		const char *name = strncmp(hiers[i], "name=", 5) ? hiers[i] : hiers[i] + 5;
		snprintf(p, sizeof(p), "%s/%s", f->root, name);
		mkdir(p, 0755);
		id++;
		snprintf(line, sizeof(line),
			 "%d 30 0:%d / %s rw,relatime shared:9 - cgroup cgroup rw,%s\n", id, id, p,
			 hiers[i]);
		strcat(mi, line);
		snprintf(line, sizeof(line), "%zu:%s:/\n", i + 1, hiers[i]);
		strcat(self, line);
	}
	if (v2 || unified) {
		snprintf(p, sizeof(p), "%s%s", f->root, unified ? "/unified" : "");
		mkdir(p, 0755);
		id++;
		snprintf(line, sizeof(line), "%d 30 0:%d / %s rw - cgroup2 cgroup2 rw,nsdelegate\n",
			 id, id, p);
		strcat(mi, line);
		strcat(self, "0::/\n");
	}
	char mp[128], sp[128];
	snprintf(mp, sizeof(mp), "%s/mountinfo", f->dir);
	snprintf(sp, sizeof(sp), "%s/self", f->dir);
	fake_write(mp, mi);
	fake_write(sp, self);
	struct hutch_err err = {0};
	if (cg_layout_load(f->root, mp, sp, &f->lay, &err) < 0) {
		fprintf(stderr, "fake layout: %s\n", err.msg);
		abort();
	}
}

/* Creates <root>/<sub>/ with empty knob files (a NULL-terminated list). */
static inline void fake_knobs(struct fake *f, const char *sub, const char *const *knobs)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", f->root, sub);
	mkdir_p(p, 0755);
	for (size_t i = 0; knobs[i]; i++) {
		char k[640];
		snprintf(k, sizeof(k), "%s/%s", p, knobs[i]);
		fake_write(k, "");
	}
}

/* The content of <root>/<sub> ("" if missing), in a static buffer. */
static inline const char *fake_read(struct fake *f, const char *sub)
{
	static char buf[4096];
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", f->root, sub);
	FILE *fp = fopen(p, "re");
	buf[0] = '\0';
	if (fp) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		fclose(fp);
	}
	return buf;
}

static inline bool fake_exists(struct fake *f, const char *sub)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", f->root, sub);
	struct stat st;
	return stat(p, &st) == 0;
}

static inline void fake_free(struct fake *f)
{
	fake_rm(f->dir);
	for (size_t i = 0; i < ARRAY_SIZE(fake_live); i++)
		if (!strcmp(fake_live[i], f->dir))
			fake_live[i][0] = '\0';
	cg_layout_free(f->lay);
}
