/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The event loop: epoll over every watched fd, a signalfd for SIGCHLD and the signals PID 1
 * forwards, and deadlines (process timeouts, session timeouts, handshake timeouts, the stop
 * grace period, the disk reserve guard's next look) folded into the epoll timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "macro.h"

struct agent agent = { .epfd = -1, .sigfd = -1, .listen_fd = -1, .next_id = 1 };

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int watch_add(struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(agent.epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0 ? -errno : 0;
}

int watch_mod(struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(agent.epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

void watch_del(struct watch *w)
{
	if (w->fd >= 0) {
		epoll_ctl(agent.epfd, EPOLL_CTL_DEL, w->fd, NULL);
		close(w->fd);
		w->fd = -1;
	}
}

/* Reaps every child that has exited: ours (recorded) and orphans (PID 1 / subreaper duty). */
static void reap_all(void)
{
	for (;;) {
		int status;
		struct rusage ru;
		pid_t pid = wait4(-1, &status, WNOHANG, &ru);
		if (pid <= 0)
			break;
		proc_reaped(pid, status, &ru);
	}
}

static void on_signal(struct watch *w, uint32_t events)
{
	struct signalfd_siginfo si;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGCHLD)
			continue; /* reaped below, once per batch */
		/*
		 * As PID 1, a sender we can see is a workload in our own pid namespace: it may
		 * not stop the sandbox or have us signal everyone. The runtime and the kernel
		 * (outside, or no sender) show up as pid 0.
		 */
		if (agent.pid1 && si.ssi_pid != 0)
			continue;
		procs_forward_signal(sig);
		/* SIGTERM to the agent is a request to stop: children got it, then a grace period. */
		if (sig == SIGTERM)
			agent_stop(agent.stop_timeout_ns);
	}
	reap_all();
}

/*
 * Every disposition default (whoever started us may have ignored some), but SIGPIPE's: the
 * agent installs no handler, so a spawned child has only SIGPIPE to reset (see child() in
 * spawn.c). The raw syscall, because libc refuses to touch the signals it keeps for itself
 * (32-34), which the agent never uses (no threads, no timers) and a child must not inherit
 * ignored.
 */
void agent_signal_default(int sig)
{
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} dfl = { .handler = SIG_DFL };
	syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

static void reset_dispositions(void)
{
	for (int sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGPIPE)
			agent_signal_default(sig);
	signal(SIGPIPE, SIG_IGN);
}

int loop_init(void)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	reset_dispositions();
	agent.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (agent.epfd < 0)
		return -errno;
	agent.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (agent.sigfd < 0)
		return -errno;
	agent.sig_w = (struct watch){ on_signal, agent.sigfd };
	int r = watch_add(&agent.sig_w, EPOLLIN);
	if (r < 0)
		return r;
	agent.listen_w = (struct watch){ conn_accept, agent.listen_fd };
	return watch_add(&agent.listen_w, EPOLLIN);
}

/*
 * Our direct children that are not in the table: orphans reparented to us (subreaper) that
 * escaped their group with setsid(). Unreaped children keep their pid, so killing by pid is
 * safe here.
 */
static void kill_children(void)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *s = buf, *end; *s; s = end) {
		long pid = strtol(s, &end, 10);
		if (end == s)
			break;
		if (pid > 0) {
			kill(-(pid_t)pid, SIGKILL);
			kill((pid_t)pid, SIGKILL);
		}
	}
}

void agent_kill_everything(void)
{
	for (struct proc *p = agent.procs; p; p = p->next)
		if (p->running)
			proc_kill_group(p, SIGKILL);
	if (agent.pid1)
		kill(-1, SIGKILL); /* everything in our pid namespace but us */
	else
		kill_children();
}

void agent_stop(uint64_t grace_ns)
{
	uint64_t deadline = now_ns() + grace_ns;
	if (agent.stopping && deadline >= agent.stop_deadline_ns)
		return;
	if (!agent.stopping)
		procs_forward_signal(SIGTERM);
	agent.stopping = true;
	agent.stop_deadline_ns = deadline;
	/* No new connections while stopping. */
	watch_del(&agent.listen_w);
	agent.listen_fd = -1;
}

bool agent_any_running(void)
{
	for (struct proc *p = agent.procs; p; p = p->next)
		if (p->running)
			return true;
	return false;
}

/* Children that are not in our table (orphans reparented to us) also keep us waiting. */
bool agent_has_children(void)
{
	siginfo_t si = { 0 };
	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

static int timeout_ms(uint64_t now, uint64_t next)
{
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	uint64_t ms = (next - now + 999999) / 1000000;
	return ms > 60000 ? 60000 : (int)ms;
}

int loop_run(void)
{
	struct epoll_event ev[32];
	for (;;) {
		uint64_t now = now_ns(), next = UINT64_MAX;
		procs_timers(now, &next);
		sessions_timers(now, &next);
		conns_timers(now, &next);
		guards_timers(now, &next);
		if (agent.stopping) {
			if (now >= agent.stop_deadline_ns) {
				agent_kill_everything();
				agent.stop_deadline_ns = now + 200000000ull;
			}
			reap_all();
			if (!agent_any_running() && !agent_has_children())
				break;
			/* Poll for the last children: their exits may predate our signalfd read. */
			next = MIN(next, MIN(agent.stop_deadline_ns, now + 50000000ull));
		}
		int n = epoll_wait(agent.epfd, ev, (int)ARRAY_SIZE(ev), timeout_ms(now, next));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = ev[i].data.ptr;
			if (w->fd >= 0)
				w->fn(w, ev[i].events);
		}
		conns_pump_all();
		procs_sweep();
		conns_sweep();
	}
	return agent.exit_code;
}
