/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The disk reserve setting and the agent guards it turns into (see disk-reserve.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "err.h"
#include "macro.h"
#include "parse.h"
#include "sandbox/disk-reserve.h"
#include "strv.h"

int disk_reserve_parse(const char *text, struct disk_reserve *ret)
{
	if (!text || strcmp(text, "auto") == 0) {
		*ret = (struct disk_reserve){ .kind = DISK_RESERVE_AUTO };
		return 0;
	}
	size_t n = strlen(text);
	/* strtod and strtoll would take leading blanks and signs. */
	if (!isdigit((unsigned char)text[0]) && text[0] != '.')
		return -EINVAL;
	if (n > 1 && text[n - 1] == '%') {
		char *end;
		double p = strtod(text, &end);
		if (end != text + n - 1 || !isfinite(p) || !(p > 0) || !(p < 100))
			return -EINVAL;
		*ret = (struct disk_reserve){ .kind = DISK_RESERVE_PERCENT, .percent = p };
		return 0;
	}
	int64_t bytes;
	if (parse_size(text, &bytes) < 0 || bytes < 0)
		return -EINVAL;
	*ret = (struct disk_reserve){ .kind = DISK_RESERVE_BYTES, .bytes = (uint64_t)bytes };
	return 0;
}

uint64_t disk_reserve_bytes(const struct disk_reserve *r, uint64_t fs_size)
{
	switch (r->kind) {
	case DISK_RESERVE_AUTO: {
		uint64_t b = (uint64_t)((double)fs_size * (DISK_RESERVE_AUTO_PERCENT / 100.0));
		return MIN(b, (uint64_t)DISK_RESERVE_AUTO_MAX);
	}
	case DISK_RESERVE_PERCENT:
		return (uint64_t)((double)fs_size * (r->percent / 100.0));
	default:
		return r->bytes;
	}
}

uint64_t disk_reserve_inodes(const struct disk_reserve *r, uint64_t fs_inodes)
{
	if (r->kind == DISK_RESERVE_BYTES && r->bytes == 0)
		return 0;
	double pct = r->kind == DISK_RESERVE_PERCENT ? r->percent : DISK_RESERVE_AUTO_PERCENT;
	uint64_t n = (uint64_t)((double)fs_inodes * (pct / 100.0));
	return MIN(n, (uint64_t)DISK_RESERVE_INODES_MAX);
}

static bool has_option(const struct spec_mount *m, const char *opt)
{
	for (size_t i = 0; m->options && m->options[i]; i++)
		if (strcmp(m->options[i], opt) == 0)
			return true;
	return false;
}

static bool is_writable_bind(const struct spec_mount *m)
{
	bool bind = (m->type && strcmp(m->type, "bind") == 0) || has_option(m, "bind") ||
		    has_option(m, "rbind");
	return bind && m->source && m->source[0] == '/' && !has_option(m, "ro");
}

/*
 * One guard per host file system: the first destination seen on it stands for all. Whether
 * there is enough free space now is the agent's to say (it refuses to start anything while
 * below): a sandbox may be inspected, or created idle, on a full disk.
 */
static int plan_one(struct disk_guards *gs, dev_t *devs, const struct disk_reserve *dr,
		    const char *src, const char *dst, struct hutch_err *err)
{
	struct stat st;
	struct statvfs vfs;
	if (stat(src, &st) < 0 || statvfs(src, &vfs) < 0)
		return err_set_errno(err, errno, "disk reserve: '%s'", src);
	for (size_t i = 0; i < gs->n; i++)
		if (devs[i] == st.st_dev)
			return 0;
	if (gs->n >= DISK_GUARDS_MAX)
		return err_set(err, E2BIG, "disk reserve: more than %d writable file systems",
			       DISK_GUARDS_MAX);
	uint64_t unit = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
	uint64_t bytes = disk_reserve_bytes(dr, (uint64_t)vfs.f_blocks * unit);
	if (bytes == 0)
		return 0;
	if (!(gs->g[gs->n].dst = strdup(dst)))
		return err_set(err, ENOMEM, "out of memory");
	gs->g[gs->n].bytes = bytes;
	gs->g[gs->n].inodes = disk_reserve_inodes(dr, (uint64_t)vfs.f_files);
	devs[gs->n++] = st.st_dev;
	return 0;
}

int disk_reserve_plan(const struct spec *s, const char *setting, const char *rootfs_changes,
		      const char *skip_dst, struct disk_guards *ret, struct hutch_err *err)
{
	struct disk_reserve dr;
	*ret = (struct disk_guards){ .n = 0 };
	if (disk_reserve_parse(setting, &dr) < 0)
		return err_set(err, EINVAL, "--disk-reserve: invalid value '%s' (expected auto, "
			       "a percentage like 5%%, a size like 2g, or 0)", setting);
	if (dr.kind == DISK_RESERVE_BYTES && dr.bytes == 0)
		return 0;
	dev_t devs[DISK_GUARDS_MAX];
	int r;
	/* The root's copy-on-write layer kept on the host: "/" in the sandbox is the overlay,
	 * whose statfs is that of its upper directory. */
	if (rootfs_changes && (r = plan_one(ret, devs, &dr, rootfs_changes, "/", err)) < 0)
		return r;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		if (!is_writable_bind(m) || (skip_dst && strcmp(m->destination, skip_dst) == 0))
			continue;
		if ((r = plan_one(ret, devs, &dr, m->source, m->destination, err)) < 0)
			return r;
	}
	return 0;
}

void disk_guards_release(struct disk_guards *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->g[i].dst);
	g->n = 0;
}

/* True when the last mount at dst is a tmpfs: a path rule's empty cover. */
static bool hidden_by_tmpfs(const struct spec *s, const char *dst)
{
	for (size_t i = s->n_mounts; i-- > 0;)
		if (strcmp(s->mounts[i].destination, dst) == 0)
			return s->mounts[i].type && strcmp(s->mounts[i].type, "tmpfs") == 0;
	return false;
}

int disk_reserve_apply(struct spec *s, const struct disk_guards *g)
{
	for (size_t i = 0; i < g->n; i++) {
		if (hidden_by_tmpfs(s, g->g[i].dst))
			continue;
		char arg[4200];
		snprintf(arg, sizeof(arg), "%" PRIu64 ",%" PRIu64 ":%s", g->g[i].bytes,
			 g->g[i].inodes, g->g[i].dst);
		if (strv_push(&s->process.args, "--reserve") < 0 ||
		    strv_push(&s->process.args, arg) < 0)
			return -ENOMEM;
	}
	return 0;
}
