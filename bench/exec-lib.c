/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-exec-lib: starts one sandbox with the library (defaults, no workspace), connects to
 * its agent, then times N round trips of hutch_agent_exec(COMMAND) with stdio on /dev/null,
 * one CSV row per exec (named NAME). The sandbox is removed at the end.
 *
 *   bench-exec-lib ROOT AGENT RUNS WARMUP OUT.csv [COMMAND [NAME]]
 *   (default COMMAND /bin/true, NAME lib-exec)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hutch/hutch.h"
#include "sandbox/run.h"
#include "sandbox/sandbox.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 6 || argc > 8) {
		fprintf(stderr, "usage: bench-exec-lib ROOT AGENT RUNS WARMUP OUT.csv [COMMAND [NAME]]\n");
		return 2;
	}
	const char *command = argc > 6 ? argv[6] : "/bin/true";
	const char *name = argc > 7 ? argv[7] : "lib-exec";
	const char *root = argv[1];
	int runs = atoi(argv[3]), warm = atoi(argv[4]);
	struct sandbox_opts o = { .agent = argv[2], .workspace = "" };
	struct hutch_err err = { 0 };
	struct spec *spec = NULL;
	if (sandbox_build_spec(&o, &spec, &err) < 0) {
		fprintf(stderr, "bench-exec-lib: %s\n", err.msg);
		return 1;
	}
	char id[SANDBOX_ID_MAX];
	sandbox_new_id(id);
	struct sandbox_started sb;
	uint64_t t0 = now_ns();
	if (sandbox_start(root, id, spec, false, NULL, NULL, &sb, &err) < 0) {
		fprintf(stderr, "bench-exec-lib: %s\n", err.msg);
		return 1;
	}
	struct hutch_agent *a = sb.agent;
	uint64_t t_start = now_ns() - t0;
	FILE *f = fopen(argv[5], "we");
	if (!f)
		return perror(argv[5]), sandbox_cleanup(root, id), 1;
	fprintf(f, "name,round,slot,start_ns,total_ns,first_out_ns,maxrss_kb,status\n");
	const char *const args[] = { command, NULL };
	struct hutch_spawn_opts so = { .argv = args };
	int fails = 0;
	for (int i = -warm; i < runs; i++) {
		struct hutch_exit ex;
		uint64_t s = now_ns();
		int r = hutch_agent_exec(a, &so, &ex, &err);
		uint64_t d = now_ns() - s;
		int status = r < 0 ? 125 : ex.exited ? ex.code : 128 + ex.signal;
		if (r < 0 && fails++ < 3)
			fprintf(stderr, "bench-exec-lib: %s\n", err.msg);
		if (i >= 0)
			fprintf(f, "%s,%d,0,%llu,%llu,-1,0,%d\n", name, i, (unsigned long long)s,
				(unsigned long long)d, status);
	}
	fclose(f);
	hutch_agent_close(a);
	t0 = now_ns();
	sandbox_cleanup(root, id);
	printf("sandbox_start_ms=%.3f\nsandbox_cleanup_ms=%.3f\nfailures=%d\n", t_start / 1e6,
	       (now_ns() - t0) / 1e6, fails);
	spec_free(spec);
	return fails ? 1 : 0;
}
