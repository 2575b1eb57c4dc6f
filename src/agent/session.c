/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sessions: a persistent /bin/sh fed one command at a time on its stdin. Each command is sent
 * wrapped as
 *
 *   command eval '<cmd>' </dev/null 3>&- 7>&- 8>&-; printf '%s %d\n' NONCE "$?" >&3;
 *   exec 1>&7 2>&8; printf %s MARK; printf %s MARK >&2
 *
 * so that it runs in the shell itself (cd, exports, variables, functions persist), cannot read
 * the wrapper stream, and cannot write the status pipe (fd 3). The exit code comes back on fd
 * 3; MARK on stdout and on stderr says that all of the command's output has been seen. NONCE
 * and MARK are fresh random values per command, so output printed by the workload cannot fake
 * the end of a command: it never learns them before they are used. The shell keeps copies of
 * its stdout and stderr on 7 and 8, closed for the command like 3 (the shell restores them
 * after it), and points 1 and 2 back at them before the MARKs: a command that redirected the
 * shell's own output ("exec >/dev/null") must not swallow the MARK and wedge the session. A
 * command that breaks even that (closes the shell's saved copies of 7 and 8) makes the
 * "exec" fail, which ends the shell, and so the command and the session, with an error.
 *
 * Timeout: SIGINT to the shell's process group (the shell traps INT with ':', so only the
 * command dies); if that does not end it, SIGKILL to the rest of the group; if even that does
 * not, the shell is killed and the session ends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "macro.h"
#include "strv.h"

#define NONCE_LEN 32
#define MARK_MAX 64
#define CMD_MAX (192u << 10)
#define GRACE_NS (2ull * 1000000000ull)

struct session {
	struct session *next;
	uint32_t id;
	struct proc *sh;
	struct watch st_w;
	char st_buf[128];
	size_t st_len;
	struct conn *owner;
	bool detached, sh_dead;
	/* the command in flight */
	bool busy, got_status, got_mark[2];
	struct conn *c;
	uint32_t req;
	int rc;
	char nonce[NONCE_LEN + 1];
	char mark[MARK_MAX];
	size_t mlen;
	uint8_t pend[2][MARK_MAX];
	size_t pend_len[2];
	uint64_t deadline, escalate_at;
	int stage;
	bool timed_out;
};

static struct session *session_find(uint32_t id)
{
	for (struct session *s = agent.sessions; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static int random_hex(char *out, size_t n)
{
	uint8_t raw[NONCE_LEN / 2];
	size_t got = 0;
	while (got < n / 2) {
		ssize_t k = getrandom(raw + got, n / 2 - got, 0);
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k > 0)
			got += (size_t)k;
	}
	for (size_t i = 0; i < n / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

bool session_cmd_done(struct session *s)
{
	return s && s->busy && ((s->got_status && s->got_mark[0] && s->got_mark[1]) || s->sh_dead);
}

void session_cmd_finish(struct session *s, struct proto_enc *e)
{
	if (e) {
		proto_put_u32(e, T_SESSION_ID, s->id);
		proto_put_u32(e, T_EXIT_CODE, (uint32_t)s->rc);
		proto_put_u32(e, T_TIMED_OUT, s->timed_out);
		proto_put_u32(e, T_RUNNING, !s->sh_dead);
	}
	s->busy = false;
	s->c = NULL;
	s->deadline = s->escalate_at = 0;
}

/* A finished command whose client is gone: nobody to tell, just free the session for more. */
static void check_orphan_done(struct session *s)
{
	if (session_cmd_done(s) && !s->c)
		session_cmd_finish(s, NULL);
}

void session_filter(struct session *s, int stream, const uint8_t *buf, size_t n)
{
	struct ring *ring = &s->sh->out[stream].ring;
	if (!s->busy || s->got_mark[stream])
		return; /* output outside a command (background jobs) is not anyone's */
	if (!buf) {
		/* EOF: the shell is gone; what is held back is output after all. */
		ring_write(ring, s->pend[stream], s->pend_len[stream]);
		s->pend_len[stream] = 0;
		s->got_mark[stream] = true;
		return;
	}
	uint8_t work[16384 + MARK_MAX];
	while (n > 0) {
		size_t take = MIN(n, sizeof(work) - s->pend_len[stream]);
		memcpy(work, s->pend[stream], s->pend_len[stream]);
		memcpy(work + s->pend_len[stream], buf, take);
		size_t len = s->pend_len[stream] + take;
		buf += take;
		n -= take;
		uint8_t *m = memmem(work, len, s->mark, s->mlen);
		if (m) {
			ring_write(ring, work, (size_t)(m - work));
			s->pend_len[stream] = 0;
			s->got_mark[stream] = true;
			break;
		}
		/* Hold back a tail that could be the start of a marker split across reads. */
		size_t keep = MIN(len, s->mlen - 1);
		ring_write(ring, work, len - keep);
		memcpy(s->pend[stream], work + len - keep, keep);
		s->pend_len[stream] = keep;
	}
	check_orphan_done(s);
}

static void on_status(struct watch *w, uint32_t events)
{
	struct session *s = (struct session *)((char *)w - offsetof(struct session, st_w));
	ssize_t n = read(w->fd, s->st_buf + s->st_len, sizeof(s->st_buf) - 1 - s->st_len);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			watch_del(w);
		return;
	}
	s->st_len += (size_t)n;
	s->st_buf[s->st_len] = '\0';
	char *nl;
	while ((nl = strchr(s->st_buf, '\n'))) {
		*nl = '\0';
		/* Only a line carrying this command's nonce counts. */
		if (s->busy && strncmp(s->st_buf, s->nonce, NONCE_LEN) == 0 &&
		    s->st_buf[NONCE_LEN] == ' ') {
			s->rc = atoi(s->st_buf + NONCE_LEN + 1);
			s->got_status = true;
		}
		size_t rest = s->st_len - (size_t)(nl + 1 - s->st_buf);
		memmove(s->st_buf, nl + 1, rest + 1);
		s->st_len = rest;
	}
	if (s->st_len == sizeof(s->st_buf) - 1)
		s->st_len = 0; /* a line this long is not ours */
	check_orphan_done(s);
	procs_pump(s->sh);
}

void session_proc_exited(struct session *s)
{
	s->sh_dead = true;
	if (s->busy && !s->got_status) {
		int st = s->sh->status;
		s->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	check_orphan_done(s);
}

void session_free(struct session *s)
{
	for (struct session **pp = &agent.sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	agent.n_sessions--;
	watch_del(&s->st_w);
	struct proc *p = s->sh;
	if (p) {
		/* A command still streaming to a client ends with an error. */
		for (unsigned i = 0; i < p->n_att;) {
			if (p->att[i].session_cmd) {
				reply_error(p->att[i].c, p->att[i].req, ECANCELED, "session %u closed",
					    s->id);
				p->att[i] = p->att[--p->n_att];
			} else {
				i++;
			}
		}
		proc_kill_group(p, SIGKILL);
		p->session = NULL;
		p->owner = NULL;
		p->waited = true;
	}
	free(s);
}

static struct session *session_start(struct spawn_req *r, const char **what, int *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 }, st[2] = { -1, -1 };
	struct session *s = calloc(1, sizeof(*s));
	struct proc *p = proc_new();
	*err = -ENOMEM;
	*what = "allocate";
	if (!s || !p || strv_push(&r->argv, "/bin/sh") < 0)
		goto fail;
	*what = "pipes";
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0 ||
	    pipe2(st, O_CLOEXEC) < 0) {
		*err = -errno;
		goto fail;
	}
	r->map[0] = in[0], r->map[1] = out[1], r->map[2] = er[1], r->map[3] = st[1];
	in[0] = out[1] = er[1] = st[1] = -1;
	pid_t pid = spawn_exec(r, what);
	if (pid < 0) {
		*err = pid;
		goto fail;
	}
	for (int i = 0; i < SPAWN_MAX_MAP; i++)
		r->map[i] = safe_close(r->map[i]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(er[0], F_SETFL, O_NONBLOCK);
	fcntl(st[0], F_SETFL, O_NONBLOCK);
	p->pid = pid;
	p->running = true;
	p->start_ns = now_ns();
	p->start_real_ns = realtime_ns();
	p->session = s;
	s->sh = p;
	s->id = p->id;
	p->next = agent.procs;
	agent.procs = p;
	agent.n_procs++;
	proc_start_streams(p, out[0], er[0], in[1]);
	s->st_w = (struct watch){ on_status, st[0] };
	watch_add(&s->st_w, EPOLLIN);
	/* The shell ignores SIGINT through a trap, which its children do not inherit, and keeps
	 * its own stdout and stderr on 7 and 8 (see wrap()). */
	static const char init[] = "trap : INT; exec 7>&1 8>&2\n";
	proc_stdin_queue(p, (const uint8_t *)init, sizeof(init) - 1, false);
	return s;
fail:
	for (int i = 0; i < 2; i++) {
		safe_close(in[i]);
		safe_close(out[i]);
		safe_close(er[i]);
		safe_close(st[i]);
	}
	free(s);
	if (p)
		proc_free(p);
	return NULL;
}

void h_session_new(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
		   int *fds, unsigned nfds)
{
	struct spawn_req r = { .map = { -1, -1, -1, -1 }, .ctty = -1 };
	const char *what = "options";
	int q = 0, e = 0;
	if (agent.n_sessions >= AGENT_MAX_SESSIONS || agent.n_procs >= AGENT_MAX_PROCS ||
	    agent.stopping) {
		reply_error(c, h->id, EAGAIN, "session: too many sessions");
		return;
	}
	char why[256];
	if (guard_check(why, sizeof(why)) < 0) {
		reply_error(c, h->id, ENOSPC, "session: %s", why);
		return;
	}
	e = spawn_parse_common(f, &r, &what);
	bool detached = proto_u32_or(f, T_DETACHED, 0, &q) != 0;
	uint32_t cap = proto_u32_or(f, T_OUTPUT_CAP, 1u << 20, &q);
	if (e == 0 && (q < 0 || cap > AGENT_RING_MAX))
		e = -EINVAL;
	if (e == 0 && agent.ring_budget + 2 * (size_t)cap > AGENT_RING_BUDGET)
		e = -ENOBUFS, what = "output buffers";
	struct session *s = e == 0 ? session_start(&r, &what, &e) : NULL;
	spawn_req_release(&r);
	if (!s) {
		reply_error(c, h->id, -e, "session: %s: %s", what, strerror(-e));
		return;
	}
	proc_set_rings(s->sh, cap, 2);
	s->detached = detached;
	s->owner = detached ? NULL : c;
	s->sh->owner = s->owner;
	s->next = agent.sessions;
	agent.sessions = s;
	agent.n_sessions++;
	struct proto_enc en;
	proto_enc_init(&en);
	proto_enc_begin(&en, PROTO_REPLY, 0, h->id);
	proto_put_u32(&en, T_SESSION_ID, s->id);
	proto_put_u32(&en, T_PID, (uint32_t)s->sh->pid);
	if (proto_enc_end(&en, 0) == 0)
		conn_send(c, &en, NULL, 0);
	proto_enc_release(&en);
}

/* Builds the wrapped command (see the top of this file). */
static char *wrap(const char *cmd, const char *nonce, const char *mark)
{
	size_t n = strlen(cmd), extra = 0;
	for (size_t i = 0; i < n; i++)
		extra += cmd[i] == '\'' ? 3 : 0;
	size_t cap = n + extra + 512;
	char *w = malloc(cap), *o = w;
	if (!w)
		return NULL;
	o += sprintf(o, "command eval '");
	for (size_t i = 0; i < n; i++) {
		if (cmd[i] == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = cmd[i];
		}
	}
	sprintf(o, "' </dev/null 3>&- 7>&- 8>&-; printf '%%s %%d\\n' %s \"$?\" >&3; "
		   "exec 1>&7 2>&8; printf %%s %s; printf %%s %s >&2\n",
		nonce, mark, mark);
	return w;
}

static struct session *want_session(struct conn *c, uint32_t req, const struct proto_fields *f)
{
	uint32_t id;
	if (proto_get_u32(f, T_SESSION_ID, &id) < 0) {
		reply_error(c, req, EBADMSG, "session id missing");
		return NULL;
	}
	struct session *s = session_find(id);
	if (!s)
		reply_error(c, req, ENOENT, "session %u: not found", id);
	return s;
}

void h_session_exec(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
		    int *fds, unsigned nfds)
{
	struct session *s = want_session(c, h->id, f);
	if (!s)
		return;
	_cleanup_free_ char *cmd = NULL;
	int q = 0;
	uint32_t timeout = proto_u32_or(f, T_TIMEOUT_MS, 0, &q);
	if (q < 0 || proto_get_str(f, T_COMMAND, &cmd) < 0 || strlen(cmd) > CMD_MAX) {
		reply_error(c, h->id, EINVAL, "session %u: bad or missing command", s->id);
		return;
	}
	/* One command at a time: a second one would interleave with the first. */
	if (s->busy) {
		reply_error(c, h->id, EBUSY, "session %u: a command is already running", s->id);
		return;
	}
	if (s->sh_dead) {
		reply_error(c, h->id, EPIPE, "session %u: shell has exited", s->id);
		return;
	}
	char why[256];
	if (guard_check(why, sizeof(why)) < 0) {
		reply_error(c, h->id, ENOSPC, "session %u: %s", s->id, why);
		return;
	}
	struct proc *p = s->sh;
	if (p->n_att >= AGENT_MAX_ATTACHERS) {
		reply_error(c, h->id, EBUSY, "session %u: too many clients", s->id);
		return;
	}
	char mnonce[NONCE_LEN + 1];
	if (random_hex(s->nonce, NONCE_LEN) < 0 || random_hex(mnonce, NONCE_LEN) < 0) {
		reply_error(c, h->id, EIO, "session %u: no randomness", s->id);
		return;
	}
	s->nonce[NONCE_LEN] = mnonce[NONCE_LEN] = '\0';
	s->mlen = (size_t)snprintf(s->mark, sizeof(s->mark), "\x1ehutch-%s\x1e", mnonce);
	_cleanup_free_ char *w = wrap(cmd, s->nonce, s->mark);
	int r = w ? proc_stdin_queue(p, (const uint8_t *)w, strlen(w), false) : -ENOMEM;
	if (r < 0) {
		reply_error(c, h->id, -r, "session %u: write command: %s", s->id, strerror(-r));
		return;
	}
	s->busy = true;
	s->got_status = s->got_mark[0] = s->got_mark[1] = false;
	s->pend_len[0] = s->pend_len[1] = 0;
	s->timed_out = false;
	s->stage = 0;
	s->rc = -1;
	s->c = c;
	s->req = h->id;
	s->deadline = timeout ? now_ns() + (uint64_t)timeout * 1000000ull : 0;
	p->att[p->n_att++] = (struct attacher){ .c = c, .req = h->id, .session_cmd = true,
					       .cur = { p->out[0].ring.total,
							p->out[1].ring.total } };
}

void h_session_close(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
		     int *fds, unsigned nfds)
{
	struct session *s = want_session(c, h->id, f);
	if (!s)
		return;
	session_free(s);
	reply_ok(c, h->id);
}

void sessions_conn_gone(struct conn *c)
{
	for (struct session *s = agent.sessions, *next; s; s = next) {
		next = s->next;
		if (s->c == c)
			s->c = NULL;
		if (s->owner == c)
			session_free(s);
		else
			check_orphan_done(s);
	}
}

/* Kills the processes of the shell's group other than the shell itself. */
static void kill_group_but_shell(pid_t sh)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char path[64], buf[512];
		pid_t pid = atoi(de->d_name);
		if (pid <= 0 || pid == sh)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		char *rp = strrchr(buf, ')');
		int ppid, pgrp;
		char state;
		if (rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == sh)
			kill(pid, SIGKILL);
	}
	closedir(d);
}

void sessions_timers(uint64_t now, uint64_t *next)
{
	for (struct session *s = agent.sessions; s; s = s->next) {
		if (!s->busy || s->sh_dead)
			continue;
		uint64_t at = s->stage == 0 ? s->deadline : s->escalate_at;
		if (!at)
			continue;
		if (now < at) {
			*next = MIN(*next, at);
			continue;
		}
		s->timed_out = true;
		if (s->stage == 0)
			kill(-s->sh->pid, SIGINT);
		else if (s->stage == 1)
			kill_group_but_shell(s->sh->pid);
		else
			proc_kill_group(s->sh, SIGKILL);
		s->stage++;
		s->escalate_at = now + GRACE_NS;
		*next = MIN(*next, s->escalate_at);
	}
}
