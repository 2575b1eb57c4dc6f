/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup v1 (and hybrid, whose controllers are v1): resources → one file per knob in each
 * controller's hierarchy, and usage counters back. Only knobs the spec sets are written.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "err.h"

#define SET(v) ((v) != SPEC_UNSET)
/* Memory sizes of 0 mean "not set", as runc reads them (docker sends 0 for "default"). */
#define MSET(v) ((v) != SPEC_UNSET && (v) != 0)

/* v1's "unlimited" is the page counter's maximum, which depends on the page size. */
static uint64_t v1_limit(uint64_t v)
{
	return v >= (1ULL << 62) ? UINT64_MAX : v;
}

static bool missing_or_unsupported(int r)
{
	return r == -ENOENT || r == -EOPNOTSUPP || r == -524 /* ENOTSUPP */;
}

/* memory.limit and memory.memsw (limit+swap) must stay limit <= memsw at every step. */
static int v1_memory_limits(struct cgroup *cg, int fd, const struct spec_memory *m,
			    struct hutch_err *err)
{
	bool swap_done = false;
	if (MSET(m->limit)) {
		int r =
		    cg_writef(cg, fd, "memory.limit_in_bytes", NULL, "%lld", (long long)m->limit);
		if (r == -EINVAL && MSET(m->swap)) {
			/* Raising the limit above the current memsw: raise memsw first. */
			r = cg_writef(cg, fd, "memory.memsw.limit_in_bytes", err, "%lld",
				      (long long)m->swap);
			if (r < 0)
				return r;
			swap_done = true;
			r = -EAGAIN;
		}
		if (r < 0) /* again, now filling err */
			r = cg_writef(cg, fd, "memory.limit_in_bytes", err, "%lld",
				      (long long)m->limit);
		if (r < 0)
			return r;
	}
	if (MSET(m->swap) && !swap_done) {
		/* No memsw file: swap accounting is off on this host; like runc, not an error. */
		int r = cg_writef(cg, fd, "memory.memsw.limit_in_bytes", NULL, "%lld",
				  (long long)m->swap);
		if (r < 0 && r != -ENOENT)
			return cg_writef(cg, fd, "memory.memsw.limit_in_bytes", err, "%lld",
					 (long long)m->swap);
	}
	return 0;
}

static int v1_memory(struct cgroup *cg, const struct spec_memory *m, struct hutch_err *err)
{
	bool swappiness = SET(m->swappiness) && m->swappiness >= 0; /* docker's -1: unset */
	if (!MSET(m->limit) && !MSET(m->reservation) && !MSET(m->swap) && !MSET(m->kernel) &&
	    !MSET(m->kernel_tcp) && !swappiness && !m->has_disable_oom_killer)
		return 0;
	int fd = cg_need(cg, "memory", "memory limit", err);
	if (fd < 0)
		return fd;
	int r = v1_memory_limits(cg, fd, m, err);
	if (r >= 0 && MSET(m->reservation))
		r = cg_writef(cg, fd, "memory.soft_limit_in_bytes", err, "%lld",
			      (long long)m->reservation);
	/* Kernel memory limits are gone from newer kernels: set them only where they exist. */
	if (r >= 0 && MSET(m->kernel)) {
		r = cg_writef(cg, fd, "memory.kmem.limit_in_bytes", NULL, "%lld",
			      (long long)m->kernel);
		if (r < 0 && !missing_or_unsupported(r))
			r = cg_writef(cg, fd, "memory.kmem.limit_in_bytes", err, "%lld",
				      (long long)m->kernel);
		r = r < 0 && missing_or_unsupported(r) ? 0 : r;
	}
	if (r >= 0 && MSET(m->kernel_tcp)) {
		r = cg_writef(cg, fd, "memory.kmem.tcp.limit_in_bytes", NULL, "%lld",
			      (long long)m->kernel_tcp);
		if (r < 0 && !missing_or_unsupported(r))
			r = cg_writef(cg, fd, "memory.kmem.tcp.limit_in_bytes", err, "%lld",
				      (long long)m->kernel_tcp);
		r = r < 0 && missing_or_unsupported(r) ? 0 : r;
	}
	if (r >= 0 && swappiness) {
		if (m->swappiness > 100)
			return err_set(err, EINVAL,
				       "cgroup '%s': memory swappiness %lld is over 100", cg->name,
				       (long long)m->swappiness);
		r = cg_writef(cg, fd, "memory.swappiness", err, "%lld", (long long)m->swappiness);
	}
	if (r >= 0 && m->has_disable_oom_killer)
		r = cg_write(cg, fd, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err);
	return r;
}

static int v1_cpu(struct cgroup *cg, const struct spec_cpu *c, struct hutch_err *err)
{
	bool shares = SET(c->shares) && c->shares != 0;
	bool period = SET(c->period) && c->period != 0, quota = SET(c->quota) && c->quota != 0;
	int r = 0;
	if (shares || period || quota || SET(c->burst) || SET(c->realtime_period) ||
	    SET(c->realtime_runtime) || SET(c->idle)) {
		int fd = cg_need(cg, "cpu", "cpu limit", err);
		if (fd < 0)
			return fd;
		if (shares)
			r = cg_writef(cg, fd, "cpu.shares", err, "%lld", (long long)c->shares);
		/* Period before quota: a quota is checked against the current period. */
		if (r >= 0 && period)
			r = cg_writef(cg, fd, "cpu.cfs_period_us", err, "%lld",
				      (long long)c->period);
		if (r >= 0 && quota)
			r = cg_writef(cg, fd, "cpu.cfs_quota_us", err, "%lld", (long long)c->quota);
		if (r >= 0 && SET(c->burst))
			r = cg_writef(cg, fd, "cpu.cfs_burst_us", err, "%lld", (long long)c->burst);
		if (r >= 0 && SET(c->realtime_period))
			r = cg_writef(cg, fd, "cpu.rt_period_us", err, "%lld",
				      (long long)c->realtime_period);
		if (r >= 0 && SET(c->realtime_runtime))
			r = cg_writef(cg, fd, "cpu.rt_runtime_us", err, "%lld",
				      (long long)c->realtime_runtime);
		if (r >= 0 && SET(c->idle))
			r = cg_writef(cg, fd, "cpu.idle", err, "%lld", (long long)c->idle);
		if (r < 0)
			return r;
	}
	if ((c->cpus && *c->cpus) || (c->mems && *c->mems)) {
		int fd = cg_need(cg, "cpuset", "cpuset", err);
		if (fd < 0)
			return fd;
		if (c->cpus && *c->cpus)
			r = cg_write(cg, fd, "cpuset.cpus", c->cpus, err);
		if (r >= 0 && c->mems && *c->mems)
			r = cg_write(cg, fd, "cpuset.mems", c->mems, err);
	}
	return r;
}

static void dev_num(char *buf, size_t size, int64_t v)
{
	if (v < 0)
		snprintf(buf, size, "*");
	else
		snprintf(buf, size, "%lld", (long long)v);
}

/* devices.deny "a" first, then each rule in order: the kernel applies them as a list. */
static int v1_devices(struct cgroup *cg, const struct spec_resources *res, struct hutch_err *err)
{
	int dir = cg_need(cg, "devices", "device rules", err);
	if (dir < 0)
		return dir;
	_cleanup_close_ int deny = cg_open_knob(cg, dir, "devices.deny", err);
	if (deny < 0)
		return deny;
	_cleanup_close_ int allow = cg_open_knob(cg, dir, "devices.allow", err);
	if (allow < 0)
		return allow;
	int r = cg_putln(cg, deny, "devices.deny", "a", err);
	for (size_t i = 0; r >= 0 && i < res->n_devices; i++) {
		const struct spec_device_rule *d = &res->devices[i];
		const char *acc = d->access[0] ? d->access : "rwm";
		char line[96], maj[24], min[24];
		if (d->type == 'a' || d->type == '\0') {
			snprintf(line, sizeof(line), "a *:* %s", acc);
		} else if (d->type == 'c' || d->type == 'b') {
			dev_num(maj, sizeof(maj), d->major);
			dev_num(min, sizeof(min), d->minor);
			snprintf(line, sizeof(line), "%c %s:%s %s", d->type, maj, min, acc);
		} else {
			return err_set(err, EINVAL, "cgroup '%s': device rule %zu: bad type '%c'",
				       cg->name, i, d->type);
		}
		r = d->allow ? cg_putln(cg, allow, "devices.allow", line, err)
			     : cg_putln(cg, deny, "devices.deny", line, err);
	}
	return r;
}

/* bfq-only hosts name the weight files blkio.bfq.*; plain ones blkio.*. */
static int write_weight(struct cgroup *cg, int fd, const char *plain, const char *bfq,
			const char *val, struct hutch_err *err)
{
	int r = cg_write(cg, fd, plain, val, NULL);
	if (r != -ENOENT)
		return r < 0 ? cg_write(cg, fd, plain, val, err) : 0;
	r = cg_write(cg, fd, bfq, val, NULL);
	if (r == -ENOENT)
		return err_set(err, EOPNOTSUPP,
			       "cgroup '%s': block I/O weight requested but neither '%s' nor '%s' "
			       "exists (no weight-aware I/O scheduler)",
			       cg->name, plain, bfq);
	return r < 0 ? cg_write(cg, fd, bfq, val, err) : 0;
}

static const char *const v1_throttle_files[4] = {
    [SPEC_THROTTLE_READ_BPS] = "blkio.throttle.read_bps_device",
    [SPEC_THROTTLE_WRITE_BPS] = "blkio.throttle.write_bps_device",
    [SPEC_THROTTLE_READ_IOPS] = "blkio.throttle.read_iops_device",
    [SPEC_THROTTLE_WRITE_IOPS] = "blkio.throttle.write_iops_device",
};

static int v1_blkio(struct cgroup *cg, const struct spec_blkio *b, struct hutch_err *err)
{
	int fd = cg_need(cg, "blkio", "block I/O limit", err);
	if (fd < 0)
		return fd;
	char v[64];
	int r = 0;
	if (SET(b->weight) && b->weight != 0) {
		snprintf(v, sizeof(v), "%lld", (long long)b->weight);
		r = write_weight(cg, fd, "blkio.weight", "blkio.bfq.weight", v, err);
	}
	if (r >= 0 && SET(b->leaf_weight) && b->leaf_weight != 0)
		r = cg_writef(cg, fd, "blkio.leaf_weight", err, "%lld", (long long)b->leaf_weight);
	for (size_t i = 0; r >= 0 && i < b->n_weight_devices; i++) {
		const struct spec_weight_device *w = &b->weight_devices[i];
		if (SET(w->weight)) {
			snprintf(v, sizeof(v), "%lld:%lld %lld", (long long)w->major,
				 (long long)w->minor, (long long)w->weight);
			r = write_weight(cg, fd, "blkio.weight_device", "blkio.bfq.weight_device",
					 v, err);
		}
		if (r >= 0 && SET(w->leaf_weight))
			r = cg_writef(cg, fd, "blkio.leaf_weight_device", err, "%lld:%lld %lld",
				      (long long)w->major, (long long)w->minor,
				      (long long)w->leaf_weight);
	}
	for (size_t t = 0; r >= 0 && t < 4; t++) {
		if (!b->n_throttle[t])
			continue;
		_cleanup_close_ int kfd = cg_open_knob(cg, fd, v1_throttle_files[t], err);
		if (kfd < 0)
			return kfd;
		for (size_t i = 0; r >= 0 && i < b->n_throttle[t]; i++) {
			const struct spec_throttle_device *d = &b->throttle[t][i];
			snprintf(v, sizeof(v), "%lld:%lld %llu", (long long)d->major,
				 (long long)d->minor, (unsigned long long)d->rate);
			r = cg_putln(cg, kfd, v1_throttle_files[t], v, err);
		}
	}
	return r;
}

static int v1_hugetlb(struct cgroup *cg, const struct spec_resources *res, struct hutch_err *err)
{
	int fd = cg_need(cg, "hugetlb", "hugepage limit", err);
	for (size_t i = 0; fd >= 0 && i < res->n_hugepage_limits; i++) {
		const struct spec_hugepage_limit *h = &res->hugepage_limits[i];
		if (!cg_valid_page_size(h->page_size))
			return err_set(err, EINVAL, "cgroup '%s': bad hugepage size '%.32s'",
				       cg->name, h->page_size);
		char knob[64];
		snprintf(knob, sizeof(knob), "hugetlb.%s.limit_in_bytes", h->page_size);
		int r = cg_writef(cg, fd, knob, err, "%llu", (unsigned long long)h->limit);
		if (r < 0)
			return r;
	}
	return fd < 0 ? fd : 0;
}

int cg_v1_apply(struct cgroup *cg, const struct spec_resources *res, struct hutch_err *err)
{
	if (res->n_unified)
		return err_set(err, EOPNOTSUPP,
			       "cgroup '%s': linux.resources.unified needs cgroup v2, host is %s",
			       cg->name, cgroup_mode_name(cg->lay->mode));
	int r = 0;
	if (res->has_memory)
		r = v1_memory(cg, &res->memory, err);
	if (r >= 0 && res->has_cpu)
		r = v1_cpu(cg, &res->cpu, err);
	if (r >= 0 && SET(res->pids_limit)) {
		int fd = cg_need(cg, "pids", "pids limit", err);
		if (fd < 0)
			return fd;
		r = res->pids_limit <= 0
			? cg_write(cg, fd, "pids.max", "max", err)
			: cg_writef(cg, fd, "pids.max", err, "%lld", (long long)res->pids_limit);
	}
	if (r >= 0 && res->has_blkio)
		r = v1_blkio(cg, &res->blkio, err);
	if (r >= 0 && res->n_hugepage_limits)
		r = v1_hugetlb(cg, res, err);
	if (r >= 0 && res->n_devices)
		r = v1_devices(cg, res, err);
	return r;
}

static bool blank(const char *s)
{
	return s[strspn(s, " \n")] == '\0';
}

/*
 * A new v1 cpuset directory starts with empty cpus/mems, and no task can join it until they
 * are set: copy them down from the parent at every level that is still empty.
 */
int cg_v1_cpuset_copy_down(struct cgroup *cg, int idx, struct hutch_err *err)
{
	static const char *const knobs[2] = {"cpuset.cpus", "cpuset.mems"};
	const char *mnt = cg->lay->h[idx].mnt, *dir = cg->dir[idx];
	_cleanup_close_ int parent = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return err_set_errno(err, errno, "open cgroup '%s'", mnt);
	char val[2][4096];
	for (int k = 0; k < 2; k++)
		if (cg_read(parent, knobs[k], val[k], sizeof(val[k])) < 0)
			val[k][0] = '\0';
	for (const char *s = dir + strlen(mnt); *s;) {
		while (*s == '/')
			s++;
		const char *e = strchrnul(s, '/');
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(e - s), s);
		s = e;
		if (!*name)
			break;
		int child = openat(parent, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (child < 0)
			return err_set_errno(err, errno, "open cgroup '%s'", dir);
		safe_close(parent);
		parent = child;
		for (int k = 0; k < 2; k++) {
			char cur[4096];
			if (cg_read(child, knobs[k], cur, sizeof(cur)) >= 0 && !blank(cur)) {
				memcpy(val[k], cur, sizeof(cur));
				continue;
			}
			if (blank(val[k]))
				continue;
			int r = cg_write(cg, child, knobs[k], val[k], err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int cg_v1_stats(struct cgroup *cg, struct cgroup_stats *st)
{
	int fd = cg_fd(cg, "memory");
	if (fd >= 0) {
		(void)cg_read_u64(fd, "memory.usage_in_bytes", &st->memory_usage);
		(void)cg_read_u64(fd, "memory.max_usage_in_bytes", &st->memory_max_usage);
		if (cg_read_u64(fd, "memory.limit_in_bytes", &st->memory_limit) == 0)
			st->memory_limit = v1_limit(st->memory_limit);
		(void)cg_read_keyed(fd, "memory.oom_control", "oom_kill", &st->oom_kills);
	}
	fd = cg_fd(cg, "cpuacct");
	if (fd >= 0) {
		(void)cg_read_u64(fd, "cpuacct.usage", &st->cpu_usage_ns);
		long hz = sysconf(_SC_CLK_TCK);
		uint64_t tick = hz > 0 ? 1000000000ULL / (uint64_t)hz : 10000000ULL, v;
		if (cg_read_keyed(fd, "cpuacct.stat", "user", &v) == 0)
			st->cpu_user_ns = v * tick;
		if (cg_read_keyed(fd, "cpuacct.stat", "system", &v) == 0)
			st->cpu_system_ns = v * tick;
	}
	fd = cg_fd(cg, "pids");
	if (fd >= 0) {
		(void)cg_read_u64(fd, "pids.current", &st->pids_current);
		(void)cg_read_u64(fd, "pids.max", &st->pids_limit);
	}
	return 0;
}
