/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-fork-exec: the floor under every exec, with no runtime at all: a small static process
 * times N rounds of fork + execv(COMMAND) + waitpid, one CSV row per round (named NAME). What
 * an exec through hutch costs beyond this is hutch's; what this costs is the machine's (and
 * COMMAND's own start-up: a glibc program probes the CPU's caches with cpuid, which traps in
 * VMs).
 *
 *   bench-fork-exec COMMAND RUNS WARMUP NAME OUT.csv
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: bench-fork-exec COMMAND RUNS WARMUP NAME OUT.csv\n");
		return 2;
	}
	int runs = atoi(argv[2]), warm = atoi(argv[3]);
	FILE *f = fopen(argv[5], "we");
	if (!f)
		return perror(argv[5]), 1;
	fprintf(f, "name,round,slot,start_ns,total_ns,first_out_ns,maxrss_kb,status\n");
	char *const args[] = { argv[1], NULL };
	int fails = 0;
	for (int i = -warm; i < runs; i++) {
		unsigned long long s = now_ns();
		pid_t pid = fork();
		if (pid == 0) {
			execv(argv[1], args);
			_exit(127);
		}
		int st = 0;
		if (pid < 0 || waitpid(pid, &st, 0) < 0)
			st = 125 << 8;
		unsigned long long d = now_ns() - s;
		int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		fails += status != 0;
		if (i >= 0)
			fprintf(f, "%s,%d,0,%llu,%llu,-1,0,%d\n", argv[4], i, s, d, status);
	}
	fclose(f);
	return fails ? 1 : 0;
}
