/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SPAWN: turning a request into a child process. The parent side validates the request and
 * prepares the stdio fds; the child side (after fork) resets what it inherited from the agent
 * (signal mask and dispositions, fds, session), applies limits and credentials, and execs.
 * Failures in the child travel back over a CLOEXEC pipe: an empty read means exec worked.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"
#include "macro.h"
#include "strv.h"

extern char **environ;

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void spawn_req_release(struct spawn_req *r)
{
	strv_free(r->argv);
	strv_free(r->envp);
	free(r->cwd);
	for (int i = 0; i < SPAWN_MAX_MAP; i++)
		r->map[i] = safe_close(r->map[i]);
	r->ctty = safe_close(r->ctty);
	r->argv = r->envp = NULL;
	r->cwd = NULL;
}

static void env_unset(char **v, const char *key)
{
	size_t kl = strlen(key), j = 0;
	for (size_t i = 0; v && v[i]; i++) {
		if (strncmp(v[i], key, kl) == 0 && v[i][kl] == '=')
			free(v[i]);
		else
			v[j++] = v[i];
	}
	if (v)
		v[j] = NULL;
}

int spawn_build_env(char **delta, bool clear, char ***ret)
{
	char **env = clear ? calloc(1, sizeof(char *)) : strv_copy(environ);
	if (!env)
		return -ENOMEM;
	for (size_t i = 0; delta && delta[i]; i++) {
		const char *d = delta[i];
		if (d[0] == '=' || d[0] == '\0') {
			strv_free(env);
			return -EINVAL;
		}
		int r = strchr(d, '=') ? strv_env_set(&env, d) : (env_unset(env, d), 0);
		if (r < 0) {
			strv_free(env);
			return r;
		}
	}
	*ret = env;
	return 0;
}

/*
 * ---- child side: runs between the clone and exec, reports through errfd ----
 *
 * The child shares the agent's memory (CLONE_VM) while the agent waits for its exec
 * (CLONE_VFORK; it waited for the exec before too, reading errfd): no page tables copied, no
 * copy-on-write faults or TLB shootdowns in the agent afterwards. So it writes only its own
 * stack, errno (shared: the agent reads none left by the child) and the kernel's state, never
 * the agent's data: raw syscalls where libc keeps state or
 * takes locks (signals, rlimits, credentials, which musl applies to all threads through
 * __synccall). It cannot be traced or read meanwhile: the memory is the agent's, which is
 * not dumpable; and a child that changes its ids does not share it (shares_memory_safely).
 */

struct child_err {
	int err;
	int step;
};

static const char *const steps[] = { "setsid",   "controlling terminal", "stdio",
				     "rlimit",   "chdir",                "setgroups",
				     "setgid",   "setuid",               "exec" };

_noreturn_ static void child_fail(int errfd, int step)
{
	struct child_err ce = { errno ? errno : EIO, step };
	ssize_t n _unused_ = write(errfd, &ce, sizeof(ce));
	_exit(127);
}

static void close_others(int keep)
{
	/* close_range(2) where the kernel has it; otherwise a bounded loop. */
	if (syscall(SYS_close_range, 4u, (unsigned)keep - 1, 0u) == 0 &&
	    syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 4; fd < max; fd++)
		if (fd != keep)
			close(fd);
}

static void exec_path(const struct spawn_req *r)
{
	const char *file = r->argv[0];
	if (strchr(file, '/')) {
		execve(file, r->argv, r->envp);
		return;
	}
	const char *path = strv_env_get(r->envp, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	int saved = ENOENT;
	char buf[4096];
	for (const char *p = path;; p++) {
		const char *e = strchrnul(p, ':');
		size_t dl = (size_t)(e - p);
		if (dl + strlen(file) + 2 <= sizeof(buf)) {
			memcpy(buf, p, dl);
			snprintf(buf + dl, sizeof(buf) - dl, "%s%s", dl ? "/" : "", file);
			execve(buf, r->argv, r->envp);
			if (errno == EACCES)
				saved = EACCES;
			else if (errno != ENOENT && errno != ENOTDIR)
				saved = errno;
		}
		if (!*e)
			break;
		p = e;
	}
	errno = saved;
}

_noreturn_ static void child(const struct spawn_req *r, int errfd)
{
	/* Keep the error pipe away from 0-3 and every fd we are about to place. */
	errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 100);
	if (errfd < 0)
		_exit(127);
	/* The agent's only disposition that is not the default, and that an exec keeps
	 * (loop_init resets the others at start; the agent installs no handlers). */
	uint64_t none = 0;
	agent_signal_default(SIGPIPE);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
	if (setsid() < 0)
		child_fail(errfd, 0);
	if (r->ctty >= 0 && ioctl(r->ctty, TIOCSCTTY, 0) < 0)
		child_fail(errfd, 1);
	int tmp[SPAWN_MAX_MAP];
	for (int i = 0; i < SPAWN_MAX_MAP; i++) {
		int src = r->map[i];
		if (src < 0 && i < 3)
			src = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
		tmp[i] = src < 0 ? -1 : fcntl(src, F_DUPFD_CLOEXEC, 10);
		if (src >= 0 && tmp[i] < 0)
			child_fail(errfd, 2);
	}
	for (int i = 0; i < SPAWN_MAX_MAP; i++) {
		if (tmp[i] < 0)
			close(i);
		else if (dup2(tmp[i], i) < 0) /* dup2 clears CLOEXEC on the target */
			child_fail(errfd, 2);
	}
	close_others(errfd);
	if (agent.nofile.rlim_max) /* undo the agent's own raise */
		syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &agent.nofile, NULL);
	for (size_t i = 0; i < r->n_rlimits; i++)
		if (syscall(SYS_prlimit64, 0, r->rlimits[i].resource, &r->rlimits[i].rl, NULL) < 0)
			child_fail(errfd, 3);
	if (r->cwd && chdir(r->cwd) < 0)
		child_fail(errfd, 4);
	/*
	 * Groups, then gid, then uid: each step needs the privilege the next one drops. A step
	 * that changes nothing is skipped: in a sandbox without capabilities even a no-op
	 * setgroups() is refused, and asking for one's own ids must still work.
	 */
	if (r->set_groups && !(r->n_groups == 0 && getgroups(0, NULL) == 0) &&
	    syscall(SYS_setgroups, r->n_groups, r->groups) < 0)
		child_fail(errfd, 5);
	if (r->set_gid && !(getgid() == r->gid && getegid() == r->gid) &&
	    syscall(SYS_setresgid, r->gid, r->gid, r->gid) < 0)
		child_fail(errfd, 6);
	if (r->set_uid && !(getuid() == r->uid && geteuid() == r->uid) &&
	    syscall(SYS_setresuid, r->uid, r->uid, r->uid) < 0)
		child_fail(errfd, 7);
	exec_path(r);
	child_fail(errfd, 8);
}

/* The child's stack: one child at a time uses it, while the agent waits (CLONE_VFORK). */
#define CHILD_STACK_SIZE (64 * 1024)
static char child_stack[CHILD_STACK_SIZE] __attribute__((aligned(16), unused));

struct child_args {
	const struct spawn_req *r;
	int errfd;
};

static int child_main(void *p)
{
	const struct child_args *a = p;
	child(a->r, a->errfd);
}

/*
 * Whether the child may run in our memory. Not when it changes its ids: a change of uid or
 * gid makes the kernel reset the dumpable flag of the memory it runs in (to fs.suid_dumpable),
 * which would be ours, and a host with suid_dumpable=1 would leave the agent traceable by
 * the workload's uid. Not under ASan, which cannot follow a child on another stack.
 */
static bool shares_memory_safely(const struct spawn_req *r)
{
#ifdef __SANITIZE_ADDRESS__
	return false;
#else
	return !r->set_uid && !r->set_gid && !r->set_groups;
#endif
}

pid_t spawn_exec(const struct spawn_req *r, const char **ret_what)
{
	/*
	 * After a CLONE_VFORK the child has exec'd or failed by the time clone returns: one read
	 * that does not wait tells which. After a fork we wait for its write or for the end of
	 * file of its exec, which needs our own write end closed: a close the seccomp profile
	 * refuses (profiles can refuse anything) must not leave that read waiting for ever.
	 */
	bool vfork = shares_memory_safely(r);
	int p[2];
	if (pipe2(p, O_CLOEXEC | (vfork ? O_NONBLOCK : 0)) < 0)
		return -errno;
	/* Our read end stays open in the child: it is close-on-exec, and errfd is dup'ed away
	 * from it; the child writes only errfd. */
	struct child_args a = { r, p[1] };
	pid_t pid;
	if (vfork) {
		pid = clone(child_main, child_stack + sizeof(child_stack),
			    CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
		/* Defence in depth: whatever the child did, our memory stays undumpable. */
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	} else if ((pid = fork()) == 0) {
		child_main(&a);
	}
	int e = pid < 0 ? errno : 0;
	if (pid > 0 && !vfork && close(p[1]) < 0) {
		e = errno;
		kill(pid, SIGKILL); /* reaped by the loop as an orphan */
		pid = -1;
	} else if (vfork || pid < 0) {
		close(p[1]);
	}
	if (pid < 0) {
		close(p[0]);
		*ret_what = "clone";
		return -e;
	}
	struct child_err ce;
	ssize_t n;
	do
		n = read(p[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof(ce)) {
		/* The child exits 127 on its own; the loop reaps it as an orphan. */
		*ret_what = ce.step >= 0 && ce.step < (int)ARRAY_SIZE(steps) ? steps[ce.step] : "?";
		return ce.err > 0 ? -ce.err : -EIO;
	}
	return pid;
}

/* ---- the SPAWN request ---- */

static int parse_rlimits(const struct proto_fields *f, struct spawn_req *r)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->f[i].tag != T_RLIMIT)
			continue;
		if (f->f[i].type != PROTO_T_MSG || r->n_rlimits >= AGENT_MAX_RLIMITS)
			return -EINVAL;
		struct proto_fields sub;
		int q = proto_decode(f->f[i].val, f->f[i].len, &sub);
		if (q < 0)
			return q;
		uint32_t res;
		uint64_t soft, hard;
		q = proto_get_u32(&sub, T_RL_RESOURCE, &res);
		if (q == 0)
			q = proto_get_u64(&sub, T_RL_SOFT, &soft);
		if (q == 0)
			q = proto_get_u64(&sub, T_RL_HARD, &hard);
		proto_fields_release(&sub);
		if (q < 0 || res >= RLIM_NLIMITS)
			return -EINVAL;
		r->rlimits[r->n_rlimits].resource = (int)res;
		r->rlimits[r->n_rlimits].rl.rlim_cur = soft == UINT64_MAX ? RLIM_INFINITY : soft;
		r->rlimits[r->n_rlimits].rl.rlim_max = hard == UINT64_MAX ? RLIM_INFINITY : hard;
		r->n_rlimits++;
	}
	return 0;
}

/* Parses what SPAWN and SESSION_NEW share: env, cwd, credentials, rlimits. */
int spawn_parse_common(const struct proto_fields *f, struct spawn_req *r, const char **what)
{
	_cleanup_strv_ char **delta = NULL;
	int q = 0;
	*what = "env";
	int e = proto_get_strv(f, T_ENV, AGENT_MAX_ENV, &delta);
	if (e < 0)
		return e;
	e = spawn_build_env(delta, proto_u32_or(f, T_ENV_CLEAR, 0, &q) != 0, &r->envp);
	if (e < 0 || q < 0)
		return e < 0 ? e : q;
	*what = "cwd";
	e = proto_get_str(f, T_CWD, &r->cwd);
	if (e < 0 && e != -ENOENT)
		return e;
	*what = "credentials";
	uint32_t v;
	if ((e = proto_get_u32(f, T_UID, &v)) == 0) {
		r->set_uid = true;
		r->uid = v;
	} else if (e != -ENOENT)
		return e;
	if ((e = proto_get_u32(f, T_GID, &v)) == 0) {
		r->set_gid = true;
		r->gid = v;
	} else if (e != -ENOENT)
		return e;
	for (size_t i = 0; i < f->n; i++) {
		if (f->f[i].tag != T_GROUPS)
			continue;
		if (f->f[i].type != PROTO_T_U32 || r->n_groups >= AGENT_MAX_GROUPS)
			return -EINVAL;
		uint32_t g;
		memcpy(&g, f->f[i].val, 4); /* little-endian host assumed, as everywhere */
		r->groups[r->n_groups++] = g;
	}
	/* Changing user without saying which groups drops supplementary groups. */
	r->set_groups = r->n_groups > 0 || r->set_uid || r->set_gid;
	*what = "rlimit";
	return parse_rlimits(f, r);
}

/* Opens a pty pair: master (agent) and slave (child), sized rows x cols. */
static int open_pty(unsigned rows, unsigned cols, int *ret_master, int *ret_slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -errno;
	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0) {
		int e = errno;
		close(m);
		return -e;
	}
	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		int e = errno;
		close(m);
		return -e;
	}
	struct winsize ws = { .ws_row = (unsigned short)(rows ? rows : 24),
			      .ws_col = (unsigned short)(cols ? cols : 80) };
	ioctl(m, TIOCSWINSZ, &ws);
	*ret_master = m;
	*ret_slave = s;
	return 0;
}

struct stdio_plan {
	int agent_in;     /* write end for stdin, or -1 */
	int agent_out[2]; /* read ends for stdout/stderr, or -1 */
	int pty_master;
};

/* Fills r->map from the stdio modes; passed fds are taken from fds[] in order. */
static int plan_stdio(const struct proto_fields *f, struct spawn_req *r, struct stdio_plan *pl,
		      int *fds, unsigned nfds)
{
	static const uint16_t tags[3] = { T_STDIN_MODE, T_STDOUT_MODE, T_STDERR_MODE };
	unsigned next = 0;
	int q = 0, pty_slave = -1;
	for (int i = 0; i < 3; i++) {
		uint32_t mode = proto_u32_or(f, tags[i], PROTO_STDIO_NULL, &q);
		if (q < 0)
			return q;
		int p[2];
		switch (mode) {
		case PROTO_STDIO_NULL:
			break;
		case PROTO_STDIO_FD:
			if (next >= nfds)
				return -EINVAL;
			r->map[i] = fds[next];
			fds[next++] = -1;
			break;
		case PROTO_STDIO_PIPE:
			if (pipe2(p, O_CLOEXEC) < 0)
				return -errno;
			r->map[i] = i == 0 ? p[0] : p[1];
			if (i == 0)
				pl->agent_in = p[1];
			else
				pl->agent_out[i - 1] = p[0];
			fcntl(i == 0 ? p[1] : p[0], F_SETFL, O_NONBLOCK);
			break;
		case PROTO_STDIO_PTY:
			if (pl->pty_master < 0) {
				int rr = open_pty(proto_u32_or(f, T_PTY_ROWS, 24, &q),
						  proto_u32_or(f, T_PTY_COLS, 80, &q),
						  &pl->pty_master, &pty_slave);
				if (rr < 0)
					return rr;
				r->ctty = pty_slave;
			}
			r->map[i] = fcntl(pty_slave, F_DUPFD_CLOEXEC, 3);
			if (r->map[i] < 0)
				return -errno;
			break;
		default:
			return -EINVAL;
		}
	}
	/* Every passed fd must have a place: a stray one is an error, not something to leak. */
	return next == nfds ? 0 : -EINVAL;
}

static void plan_release(struct stdio_plan *pl)
{
	pl->agent_in = safe_close(pl->agent_in);
	pl->agent_out[0] = safe_close(pl->agent_out[0]);
	pl->agent_out[1] = safe_close(pl->agent_out[1]);
	pl->pty_master = safe_close(pl->pty_master);
}

/* Wires the agent's ends of the child's stdio into the process record. */
static int attach_stdio(struct proc *p, struct stdio_plan *pl, bool pty_return, uint32_t modes[3])
{
	int out = pl->agent_out[0], err = pl->agent_out[1], in = pl->agent_in;
	if (pl->pty_master >= 0) {
		fcntl(pl->pty_master, F_SETFL, O_NONBLOCK);
		p->pty_fd = fcntl(pl->pty_master, F_DUPFD_CLOEXEC, 3);
		if (!pty_return) {
			/* One fd per epoll registration: reads on one, writes on a dup. */
			if (modes[1] == PROTO_STDIO_PTY)
				out = fcntl(pl->pty_master, F_DUPFD_CLOEXEC, 3);
			else if (modes[2] == PROTO_STDIO_PTY)
				err = fcntl(pl->pty_master, F_DUPFD_CLOEXEC, 3);
			if (modes[0] == PROTO_STDIO_PTY)
				in = fcntl(pl->pty_master, F_DUPFD_CLOEXEC, 3);
		}
	}
	pl->agent_out[0] = pl->agent_out[1] = pl->agent_in = -1;
	return proc_start_streams(p, out, err, in);
}

static void spawn_reply(struct conn *c, uint32_t req, struct proc *p, int pty)
{
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, req);
	proto_put_u32(&e, T_PROC_ID, p->id);
	proto_put_u32(&e, T_PID, (uint32_t)p->pid);
	if (proto_enc_end(&e, pty >= 0) == 0)
		conn_send(c, &e, &pty, pty >= 0);
	else
		safe_close(pty);
	proto_enc_release(&e);
}

void h_spawn(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	     unsigned nfds)
{
	struct spawn_req r = { .map = { -1, -1, -1, -1 }, .ctty = -1 };
	struct stdio_plan pl = { -1, { -1, -1 }, -1 };
	const char *what = "argv";
	int q = 0, e;
	if (agent.n_procs >= AGENT_MAX_PROCS || agent.stopping) {
		reply_error(c, h->id, EAGAIN, "spawn: too many processes");
		return;
	}
	char why[256];
	if (guard_check(why, sizeof(why)) < 0) {
		reply_error(c, h->id, ENOSPC, "spawn: %s", why);
		return;
	}
	e = proto_get_strv(f, T_ARGV, AGENT_MAX_ARGS, &r.argv);
	if (e == 0 && !r.argv[0])
		e = -EINVAL;
	if (e == 0)
		e = spawn_parse_common(f, &r, &what);
	uint32_t modes[3] = { proto_u32_or(f, T_STDIN_MODE, 0, &q),
			      proto_u32_or(f, T_STDOUT_MODE, 0, &q),
			      proto_u32_or(f, T_STDERR_MODE, 0, &q) };
	uint32_t cap = proto_u32_or(f, T_OUTPUT_CAP, AGENT_RING_DEFAULT, &q);
	uint32_t timeout = proto_u32_or(f, T_TIMEOUT_MS, 0, &q);
	bool detached = proto_u32_or(f, T_DETACHED, 0, &q) != 0;
	bool pty_return = proto_u32_or(f, T_PTY_RETURN, 0, &q) != 0;
	bool wait_exit = proto_u32_or(f, T_WAIT_EXIT, 0, &q) != 0;
	_cleanup_free_ char *tag = NULL;
	int te = proto_get_str(f, T_TAG, &tag);
	if (e == 0 && (q < 0 || (te < 0 && te != -ENOENT) || cap > AGENT_RING_MAX ||
		       (tag && strlen(tag) > AGENT_TAG_MAX) || (wait_exit && (pty_return || detached))))
		e = -EINVAL, what = "options";
	if (e == 0 && (e = plan_stdio(f, &r, &pl, fds, nfds)) < 0)
		what = "stdio";
	if (e < 0) {
		reply_error(c, h->id, -e, "spawn: bad %s: %s", what, strerror(-e));
		goto out;
	}
	struct proc *p = proc_new();
	if (!p) {
		reply_error(c, h->id, ENOMEM, "spawn: out of memory");
		goto out;
	}
	/* Only streams the agent reads cost buffer memory; passed fds cost nothing. */
	unsigned nstreams = 0;
	for (int i = 1; i < 3 && !pty_return; i++)
		nstreams += modes[i] == PROTO_STDIO_PIPE || modes[i] == PROTO_STDIO_PTY;
	if ((e = proc_set_rings(p, cap, nstreams)) < 0) {
		reply_error(c, h->id, -e, "spawn: output buffers of all processes exceed %u MiB",
			    AGENT_RING_BUDGET >> 20);
		proc_free(p);
		goto out;
	}
	pid_t pid = spawn_exec(&r, &what);
	if (pid < 0) {
		reply_error(c, h->id, -pid, "spawn '%s': %s: %s", r.argv[0], what, strerror(-pid));
		proc_free(p);
		goto out;
	}
	p->pid = pid;
	p->running = true;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* -1 on old kernels: kill() is used */
	p->start_ns = now_ns();
	p->start_real_ns = realtime_ns();
	p->deadline_ns = timeout ? p->start_ns + (uint64_t)timeout * 1000000ull : 0;
	p->detached = detached;
	p->owner = detached ? NULL : c;
	p->tag = TAKE_PTR(tag);
	p->next = agent.procs;
	agent.procs = p;
	agent.n_procs++;
	int pty = pty_return && pl.pty_master >= 0 ? fcntl(pl.pty_master, F_DUPFD_CLOEXEC, 3) : -1;
	attach_stdio(p, &pl, pty_return, modes);
	if (wait_exit) /* the reply comes at the exit (proc_reaped), as for a WAIT */
		p->waiters[p->n_waiters++] = (struct waiter){ c, h->id };
	else
		spawn_reply(c, h->id, p, pty);
out:
	plan_release(&pl);
	spawn_req_release(&r);
}
