/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-harness: runs several commands N times each, interleaved (round r runs every command
 * once, starting with command r % ncmd, so no peer always goes first), and writes one CSV row
 * per run: wall time from fork to reaped exit (CLOCK_MONOTONIC), time to the first byte on
 * stdout, peak RSS from wait4's rusage, and the exit status.
 *
 *   bench-harness -o OUT.csv [-n RUNS] [-w WARMUP] [-p PARALLEL] [-t TIMEOUT_S] [-e ERRLOG]
 *                 [-s SLEEP_MS] NAME=CMD [NAME=CMD...]
 *
 * CMD is split on spaces and exec'd directly (no shell, so a shell's cost is never added
 * silently). With -p P, each run of a command starts P copies at once and records each copy.
 * With -s MS, the harness sleeps MS milliseconds before each run: "cold" invocations, as a
 * user typing commands makes them, where kernel fast paths kept warm by back-to-back runs
 * (RCU sync state, caches) have gone cold again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 16
#define MAX_ARGS 64
#define MAX_PAR 512

struct cmd {
	char *name;
	char *argv[MAX_ARGS];
};

struct slot {
	pid_t pid;
	int pidfd, out;
	uint64_t start, first, end;
	long maxrss;
	int status;
	int done;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int parse_cmd(char *s, struct cmd *c)
{
	char *eq = strchr(s, '=');
	if (!eq)
		return -1;
	*eq = '\0';
	c->name = s;
	int n = 0;
	for (char *tok = strtok(eq + 1, " "); tok; tok = strtok(NULL, " ")) {
		if (n >= MAX_ARGS - 1)
			return -1;
		c->argv[n++] = tok;
	}
	c->argv[n] = NULL;
	return n > 0 ? 0 : -1;
}

static int spawn(const struct cmd *c, int errfd, struct slot *s)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	memset(s, 0, sizeof(*s));
	s->start = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		dup2(devnull, 0);
		dup2(p[1], 1);
		dup2(errfd >= 0 ? errfd : devnull, 2);
		execvp(c->argv[0], c->argv);
		_exit(127);
	}
	close(p[1]);
	s->pid = pid;
	s->out = p[0];
	s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

/* Drives a batch until every child is reaped (or killed at the deadline). */
static void run_batch(struct slot *sl, int n, uint64_t deadline)
{
	int left = n;
	struct pollfd pf[2 * MAX_PAR];
	char buf[65536];
	while (left > 0) {
		int k = 0;
		for (int i = 0; i < n; i++) {
			pf[k++] = (struct pollfd){ .fd = sl[i].done ? -1 : sl[i].pidfd, .events = POLLIN };
			pf[k++] = (struct pollfd){ .fd = sl[i].out, .events = POLLIN };
		}
		uint64_t t = now_ns();
		int to = t >= deadline ? 0 : (int)((deadline - t) / 1000000) + 1;
		int r = poll(pf, (nfds_t)k, to);
		if (r == 0) {
			for (int i = 0; i < n; i++)
				if (!sl[i].done)
					kill(sl[i].pid, SIGKILL);
			deadline = UINT64_MAX;
			continue;
		}
		t = now_ns();
		for (int i = 0; i < n; i++) {
			if (pf[2 * i + 1].revents) {
				ssize_t m = read(sl[i].out, buf, sizeof(buf));
				if (m > 0 && !sl[i].first)
					sl[i].first = t;
				if (m <= 0) {
					close(sl[i].out);
					sl[i].out = -1;
				}
			}
			if (pf[2 * i].revents && !sl[i].done) {
				struct rusage ru;
				int st;
				if (wait4(sl[i].pid, &st, 0, &ru) == sl[i].pid) {
					sl[i].end = now_ns();
					sl[i].maxrss = ru.ru_maxrss;
					sl[i].status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
					sl[i].done = 1;
					close(sl[i].pidfd);
					left--;
				}
			}
		}
	}
	for (int i = 0; i < n; i++)
		if (sl[i].out >= 0)
			close(sl[i].out);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *errlog = NULL;
	int runs = 100, warm = 5, par = 1, sleep_ms = 0, opt;
	double timeout = 60;
	while ((opt = getopt(argc, argv, "+o:n:w:p:t:e:s:")) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'n': runs = atoi(optarg); break;
		case 'w': warm = atoi(optarg); break;
		case 'p': par = atoi(optarg); break;
		case 't': timeout = atof(optarg); break;
		case 'e': errlog = optarg; break;
		case 's': sleep_ms = atoi(optarg); break;
		default: return 2;
		}
	}
	struct cmd cmds[MAX_CMDS];
	int ncmd = 0;
	for (int i = optind; i < argc && ncmd < MAX_CMDS; i++)
		if (parse_cmd(argv[i], &cmds[ncmd++]) < 0) {
			fprintf(stderr, "bench-harness: bad command '%s' (NAME=CMD)\n", argv[i]);
			return 2;
		}
	if (!out || ncmd == 0 || runs < 1 || par < 1 || par > MAX_PAR) {
		fprintf(stderr, "usage: bench-harness -o OUT.csv [-n RUNS] [-w WARMUP] [-p PAR] "
				"[-t TIMEOUT_S] [-e ERRLOG] [-s SLEEP_MS] NAME=CMD...\n");
		return 2;
	}
	FILE *f = fopen(out, "we");
	int errfd = errlog ? open(errlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
	if (!f)
		return perror(out), 1;
	struct rlimit nofile = { 65536, 65536 };
	setrlimit(RLIMIT_NOFILE, &nofile);
	fprintf(f, "name,round,slot,start_ns,total_ns,first_out_ns,maxrss_kb,status\n");
	static struct slot sl[MAX_PAR];
	int failures = 0;
	for (int round = -warm; round < runs; round++) {
		for (int j = 0; j < ncmd; j++) {
			const struct cmd *c = &cmds[(j + (round + warm)) % ncmd];
			if (sleep_ms > 0)
				usleep((useconds_t)sleep_ms * 1000);
			int n = 0;
			for (; n < par; n++)
				if (spawn(c, errfd, &sl[n]) < 0)
					break;
			uint64_t t0 = now_ns();
			run_batch(sl, n, t0 + (uint64_t)(timeout * 1e9));
			if (round < 0)
				continue;
			for (int i = 0; i < n; i++) {
				failures += sl[i].status != 0;
				fprintf(f, "%s,%d,%d,%llu,%llu,%lld,%ld,%d\n", c->name, round, i,
					(unsigned long long)sl[i].start,
					(unsigned long long)(sl[i].end - sl[i].start),
					sl[i].first ? (long long)(sl[i].first - sl[i].start) : -1LL,
					sl[i].maxrss, sl[i].status);
			}
		}
	}
	fclose(f);
	if (failures)
		fprintf(stderr, "bench-harness: %d runs exited non-zero (see %s)\n", failures,
			errlog ? errlog : "stderr");
	return 0;
}
