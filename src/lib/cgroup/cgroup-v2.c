/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup v2: one directory holds every controller's knobs. The spec speaks v1 (shares,
 * memory+swap, blkio weights), so values are converted the way runc and crun do, keeping
 * containers portable between runtimes.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "cgroup-internal.h"
#include "err.h"

#define SET(v) ((v) != SPEC_UNSET)
/* Memory sizes of 0 mean "not set", as runc reads them (docker sends 0 for "default"). */
#define MSET(v) ((v) != SPEC_UNSET && (v) != 0)

uint64_t cg_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	shares = MAX(shares, 2u);
	shares = MIN(shares, 262144u);
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cg_blkio_to_io_weight(uint64_t w)
{
	if (w == 0)
		return 0;
	w = MAX(w, 10u);
	w = MIN(w, 1000u);
	return 1 + ((w - 10) * 9999) / 990;
}

/* A missing knob on v2 means its controller is not enabled for this cgroup: say so. */
static int v2_missing(struct cgroup *cg, const char *knob, int r, struct hutch_err *err)
{
	if (r == -ENOENT)
		return err_set(err, EOPNOTSUPP,
			       "cgroup '%s': '%s' requested but controller '%.*s' is not available",
			       cg->name, knob, (int)strcspn(knob, "."), knob);
	return r;
}

static int v2_write(struct cgroup *cg, int fd, const char *knob, const char *val,
		    struct hutch_err *err)
{
	return v2_missing(cg, knob, cg_write(cg, fd, knob, val, err), err);
}

static int v2_writef(struct cgroup *cg, int fd, const char *knob, struct hutch_err *err,
		     const char *fmt, ...) _printf_(5, 6);
static int v2_writef(struct cgroup *cg, int fd, const char *knob, struct hutch_err *err,
		     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cg_vwritef(cg, fd, knob, err, fmt, ap);
	va_end(ap);
	return v2_missing(cg, knob, r, err);
}

/* Refusals first, so a bad spec changes nothing. */
static int v2_memory_check(struct cgroup *cg, const struct spec_memory *m, struct hutch_err *err)
{
	if (MSET(m->swap) && m->swap >= 0) {
		if (!MSET(m->limit) || m->limit < 0)
			return err_set(err, EINVAL,
				       "cgroup '%s': a memory swap limit needs a memory limit",
				       cg->name);
		if (m->swap < m->limit)
			return err_set(err, EINVAL,
				       "cgroup '%s': memory swap %lld is below memory limit %lld",
				       cg->name, (long long)m->swap, (long long)m->limit);
	}
	if (SET(m->swappiness) && m->swappiness >= 0)
		return err_set(err, EOPNOTSUPP,
			       "cgroup '%s': memory swappiness is not supported on cgroup v2",
			       cg->name);
	if (m->has_disable_oom_killer && m->disable_oom_killer)
		return err_set(
		    err, EOPNOTSUPP,
		    "cgroup '%s': disabling the OOM killer is not supported on cgroup v2",
		    cg->name);
	/* kernel / kernelTCP have no v2 counterpart (kernel memory is always accounted). */
	return 0;
}

static int v2_memory(struct cgroup *cg, int fd, const struct spec_memory *m, struct hutch_err *err)
{
	int r = v2_memory_check(cg, m, err);
	if (r >= 0 && MSET(m->limit))
		r = m->limit < 0
			? v2_write(cg, fd, "memory.max", "max", err)
			: v2_writef(cg, fd, "memory.max", err, "%lld", (long long)m->limit);
	if (r >= 0 && MSET(m->reservation))
		r = m->reservation < 0
			? v2_write(cg, fd, "memory.low", "max", err)
			: v2_writef(cg, fd, "memory.low", err, "%lld", (long long)m->reservation);
	/* The spec's swap is memory+swap (v1); v2's swap.max is swap alone. */
	if (r >= 0 && MSET(m->swap))
		r = m->swap < 0 ? v2_write(cg, fd, "memory.swap.max", "max", err)
				: v2_writef(cg, fd, "memory.swap.max", err, "%lld",
					    (long long)(m->swap - m->limit));
	return r;
}

static int v2_cpu(struct cgroup *cg, int fd, const struct spec_cpu *c, struct hutch_err *err)
{
	int r = 0;
	if (SET(c->shares) && c->shares != 0)
		r = v2_writef(cg, fd, "cpu.weight", err, "%llu",
			      (unsigned long long)cg_shares_to_weight((uint64_t)MAX(c->shares, 0)));
	bool quota = SET(c->quota) && c->quota != 0, period = SET(c->period) && c->period != 0;
	if (r >= 0 && (quota || period)) {
		char v[64] = "max";
		if (quota && c->quota > 0)
			snprintf(v, sizeof(v), "%lld", (long long)c->quota);
		if (period)
			snprintf(v + strlen(v), sizeof(v) - strlen(v), " %lld",
				 (long long)c->period);
		r = v2_write(cg, fd, "cpu.max", v, err);
	}
	if (r >= 0 && SET(c->burst))
		r = v2_writef(cg, fd, "cpu.max.burst", err, "%lld", (long long)c->burst);
	if (r >= 0 && ((SET(c->realtime_runtime) && c->realtime_runtime != 0) ||
		       (SET(c->realtime_period) && c->realtime_period != 0)))
		return err_set(err, EOPNOTSUPP,
			       "cgroup '%s': realtime cpu limits are not supported on cgroup v2",
			       cg->name);
	if (r >= 0 && SET(c->idle))
		r = v2_writef(cg, fd, "cpu.idle", err, "%lld", (long long)c->idle);
	if (r >= 0 && c->cpus && *c->cpus)
		r = v2_write(cg, fd, "cpuset.cpus", c->cpus, err);
	if (r >= 0 && c->mems && *c->mems)
		r = v2_write(cg, fd, "cpuset.mems", c->mems, err);
	return r;
}

static const char *const io_max_keys[4] = {
    [SPEC_THROTTLE_READ_BPS] = "rbps",
    [SPEC_THROTTLE_WRITE_BPS] = "wbps",
    [SPEC_THROTTLE_READ_IOPS] = "riops",
    [SPEC_THROTTLE_WRITE_IOPS] = "wiops",
};

/* io.weight is cfq/iocost's; bfq-only hosts have io.bfq.weight with the v1 range. */
static int v2_io_weight(struct cgroup *cg, int fd, const char *dev, int64_t weight,
			struct hutch_err *err)
{
	char v[96];
	snprintf(v, sizeof(v), "%s %llu", dev,
		 (unsigned long long)cg_blkio_to_io_weight((uint64_t)MAX(weight, 0)));
	int r = cg_write(cg, fd, "io.weight", v, NULL);
	if (r != -ENOENT)
		return r < 0 ? v2_write(cg, fd, "io.weight", v, err) : 0;
	snprintf(v, sizeof(v), "%s %lld", dev, (long long)weight);
	return v2_write(cg, fd, "io.bfq.weight", v, err);
}

static int v2_io(struct cgroup *cg, int fd, const struct spec_blkio *b, struct hutch_err *err)
{
	int r = 0;
	if (SET(b->weight) && b->weight != 0)
		r = v2_io_weight(cg, fd, "default", b->weight, err);
	for (size_t i = 0; r >= 0 && i < b->n_weight_devices; i++) {
		const struct spec_weight_device *w = &b->weight_devices[i];
		char dev[48];
		snprintf(dev, sizeof(dev), "%lld:%lld", (long long)w->major, (long long)w->minor);
		if (SET(w->weight))
			r = v2_io_weight(cg, fd, dev, w->weight, err);
	}
	bool any = false;
	for (size_t t = 0; t < 4; t++)
		any |= b->n_throttle[t] > 0;
	if (r < 0 || !any)
		return r;
	int kfd = cg_open_knob(cg, fd, "io.max", err);
	if (kfd < 0)
		return kfd == -ENOENT ? v2_write(cg, fd, "io.max", "", err) : kfd;
	for (size_t t = 0; r >= 0 && t < 4; t++) {
		for (size_t i = 0; r >= 0 && i < b->n_throttle[t]; i++) {
			const struct spec_throttle_device *d = &b->throttle[t][i];
			char v[96];
			if (d->rate == 0) /* v1's 0 means "no limit" */
				snprintf(v, sizeof(v), "%lld:%lld %s=max", (long long)d->major,
					 (long long)d->minor, io_max_keys[t]);
			else
				snprintf(v, sizeof(v), "%lld:%lld %s=%llu", (long long)d->major,
					 (long long)d->minor, io_max_keys[t],
					 (unsigned long long)d->rate);
			r = cg_putln(cg, kfd, "io.max", v, err);
		}
	}
	safe_close(kfd);
	return r;
}

/* Raw v2 files from linux.resources.unified. Trust boundary: key names come from the
 * config, so they must name a plain file in the container's own directory, and never one
 * of the cgroup.* files that move processes or reshape the tree. */
static int v2_unified(struct cgroup *cg, int fd, const struct spec_resources *res,
		      struct hutch_err *err)
{
	for (size_t i = 0; i < res->n_unified; i++) {
		const char *k = res->unified[i].key, *v = res->unified[i].value;
		size_t kl = strlen(k);
		if (kl == 0 || kl > NAME_MAX || strchr(k, '/') || k[0] == '.' || !strchr(k, '.') ||
		    !strncmp(k, "cgroup.", 7))
			return err_set(err, EINVAL,
				       "cgroup '%s': unified key '%.64s' is not allowed", cg->name,
				       k);
		if (strlen(v) > 4096)
			return err_set(err, E2BIG,
				       "cgroup '%s': unified value for '%s' is too long", cg->name,
				       k);
		int r = v2_write(cg, fd, k, v, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v2_hugetlb(struct cgroup *cg, int fd, const struct spec_resources *res,
		      struct hutch_err *err)
{
	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		const struct spec_hugepage_limit *h = &res->hugepage_limits[i];
		if (!cg_valid_page_size(h->page_size))
			return err_set(err, EINVAL, "cgroup '%s': bad hugepage size '%.32s'",
				       cg->name, h->page_size);
		char knob[64];
		snprintf(knob, sizeof(knob), "hugetlb.%s.max", h->page_size);
		int r = v2_writef(cg, fd, knob, err, "%llu", (unsigned long long)h->limit);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v2_devices(struct cgroup *cg, int fd, const struct spec_resources *res,
		      struct hutch_err *err)
{
	/* BPF attach needs a real (not O_PATH) fd of the directory. */
	_cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_set_errno(err, errno, "open cgroup '%s'", cg->name);
	int r = cg_bpf_devices_attach(dfd, res->devices, res->n_devices, err);
	return r < 0 ? err_prefix(err, "cgroup '%s'", cg->name) : 0;
}

int cg_v2_apply(struct cgroup *cg, const struct spec_resources *res, struct hutch_err *err)
{
	int fd = cg_fd(cg, "");
	if (fd < 0)
		return err_set(err, ENOENT, "cgroup '%s' is not open", cg->name);
	int r = 0;
	if (res->has_memory)
		r = v2_memory(cg, fd, &res->memory, err);
	if (r >= 0 && res->has_cpu)
		r = v2_cpu(cg, fd, &res->cpu, err);
	if (r >= 0 && SET(res->pids_limit))
		r = res->pids_limit <= 0
			? v2_write(cg, fd, "pids.max", "max", err)
			: v2_writef(cg, fd, "pids.max", err, "%lld", (long long)res->pids_limit);
	if (r >= 0 && res->has_blkio)
		r = v2_io(cg, fd, &res->blkio, err);
	if (r >= 0 && res->n_hugepage_limits)
		r = v2_hugetlb(cg, fd, res, err);
	if (r >= 0 && res->n_unified)
		r = v2_unified(cg, fd, res, err);
	if (r >= 0 && res->n_devices)
		r = v2_devices(cg, fd, res, err);
	return r;
}

/*
 * A v2 directory gets a controller's knobs only if its parent delegates it: enable every
 * controller the parent has, at each level from the hierarchy root down to the leaf's parent.
 */
int cg_v2_enable_controllers(struct cgroup *cg, struct hutch_err *err)
{
	int idx = cg->lay->v2_idx;
	const char *mnt = cg->lay->h[idx].mnt, *dir = cg->dir[idx];
	_cleanup_close_ int cur = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return err_set_errno(err, errno, "open cgroup '%s'", mnt);
	const char *last = strrchr(dir, '/');
	for (const char *s = dir + strlen(mnt);;) {
		char avail[1024], req[1200];
		ssize_t n = cg_read(cur, "cgroup.controllers", avail, sizeof(avail));
		size_t o = 0;
		for (char *t = n > 0 ? strtok(avail, " \n") : NULL; t; t = strtok(NULL, " \n"))
			o += (size_t)snprintf(req + o, sizeof(req) - o, "%s+%s", o ? " " : "", t);
		if (o && o < sizeof(req) &&
		    cg_write(cg, cur, "cgroup.subtree_control", req, err) < 0)
			return err_prefix(err, "enable controllers (a populated cgroup cannot "
					       "delegate them)");
		while (*s == '/')
			s++;
		if (s > last)
			return 0;
		const char *e = strchrnul(s, '/');
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(e - s), s);
		int next = openat(cur, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (next < 0)
			return err_set_errno(err, errno, "open cgroup '%s'", dir);
		safe_close(cur);
		cur = next;
		s = e;
	}
}

int cg_v2_stats(struct cgroup *cg, struct cgroup_stats *st)
{
	int fd = cg_fd(cg, "");
	if (fd < 0)
		return -ENOENT;
	(void)cg_read_u64(fd, "memory.current", &st->memory_usage);
	(void)cg_read_u64(fd, "memory.max", &st->memory_limit);
	(void)cg_read_u64(fd, "memory.peak", &st->memory_max_usage);
	(void)cg_read_keyed(fd, "memory.events", "oom_kill", &st->oom_kills);
	uint64_t v;
	if (cg_read_keyed(fd, "cpu.stat", "usage_usec", &v) == 0)
		st->cpu_usage_ns = v * 1000;
	if (cg_read_keyed(fd, "cpu.stat", "user_usec", &v) == 0)
		st->cpu_user_ns = v * 1000;
	if (cg_read_keyed(fd, "cpu.stat", "system_usec", &v) == 0)
		st->cpu_system_ns = v * 1000;
	(void)cg_read_u64(fd, "pids.current", &st->pids_current);
	(void)cg_read_u64(fd, "pids.max", &st->pids_limit);
	return 0;
}
