/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Operations on a live container cgroup: freeze/thaw, listing and killing its processes,
 * statistics, and destruction. Waits are bounded: a cgroup that does not settle in time is an
 * error, never a hang of the runtime.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>

#include "cgroup-internal.h"
#include "err.h"

#define SETTLE_TIMEOUT_MS 5000

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleeps a little longer each round (100 us doubling to 10 ms): fast when things are quick. */
static void backoff(unsigned *round)
{
	long us = 100L << MIN(*round, 7u);
	if (us > 10000)
		us = 10000;
	struct timespec ts = {0, us * 1000};
	nanosleep(&ts, NULL);
	(*round)++;
}

static int freezer_fd(struct cgroup *cg, bool *v2)
{
	*v2 = cg->lay->mode == CGROUP_MODE_V2;
	return cg_fd(cg, *v2 ? "" : "freezer");
}

static bool v1_state_is(int fd, const char *want)
{
	char buf[32];
	ssize_t n = cg_read(fd, "freezer.state", buf, sizeof(buf));
	return n > 0 && !strncmp(buf, want, strlen(want)) &&
	       (buf[strlen(want)] == '\n' || !buf[strlen(want)]);
}

static bool v2_frozen_is(int fd, bool want)
{
	uint64_t v;
	return cg_read_keyed(fd, "cgroup.events", "frozen", &v) == 0 && v == (want ? 1 : 0);
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct hutch_err *err)
{
	bool v2;
	int fd = freezer_fd(cg, &v2);
	if (fd < 0)
		return err_set(err, EOPNOTSUPP, "cgroup '%s': no freezer on this host", cg->name);
	const char *knob = v2 ? "cgroup.freeze" : "freezer.state";
	const char *val = v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
	int r = cg_write(cg, fd, knob, val, err);
	if (r < 0)
		return r;
	uint64_t deadline = now_ms() + SETTLE_TIMEOUT_MS;
	for (unsigned round = 0;; backoff(&round)) {
		if (v2 ? v2_frozen_is(fd, frozen) : v1_state_is(fd, val))
			return 0;
		if (now_ms() > deadline)
			break;
		/* v1 can stay FREEZING when a task was busy at the first try: ask again. */
		if (!v2 && round % 8 == 7 && (r = cg_write(cg, fd, knob, val, err)) < 0)
			return r;
	}
	if (frozen) /* do not leave it half frozen */
		(void)cg_write(cg, fd, knob, v2 ? "0" : "THAWED", NULL);
	return err_set(err, ETIMEDOUT, "cgroup '%s': %s did not settle", cg->name,
		       frozen ? "freeze" : "thaw");
}

int cgroup_is_frozen(struct cgroup *cg, bool *ret)
{
	bool v2;
	int fd = freezer_fd(cg, &v2);
	if (fd < 0) {
		*ret = false;
		return 0;
	}
	*ret = v2 ? v2_frozen_is(fd, true) : v1_state_is(fd, "FROZEN");
	return 0;
}

/* The hierarchy whose cgroup.procs lists the container's processes most reliably. */
static int procs_fd(struct cgroup *cg)
{
	if (cg->lay->mode == CGROUP_MODE_V2)
		return cg_fd(cg, "");
	static const char *const pref[] = {"pids", "freezer", "memory", "cpu", "devices"};
	for (size_t i = 0; i < ARRAY_SIZE(pref); i++) {
		int fd = cg_fd(cg, pref[i]);
		if (fd >= 0)
			return fd;
	}
	for (size_t i = 0; i < cg->lay->n; i++)
		if (cg->fd[i] >= 0)
			return cg->fd[i];
	return -1;
}

struct pidv {
	pid_t *v;
	size_t n, cap;
};

static int read_procs(int dirfd, struct pidv *pv)
{
	_cleanup_close_ int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	_cleanup_fclose_ FILE *f = fdopen(fd, "re");
	if (!f)
		return negative_errno();
	fd = -1;
	long pid;
	while (fscanf(f, "%ld", &pid) == 1) {
		if (pv->n == CG_MAX_PIDS)
			return -E2BIG;
		if (pv->n == pv->cap) {
			size_t nc = pv->cap ? pv->cap * 2 : 64;
			pid_t *nv = realloc(pv->v, nc * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			pv->v = nv;
			pv->cap = nc;
		}
		pv->v[pv->n++] = (pid_t)pid;
	}
	return 0;
}

/* cgroup.procs of dirfd and of every sub-cgroup below it (the container may make some). */
static int walk_procs(int dirfd, struct pidv *pv, unsigned depth)
{
	if (depth > CG_MAX_WALK_DEPTH)
		return -ELOOP;
	int r = read_procs(dirfd, pv);
	if (r < 0)
		return r;
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return negative_errno();
	DIR *d = fdopendir(dfd);
	if (!d) {
		safe_close(dfd);
		return -ENOMEM;
	}
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_close_ int sub =
		    openat(dirfd, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		r = sub < 0 ? (errno == ENOENT ? 0 : negative_errno())
			    : walk_procs(sub, pv, depth + 1);
	}
	closedir(d);
	return r;
}

int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n)
{
	int fd = procs_fd(cg);
	if (fd < 0)
		return -ENOENT;
	struct pidv pv = {0};
	int r = walk_procs(fd, &pv, 0);
	if (r < 0) {
		free(pv.v);
		return r;
	}
	*ret = pv.v;
	*ret_n = pv.n;
	return 0;
}

static int signal_all(struct cgroup *cg, int sig, size_t *ret_n)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = cgroup_pids(cg, &pids, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			r = negative_errno();
	*ret_n = n;
	return r;
}

int cgroup_kill_all(struct cgroup *cg, int sig)
{
	size_t n;
	if (sig != SIGKILL)
		return signal_all(cg, sig, &n);
	/* v2's cgroup.kill kills the whole subtree atomically, forks included. */
	int fd = cg_fd(cg, "");
	if (cg->lay->mode == CGROUP_MODE_V2 && fd >= 0 &&
	    cg_write(cg, fd, "cgroup.kill", "1", NULL) == 0)
		return 0;
	/* Nothing inside (the usual case at delete): no freeze/thaw round trip. */
	_cleanup_free_ pid_t *pids = NULL;
	int r = cgroup_pids(cg, &pids, &n);
	if (r < 0 || n == 0)
		return r == -ENOENT ? 0 : r;
	/* Freeze first so no process can fork while we walk the list; SIGKILL reaches frozen
	 * tasks, which die as soon as they are thawed. */
	bool froze = cgroup_freeze(cg, true, NULL) == 0;
	r = signal_all(cg, SIGKILL, &n);
	if (froze)
		(void)cgroup_freeze(cg, false, NULL);
	/* Without a freezer, a fork may slip between listing and killing: go round again. */
	for (unsigned round = 0; !froze && r >= 0 && n > 0 && round < 16; round++)
		r = signal_all(cg, SIGKILL, &n);
	return r;
}

/* Waits until no process is left (bounded). */
static int wait_empty(struct cgroup *cg)
{
	uint64_t deadline = now_ms() + SETTLE_TIMEOUT_MS;
	for (unsigned round = 0;; backoff(&round)) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		int r = cgroup_pids(cg, &pids, &n);
		if (r == -ENOENT || (r >= 0 && n == 0))
			return 0;
		if (now_ms() > deadline)
			return -EBUSY;
		if (r >= 0 && round % 16 == 15)
			(void)cgroup_kill_all(cg, SIGKILL);
	}
}

/* rmdir of dirfd/name and every sub-cgroup below it, children first. */
static int rmdir_tree(int parent, const char *name, unsigned depth)
{
	if (depth > CG_MAX_WALK_DEPTH)
		return -ELOOP;
	int dfd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return errno == ENOENT ? 0 : negative_errno();
	DIR *d = fdopendir(dfd);
	if (!d) {
		safe_close(dfd);
		return -ENOMEM;
	}
	int r = 0;
	struct dirent *de;
	while (r >= 0 && (de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.')
			r = rmdir_tree(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	if (r < 0)
		return r;
	/* The kernel may report busy for a moment after the last task left. */
	uint64_t deadline = now_ms() + 1000;
	for (unsigned round = 0;; backoff(&round)) {
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ms() > deadline)
			return negative_errno();
	}
}

/* A plain rmdir of each directory, which the kernel refuses (EBUSY) while a process or a
 * sub-cgroup is in it; those that went are closed. True when all went. */
static bool rmdir_all_empty(struct cgroup *cg)
{
	bool all = true;
	for (size_t i = 0; i < cg->lay->n; i++) {
		if (!cg->dir[i] || cg->fd[i] < 0)
			continue;
		if (rmdir(cg->dir[i]) == 0 || errno == ENOENT)
			cg->fd[i] = safe_close(cg->fd[i]);
		else
			all = false;
	}
	return all;
}

/*
 * Removes the container's own directories. Their parent (the default "/hutch", see cgroup.h)
 * stays, as systemd's slices do: it holds nothing, and making and removing it with every
 * sandbox cost one more mkdir and rmdir per hierarchy (~0.2 ms of each `hutch run`).
 */
int cgroup_destroy(struct cgroup *cg, struct hutch_err *err)
{
	/* The usual case, at delete: everything in it is gone already. */
	if (rmdir_all_empty(cg))
		return 0;
	(void)cgroup_kill_all(cg, SIGKILL);
	if (wait_empty(cg) < 0)
		return err_set(err, EBUSY, "cgroup '%s': processes did not exit", cg->name);
	int ret = 0;
	for (size_t i = 0; i < cg->lay->n; i++) {
		if (!cg->dir[i] || cg->fd[i] < 0)
			continue;
		_cleanup_close_ int parent =
		    openat(cg->fd[i], "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		const char *base = strrchr(cg->dir[i], '/') + 1;
		int r = parent < 0 ? negative_errno() : rmdir_tree(parent, base, 0);
		if (r < 0 && ret == 0)
			ret = err_set_errno(err, -r, "remove cgroup '%s'", cg->dir[i]);
		if (r >= 0)
			cg->fd[i] = safe_close(cg->fd[i]);
	}
	return ret;
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret, struct hutch_err *err)
{
	memset(ret, 0, sizeof(*ret));
	ret->memory_limit = UINT64_MAX;
	ret->pids_limit = UINT64_MAX;
	int r = cg->lay->mode == CGROUP_MODE_V2 ? cg_v2_stats(cg, ret) : cg_v1_stats(cg, ret);
	if (r < 0)
		return err_set_errno(err, -r, "cgroup '%s': read statistics", cg->name);
	return 0;
}
