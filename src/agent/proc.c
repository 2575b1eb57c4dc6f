/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process table: every process the agent started, its output rings, its stdin queue,
 * and the requests (WAIT, ATTACH) waiting on it.
 *
 * Lifetime: a process belongs to the connection that spawned it unless it was spawned
 * detached. When that connection goes away its process group is killed (SIGKILL) and the
 * record dropped. A detached process outlives connections; its record stays after exit
 * until RELEASE, or until more than AGENT_MAX_FINISHED_DETACHED finished records pile up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"
#include "macro.h"
#include "strv.h"

uint32_t agent_new_id(void)
{
	uint32_t id = agent.next_id++;
	if (agent.next_id == 0)
		agent.next_id = 1;
	return id;
}

struct proc *proc_find(uint32_t id)
{
	for (struct proc *p = agent.procs; p; p = p->next)
		if (p->id == id && !p->dead)
			return p;
	return NULL;
}

static void *spare_proc;

struct proc *proc_new(void)
{
	struct proc *p = spare_take(&spare_proc, sizeof(*p));
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->id = agent_new_id();
	p->pidfd = -1;
	p->pty_fd = -1;
	p->in_w.fd = -1;
	p->out[0].w.fd = p->out[1].w.fd = -1;
	for (int i = 0; i < 2; i++) {
		p->out[i].eof = true;
		p->out[i].owner = p;
		p->out[i].idx = i;
	}
	ring_init(&p->out[0].ring, AGENT_RING_DEFAULT);
	ring_init(&p->out[1].ring, AGENT_RING_DEFAULT);
	return p;
}

int proc_set_rings(struct proc *p, size_t cap, unsigned nstreams)
{
	size_t charge = cap * nstreams;
	if (agent.ring_budget + charge > AGENT_RING_BUDGET)
		return -ENOBUFS;
	ring_init(&p->out[0].ring, cap);
	ring_init(&p->out[1].ring, cap);
	agent.ring_budget += charge;
	p->ring_charge = charge;
	return 0;
}

void proc_free(struct proc *p)
{
	agent.ring_budget -= p->ring_charge;
	watch_del(&p->in_w);
	watch_del(&p->out[0].w);
	watch_del(&p->out[1].w);
	ring_release(&p->out[0].ring);
	ring_release(&p->out[1].ring);
	safe_close(p->pidfd);
	safe_close(p->pty_fd);
	free(p->in_buf);
	free(p->tag);
	spare_give(&spare_proc, p);
}

static void on_output(struct watch *w, uint32_t events)
{
	struct stream *s = (struct stream *)w;
	struct proc *p = s->owner;
	int idx = s->idx;
	uint8_t buf[16384];
	for (int rounds = 0; rounds < 8; rounds++) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			/* EOF (or EIO on a pty whose slave side is gone). */
			watch_del(w);
			s->eof = true;
			if (p->session)
				session_filter(p->session, idx, NULL, 0);
			break;
		}
		proc_stream_data(p, idx, buf, (size_t)n);
	}
	procs_pump(p);
}

void proc_stream_data(struct proc *p, int s, const uint8_t *buf, size_t n)
{
	if (p->session)
		session_filter(p->session, s, buf, n);
	else
		ring_write(&p->out[s].ring, buf, n);
}

static void stdin_flush(struct proc *p);

static void on_stdin(struct watch *w, uint32_t events)
{
	struct proc *p = (struct proc *)((char *)w - offsetof(struct proc, in_w));
	if (events & (EPOLLERR | EPOLLHUP)) {
		p->in_len = 0;
		watch_del(w);
		return;
	}
	stdin_flush(p);
}

static void stdin_flush(struct proc *p)
{
	while (p->in_len > 0 && p->in_w.fd >= 0) {
		ssize_t n = write(p->in_w.fd, p->in_buf, p->in_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			p->in_len = 0; /* reader gone: drop what is queued */
			break;
		}
		memmove(p->in_buf, p->in_buf + n, p->in_len - (size_t)n);
		p->in_len -= (size_t)n;
	}
	if (p->in_w.fd < 0)
		return;
	if (p->in_len == 0 && p->in_close) {
		watch_del(&p->in_w);
		return;
	}
	watch_mod(&p->in_w, p->in_len ? EPOLLOUT : 0);
}

int proc_start_streams(struct proc *p, int out_fd, int err_fd, int in_fd)
{
	int fds[2] = { out_fd, err_fd };
	for (int i = 0; i < 2; i++) {
		if (fds[i] < 0)
			continue;
		p->out[i].w = (struct watch){ on_output, fds[i] };
		p->out[i].eof = false;
		if (watch_add(&p->out[i].w, EPOLLIN) < 0)
			return -errno;
	}
	if (in_fd >= 0) {
		p->in_w = (struct watch){ on_stdin, in_fd };
		if (watch_add(&p->in_w, 0) < 0)
			return -errno;
	}
	return 0;
}

/* Queues bytes for the process's stdin. */
int proc_stdin_queue(struct proc *p, const uint8_t *data, size_t len, bool close_after)
{
	if (p->in_w.fd < 0)
		return p->in_close ? -EPIPE : -EBADF;
	if (p->in_close)
		return -EPIPE;
	if (len > AGENT_STDIN_MAX - p->in_len)
		return -EAGAIN;
	if (len) {
		uint8_t *nb = realloc(p->in_buf, p->in_len + len);
		if (!nb)
			return -ENOMEM;
		memcpy(nb + p->in_len, data, len);
		p->in_buf = nb;
		p->in_len += len;
	}
	p->in_close = close_after;
	stdin_flush(p);
	return 0;
}

void proc_kill_group(struct proc *p, int sig)
{
	if (!p->running)
		return;
	/* Each process leads its own session and group (setsid in the child). */
	if (kill(-p->pid, sig) < 0 && p->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0);
}

void proc_fill_exit(struct proto_enc *e, const struct proc *p)
{
	proto_put_u32(e, T_PROC_ID, p->id);
	proto_put_u32(e, T_PID, (uint32_t)p->pid);
	proto_put_u32(e, T_EXITED, WIFEXITED(p->status));
	if (WIFEXITED(p->status))
		proto_put_u32(e, T_EXIT_CODE, (uint32_t)WEXITSTATUS(p->status));
	if (WIFSIGNALED(p->status)) {
		proto_put_u32(e, T_EXIT_SIGNAL, (uint32_t)WTERMSIG(p->status));
		proto_put_u32(e, T_CORE_DUMPED, WCOREDUMP(p->status) ? 1 : 0);
	}
	proto_put_u64(e, T_WALL_NS, p->end_ns - p->start_ns);
	proto_put_u64(e, T_UTIME_US, (uint64_t)p->ru.ru_utime.tv_sec * 1000000u +
					     (uint64_t)p->ru.ru_utime.tv_usec);
	proto_put_u64(e, T_STIME_US, (uint64_t)p->ru.ru_stime.tv_sec * 1000000u +
					     (uint64_t)p->ru.ru_stime.tv_usec);
	proto_put_u64(e, T_MAXRSS_KB, (uint64_t)p->ru.ru_maxrss);
	proto_put_u32(e, T_TIMED_OUT, p->timed_out);
	if (p->reserve_killed)
		proto_put_u32(e, T_RESERVE_KILLED, 1);
}

static void send_exit(struct conn *c, uint32_t req, const struct proc *p)
{
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, req);
	proc_fill_exit(&e, p);
	if (proto_enc_end(&e, 0) == 0)
		conn_send(c, &e, NULL, 0);
	proto_enc_release(&e);
}

void proc_reaped(pid_t pid, int status, const struct rusage *ru)
{
	struct proc *p = NULL;
	for (struct proc *q = agent.procs; q; q = q->next)
		if (q->running && q->pid == pid)
			p = q;
	if (!p)
		return; /* an orphan reparented to us: reaping it was the whole job */
	p->running = false;
	p->status = status;
	p->ru = *ru;
	p->end_ns = now_ns();
	/* Whatever else is in its group dies with it: nothing outlives its leader unseen. */
	kill(-p->pid, SIGKILL);
	for (unsigned i = 0; i < p->n_waiters; i++)
		send_exit(p->waiters[i].c, p->waiters[i].req, p);
	if (p->n_waiters)
		p->waited = true;
	p->n_waiters = 0;
	if (p->session)
		session_proc_exited(p->session);
	procs_pump(p);
}

/* ---- request handlers ---- */

static struct proc *want_proc(struct conn *c, uint32_t req, const struct proto_fields *f)
{
	uint32_t id;
	if (proto_get_u32(f, T_PROC_ID, &id) < 0) {
		reply_error(c, req, EBADMSG, "process id missing");
		return NULL;
	}
	struct proc *p = proc_find(id);
	if (!p)
		reply_error(c, req, ESRCH, "process %u: not found", id);
	return p;
}

void h_wait(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	    unsigned nfds)
{
	struct proc *p = want_proc(c, h->id, f);
	if (!p)
		return;
	if (!p->running) {
		send_exit(c, h->id, p);
		p->waited = true;
		return;
	}
	if (p->n_waiters >= AGENT_MAX_WAITERS) {
		reply_error(c, h->id, EBUSY, "process %u: too many waiters", p->id);
		return;
	}
	p->waiters[p->n_waiters++] = (struct waiter){ c, h->id };
}

#define TREE_MAX 4096

/* Appends the children of every thread of pid to v (bounded). */
static void children_of(pid_t pid, pid_t *v, size_t *n)
{
	char path[320];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) && *n < TREE_MAX) {
		if (de->d_name[0] == '.')
			continue;
		char buf[4096];
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", (int)pid, de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t k = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (k <= 0)
			continue;
		buf[k] = '\0';
		for (char *q = buf, *end; *n < TREE_MAX; q = end) {
			long child = strtol(q, &end, 10);
			if (end == q)
				break;
			v[(*n)++] = (pid_t)child;
		}
	}
	closedir(d);
}

/*
 * The whole tree: the group, plus descendants that left it (setsid), found breadth-first
 * in /proc. For SIGKILL the tree is stopped (SIGSTOP) as it is walked, so that nothing forks
 * away meanwhile; other signals are delivered as found (stopping would change what a
 * SIGTSTP or SIGCONT means to the workload).
 */
static int signal_tree(struct proc *p, int sig)
{
	pid_t *v = malloc(TREE_MAX * sizeof(pid_t));
	if (!v)
		return -1;
	size_t n = 0;
	bool freeze = sig == SIGKILL;
	if (freeze)
		kill(-p->pid, SIGSTOP);
	children_of(p->pid, v, &n);
	for (size_t i = 0; i < n; i++) {
		if (freeze)
			kill(v[i], SIGSTOP);
		children_of(v[i], v, &n);
	}
	int r = kill(-p->pid, sig);
	for (size_t i = 0; i < n; i++)
		kill(v[i], sig);
	free(v);
	return r;
}

void h_signal(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	      unsigned nfds)
{
	struct proc *p = want_proc(c, h->id, f);
	if (!p)
		return;
	int r = 0;
	uint32_t sig = proto_u32_or(f, T_SIGNAL, SIGTERM, &r);
	uint32_t scope = proto_u32_or(f, T_SCOPE, PROTO_SCOPE_PROCESS, &r);
	if (r < 0 || sig == 0 || sig >= 65 || scope > PROTO_SCOPE_TREE) {
		reply_error(c, h->id, EINVAL, "signal: bad signal or scope");
		return;
	}
	if (!p->running) {
		reply_error(c, h->id, ESRCH, "process %u: not running", p->id);
		return;
	}
	/* pidfd: immune to pid reuse. The group and tree scopes use the group the child leads. */
	if (scope == PROTO_SCOPE_PROCESS)
		r = p->pidfd >= 0 ? (int)syscall(SYS_pidfd_send_signal, p->pidfd, (int)sig, NULL, 0)
				  : kill(p->pid, (int)sig);
	else if (scope == PROTO_SCOPE_GROUP)
		r = kill(-p->pid, (int)sig);
	else
		r = signal_tree(p, (int)sig);
	if (r < 0) {
		reply_error(c, h->id, errno, "signal process %u: %s", p->id, strerror(errno));
		return;
	}
	reply_ok(c, h->id);
}

void h_stdin(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	     unsigned nfds)
{
	struct proc *p = want_proc(c, h->id, f);
	if (!p)
		return;
	const uint8_t *data = NULL;
	size_t len = 0;
	int r = proto_get_bytes(f, T_DATA, &data, &len);
	if (r == -EBADMSG) {
		reply_error(c, h->id, EBADMSG, "stdin: bad data field");
		return;
	}
	r = 0;
	bool cl = proto_u32_or(f, T_CLOSE, 0, &r) != 0;
	r = proc_stdin_queue(p, data, len, cl);
	if (r < 0) {
		reply_error(c, h->id, -r, "stdin of process %u: %s", p->id, strerror(-r));
		return;
	}
	reply_ok(c, h->id);
}

void h_resize(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	      unsigned nfds)
{
	struct proc *p = want_proc(c, h->id, f);
	if (!p)
		return;
	int r = 0;
	struct winsize ws = { .ws_row = (unsigned short)proto_u32_or(f, T_PTY_ROWS, 24, &r),
			      .ws_col = (unsigned short)proto_u32_or(f, T_PTY_COLS, 80, &r) };
	if (p->pty_fd < 0) {
		reply_error(c, h->id, ENOTTY, "process %u: no pty", p->id);
		return;
	}
	if (ioctl(p->pty_fd, TIOCSWINSZ, &ws) < 0) {
		reply_error(c, h->id, errno, "resize pty of process %u: %s", p->id, strerror(errno));
		return;
	}
	reply_ok(c, h->id);
}

void h_list(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	    unsigned nfds)
{
	struct proto_enc e;
	proto_enc_init(&e);
	proto_enc_begin(&e, PROTO_REPLY, 0, h->id);
	for (struct proc *p = agent.procs; p; p = p->next) {
		if (p->dead || p->session)
			continue;
		size_t m = proto_put_msg_begin(&e, T_PROC);
		if (p->running) {
			proto_put_u32(&e, T_PROC_ID, p->id);
			proto_put_u32(&e, T_PID, (uint32_t)p->pid);
		} else {
			proc_fill_exit(&e, p); /* includes the id and pid */
		}
		proto_put_u32(&e, T_RUNNING, p->running);
		proto_put_u32(&e, T_DETACHED, p->detached);
		proto_put_u64(&e, T_START_NS, p->start_real_ns);
		if (p->tag)
			proto_put_str(&e, T_TAG, p->tag);
		proto_put_u64(&e, T_CURSOR_OUT, p->out[0].ring.total);
		proto_put_u64(&e, T_CURSOR_ERR, p->out[1].ring.total);
		proto_put_msg_end(&e, m);
	}
	if (proto_enc_end(&e, 0) == 0)
		conn_send(c, &e, NULL, 0);
	else
		reply_error(c, h->id, E2BIG, "list: too many processes for one reply");
	proto_enc_release(&e);
}

void h_attach(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	      unsigned nfds)
{
	struct proc *p = want_proc(c, h->id, f);
	if (!p)
		return;
	int r = 0;
	struct attacher a = { .c = c, .req = h->id, .follow = proto_u32_or(f, T_FOLLOW, 0, &r) };
	if (proto_get_u64(f, T_CURSOR_OUT, &a.cur[0]) == -EBADMSG ||
	    proto_get_u64(f, T_CURSOR_ERR, &a.cur[1]) == -EBADMSG || r < 0) {
		reply_error(c, h->id, EBADMSG, "attach: bad field");
		return;
	}
	if (p->n_att >= AGENT_MAX_ATTACHERS) {
		reply_error(c, h->id, EBUSY, "process %u: too many attached clients", p->id);
		return;
	}
	p->att[p->n_att++] = a;
	procs_pump(p);
}

void h_release(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	       unsigned nfds)
{
	struct proc *p = want_proc(c, h->id, f);
	if (!p)
		return;
	if (p->running || p->session) {
		reply_error(c, h->id, EBUSY, "process %u: still running", p->id);
		return;
	}
	p->dead = true;
	reply_ok(c, h->id);
}

/* ---- output streaming ---- */

static bool streams_done(const struct proc *p)
{
	return !p->running && p->out[0].eof && p->out[1].eof;
}

/* Sends what an attacher has not seen yet; true when its request is complete. */
static bool pump_one(struct proc *p, struct attacher *a)
{
	static uint8_t chunk[AGENT_CHUNK];
	while (conn_can_pump(a->c)) {
		bool sent = false;
		for (int s = 0; s < 2; s++) {
			uint64_t off, dropped;
			size_t n = ring_read(&p->out[s].ring, a->cur[s], chunk, sizeof(chunk), &off,
					     &dropped);
			if (n == 0 && dropped == 0)
				continue;
			struct proto_enc e;
			proto_enc_init(&e);
			proto_enc_begin(&e, PROTO_DATA, PROTO_F_MORE, a->req);
			proto_put_u32(&e, T_STREAM, (uint32_t)s + 1);
			proto_put_u64(&e, T_OFFSET, off);
			proto_put_u64(&e, T_DROPPED, dropped);
			proto_put_bytes(&e, T_DATA, chunk, n);
			if (proto_enc_end(&e, 0) == 0)
				conn_send(a->c, &e, NULL, 0);
			proto_enc_release(&e);
			a->cur[s] = off + n;
			sent = true;
		}
		if (!sent)
			break;
	}
	if (a->c->dead)
		return true;
	bool caught_up = a->cur[0] >= p->out[0].ring.total && a->cur[1] >= p->out[1].ring.total;
	if (!caught_up)
		return false;
	struct proto_enc e;
	proto_enc_init(&e);
	if (a->session_cmd) {
		if (!session_cmd_done(p->session))
			return false;
		proto_enc_begin(&e, PROTO_REPLY, 0, a->req);
		session_cmd_finish(p->session, &e);
	} else {
		if (a->follow && !streams_done(p))
			return false;
		proto_enc_begin(&e, PROTO_REPLY, 0, a->req);
		proto_put_u64(&e, T_CURSOR_OUT, a->cur[0]);
		proto_put_u64(&e, T_CURSOR_ERR, a->cur[1]);
		proto_put_u32(&e, T_RUNNING, p->running);
		if (!p->running)
			proc_fill_exit(&e, p);
	}
	if (proto_enc_end(&e, 0) == 0)
		conn_send(a->c, &e, NULL, 0);
	proto_enc_release(&e);
	return true;
}

void procs_pump(struct proc *p)
{
	for (unsigned i = 0; i < p->n_att;) {
		if (pump_one(p, &p->att[i]))
			p->att[i] = p->att[--p->n_att];
		else
			i++;
	}
}

/* ---- housekeeping ---- */

void procs_conn_gone(struct conn *c)
{
	for (struct proc *p = agent.procs; p; p = p->next) {
		for (unsigned i = 0; i < p->n_waiters;)
			if (p->waiters[i].c == c)
				p->waiters[i] = p->waiters[--p->n_waiters];
			else
				i++;
		for (unsigned i = 0; i < p->n_att;)
			if (p->att[i].c == c)
				p->att[i] = p->att[--p->n_att];
			else
				i++;
		if (p->owner == c) {
			/* Not detached: the process dies with its client (documented). */
			p->owner = NULL;
			if (!p->session) {
				/* The tree, not just the group: a setsid() descendant must not
				 * outlive the client that started it. */
				if (p->running)
					signal_tree(p, SIGKILL);
				else
					proc_kill_group(p, SIGKILL);
				p->waited = true;
			}
		}
	}
}

void procs_timers(uint64_t now, uint64_t *next)
{
	for (struct proc *p = agent.procs; p; p = p->next) {
		if (!p->running || !p->deadline_ns)
			continue;
		if (now >= p->deadline_ns) {
			p->timed_out = true;
			p->deadline_ns = 0;
			signal_tree(p, SIGKILL); /* with setsid() descendants, as a timeout promises */
		} else if (p->deadline_ns < *next) {
			*next = p->deadline_ns;
		}
	}
}

void procs_forward_signal(int sig)
{
	for (struct proc *p = agent.procs; p; p = p->next)
		proc_kill_group(p, sig);
}

/* Frees records nobody can ask about any more. */
void procs_sweep(void)
{
	unsigned finished_detached = 0;
	for (struct proc **pp = &agent.procs; *pp;) {
		struct proc *p = *pp;
		bool idle = !p->running && !p->n_att && !p->n_waiters && !p->session;
		/* The list is newest first, so the oldest finished records are the ones evicted. */
		if (idle && p->detached && !p->dead &&
		    ++finished_detached > AGENT_MAX_FINISHED_DETACHED)
			p->dead = true;
		if (idle && !p->detached && p->waited &&
		    ((p->out[0].eof && p->out[1].eof) || !p->owner))
			p->dead = true;
		if (p->dead && !p->running) {
			*pp = p->next;
			agent.n_procs--;
			proc_free(p);
		} else {
			pp = &p->next;
		}
	}
}
