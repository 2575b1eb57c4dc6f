/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-density: starts up to N idle sandboxes with the library (defaults, no workspace),
 * keeping each agent connection open, then measures what they cost and removes them all.
 *
 *   bench-density ROOT AGENT N BUDGET_S CURVE.csv
 *
 * Stops early (and says why on stdout) when MemAvailable would drop under a 4 GiB reserve or
 * when creation has used half of BUDGET_S. Prints key=value lines: created, stop_reason,
 * create_s, remove_s, memavail_delta_kb, pss_kb_sum, rss_kb_sum, cgroup_kb_sum, agent_*,
 * left_processes, left_state, left_cgroups, left_mounts (of these sandboxes only: other users of
 * the machine may have sandboxes of their own). CURVE.csv: n,elapsed_s,memavail_delta_kb.
 */
#include <dirent.h>
#include <glob.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "engine/container.h"
#include "hutch/hutch.h"
#include "sandbox/run.h"
#include "sandbox/sandbox.h"

#define RESERVE_KB (4ull << 20)

struct sb {
	char id[SANDBOX_ID_MAX];
	struct hutch_agent *a;
	pid_t *pids;
	size_t n_pids;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long long v = -1;
	size_t kl = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':')
			v = atoll(line + kl + 1);
	if (f)
		fclose(f);
	return v;
}

/* Pss and Rss of one process in kB, from smaps_rollup. */
static void proc_mem(pid_t pid, long long *pss, long long *rss)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "re");
	*pss = *rss = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Pss:", 4) == 0)
			*pss = atoll(line + 4);
		else if (strncmp(line, "Rss:", 4) == 0)
			*rss = atoll(line + 4);
	}
	if (f)
		fclose(f);
}

/* Cgroup directories named after id in any hierarchy, one or two levels down. */
static int count_cgroups(const char *id)
{
	int n = 0;
	const char *fmt[] = { "/sys/fs/cgroup/%s", "/sys/fs/cgroup/*/%s", "/sys/fs/cgroup/*/*/%s" };
	for (size_t i = 0; i < 3; i++) {
		char pat[256];
		glob_t g;
		snprintf(pat, sizeof(pat), fmt[i], id);
		if (glob(pat, GLOB_ONLYDIR | GLOB_NOSORT, NULL, &g) == 0)
			n += (int)g.gl_pathc;
		globfree(&g);
	}
	return n;
}

/* Lines of our mountinfo that mention any of the ids (or the state root). */
static int count_mounts(const char *root, struct sb *sbs, int n)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int c = 0;
	while (f && fgets(line, sizeof(line), f)) {
		bool hit = strstr(line, root) != NULL;
		for (int i = 0; i < n && !hit; i++)
			hit = strstr(line, sbs[i].id) != NULL;
		c += hit;
	}
	if (f)
		fclose(f);
	return c;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: bench-density ROOT AGENT N BUDGET_S CURVE.csv\n");
		return 2;
	}
	const char *root = argv[1];
	int nmax = atoi(argv[3]);
	double budget = atof(argv[4]);
	struct rlimit nofile = { 65536, 65536 };
	setrlimit(RLIMIT_NOFILE, &nofile);
	struct sandbox_opts o = { .agent = argv[2], .workspace = "" };
	struct hutch_err err = { 0 };
	struct spec *spec = NULL;
	if (sandbox_build_spec(&o, &spec, &err) < 0) {
		fprintf(stderr, "bench-density: %s\n", err.msg);
		return 1;
	}
	struct sb *sbs = calloc((size_t)nmax, sizeof(*sbs));
	/* Not on fd 3: sandbox_start() hands its agent socket over as fd 3. */
	int cfd = open(argv[5], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int cfd_high = cfd >= 0 ? fcntl(cfd, F_DUPFD_CLOEXEC, 10) : -1;
	if (cfd >= 0)
		close(cfd);
	FILE *curve = cfd_high >= 0 ? fdopen(cfd_high, "w") : NULL;
	if (!sbs || !curve)
		return 1;
	fprintf(curve, "n,elapsed_s,memavail_delta_kb\n");
	long long avail0 = meminfo_kb("MemAvailable");
	fprintf(curve, "0,0,0\n");
	const char *reason = "reached N";
	double t0 = now_s(), per_kb = 0;
	int n = 0;
	for (; n < nmax; n++) {
		long long avail = meminfo_kb("MemAvailable");
		if (n >= 10)
			per_kb = (double)(avail0 - avail) / n;
		if ((unsigned long long)avail < RESERVE_KB + (unsigned long long)(per_kb * 20)) {
			reason = "memory reserve (4 GiB) reached";
			break;
		}
		if (now_s() - t0 > budget / 2) {
			reason = "time budget reached";
			break;
		}
		sandbox_new_id(sbs[n].id);
		struct sandbox_started started;
		if (sandbox_start(root, sbs[n].id, spec, false, NULL, NULL, &started, &err) < 0) {
			fprintf(stderr, "bench-density: sandbox %d: %s\n", n, err.msg);
			reason = "sandbox_start failed (see stderr)";
			break;
		}
		sbs[n].a = started.agent;
		if ((n + 1) % 10 == 0 || n + 1 == nmax)
			fprintf(curve, "%d,%.4f,%lld\n", n + 1, now_s() - t0,
				avail0 - meminfo_kb("MemAvailable"));
	}
	double create_s = now_s() - t0;
	fclose(curve);
	sleep(1); /* let the agents settle into idle */
	long long pss_sum = 0, rss_sum = 0, cg_sum = 0;
	long long *agent_rss = calloc((size_t)n + 1, sizeof(long long));
	long long *agent_pss = calloc((size_t)n + 1, sizeof(long long));
	int procs = 0;
	for (int i = 0; i < n; i++) {
		if (container_pids(root, sbs[i].id, &sbs[i].pids, &sbs[i].n_pids, NULL) < 0)
			continue;
		for (size_t k = 0; k < sbs[i].n_pids; k++) {
			long long p, r;
			proc_mem(sbs[i].pids[k], &p, &r);
			pss_sum += p;
			rss_sum += r;
			agent_pss[i] += p;
			agent_rss[i] += r;
			procs++;
		}
		struct cgroup_stats st;
		enum container_status cs;
		if (container_stats(root, sbs[i].id, &st, &cs, &err) >= 0)
			cg_sum += (long long)(st.memory_usage / 1024);
	}
	long long delta = avail0 - meminfo_kb("MemAvailable");
	double t1 = now_s();
	for (int i = 0; i < n; i++) {
		hutch_agent_close(sbs[i].a);
		sandbox_cleanup(root, sbs[i].id);
	}
	double remove_s = now_s() - t1;
	int left_procs = 0, left_state = 0, left_cg = 0;
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < sbs[i].n_pids; k++)
			left_procs += kill(sbs[i].pids[k], 0) == 0;
		char path[4096];
		struct stat sst;
		snprintf(path, sizeof(path), "%s/%s", root, sbs[i].id);
		left_state += stat(path, &sst) == 0;
		snprintf(path, sizeof(path), "%s/agents/%s.sock", root, sbs[i].id);
		left_state += stat(path, &sst) == 0;
		left_cg += count_cgroups(sbs[i].id);
		free(sbs[i].pids);
	}
	qsort(agent_rss, (size_t)n, sizeof(long long), cmp_ll);
	qsort(agent_pss, (size_t)n, sizeof(long long), cmp_ll);
	printf("requested=%d\ncreated=%d\nstop_reason=%s\ncreate_s=%.3f\nremove_s=%.3f\n", nmax, n,
	       reason, create_s, remove_s);
	printf("memavail_delta_kb=%lld\npss_kb_sum=%lld\nrss_kb_sum=%lld\ncgroup_kb_sum=%lld\n",
	       delta, pss_sum, rss_sum, cg_sum);
	printf("processes=%d\nagent_rss_kb_median=%lld\nagent_rss_kb_max=%lld\n", procs,
	       n ? agent_rss[n / 2] : 0, n ? agent_rss[n - 1] : 0);
	printf("agent_pss_kb_median=%lld\nleft_processes=%d\nleft_state=%d\n",
	       n ? agent_pss[n / 2] : 0, left_procs, left_state);
	printf("left_cgroups=%d\nleft_mounts=%d\n", left_cg, count_mounts(root, sbs, n));
	spec_free(spec);
	return 0;
}
