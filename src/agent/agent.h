/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch-agent internals. One thread, one epoll loop: every fd the agent watches (listening
 * socket, connections, signalfd, process output pipes, session status pipes) is a `struct
 * watch` whose callback runs on readiness. Objects freed during a batch of events are only
 * marked dead and swept after the batch, so no callback sees a freed object.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "proto.h"
#include "ring.h"

/*
 * A one-block cache for what is allocated and freed once per request: a process record, a
 * connection and its input buffer. musl's allocator unmaps a page when its last block is
 * freed and maps a new one for the next request: two syscalls per exec, the unmap with a TLB
 * shootdown to the CPUs our vfork'd children ran on (5-15 us each in a VM). spare_take()
 * returns the kept block (not zeroed) or a new one; spare_give() keeps a block or frees it.
 * Not under ASan: a reused block would hide a use after free from it.
 */
static inline void *spare_take(void **slot, size_t size)
{
	void *p = *slot;
	*slot = NULL;
	return p ? p : malloc(size);
}

static inline void spare_give(void **slot, void *p)
{
#ifdef __SANITIZE_ADDRESS__
	free(p);
	return;
#endif
	if (*slot)
		free(p);
	else
		*slot = p;
}

/* Hard limits on what clients and workloads can make the agent hold. */
#define AGENT_MAX_CONNS 64
#define AGENT_MAX_PROCS 1024
#define AGENT_MAX_FINISHED_DETACHED 64 /* exited background records kept for late WAIT/ATTACH */
#define AGENT_MAX_SESSIONS 32
#define AGENT_MAX_ARGS 4096
#define AGENT_MAX_ENV 4096
#define AGENT_MAX_GROUPS 64
#define AGENT_MAX_RLIMITS 16
#define AGENT_MAX_WAITERS 16
#define AGENT_MAX_ATTACHERS 16
#define AGENT_OUTQ_MAX (8u << 20)     /* a connection that lets more pile up is dropped */
#define AGENT_OUTQ_PUMP (256u << 10)  /* output is streamed only while the queue is below */
#define AGENT_STDIN_MAX (256u << 10)  /* stdin bytes queued per process */
#define AGENT_RING_DEFAULT (256u << 10)
#define AGENT_RING_MAX (16u << 20)
#define AGENT_RING_BUDGET (256u << 20) /* all output rings together, at most */
#define AGENT_TAG_MAX 256
#define AGENT_CHUNK (64u << 10)       /* DATA message size */
#define AGENT_HELLO_TIMEOUT_NS (5ull * 1000000000ull)

struct watch;
typedef void (*watch_fn)(struct watch *w, uint32_t events);
struct watch {
	watch_fn fn;
	int fd;
};

struct outmsg {
	struct outmsg *next;
	size_t len, off;
	int fds[PROTO_MAX_FDS];
	unsigned nfds;
	uint8_t data[];
};

struct conn {
	struct watch w;
	struct conn *next;
	bool authed, closing, dead;
	uint16_t version;
	uint64_t accepted_ns;
	uint8_t *in;
	size_t in_len, in_cap;
	int fdq[2 * PROTO_MAX_FDS]; /* fds received, not yet claimed by a message */
	unsigned nfdq;
	struct outmsg *out_head, *out_tail;
	size_t out_bytes;
	uint32_t events; /* what epoll watches now */
};

/* Who wants to hear about a process: a WAIT or an ATTACH still in flight. */
struct waiter {
	struct conn *c;
	uint32_t req;
};

struct attacher {
	struct conn *c;
	uint32_t req;
	uint64_t cur[2];
	bool follow;
	bool session_cmd; /* streams one session command; ends when that command is done */
};

struct proc;
struct stream {
	struct watch w; /* first member: the watch callback casts back */
	struct ring ring;
	bool eof;
	struct proc *owner;
	int idx; /* 0 stdout, 1 stderr */
};

struct session;

struct proc {
	struct proc *next;
	uint32_t id;
	pid_t pid;
	int pidfd;
	char *tag;
	struct conn *owner; /* NULL once detached or orphaned */
	bool detached, running, waited, dead;
	int status;
	struct rusage ru;
	uint64_t start_ns, end_ns, start_real_ns, deadline_ns;
	bool timed_out;
	bool reserve_killed; /* killed by the disk reserve guard (guard.c) */
	/* stdin: agent-held write end (pipe or pty master) and what is queued for it */
	struct watch in_w;
	uint8_t *in_buf;
	size_t in_len;
	bool in_close;
	int pty_fd; /* a pty master kept for RESIZE, or -1 */
	struct stream out[2];
	struct waiter waiters[AGENT_MAX_WAITERS];
	unsigned n_waiters;
	struct attacher att[AGENT_MAX_ATTACHERS];
	unsigned n_att;
	struct session *session; /* set when this process is a session's shell */
	size_t ring_charge;      /* what its rings count against AGENT_RING_BUDGET */
};

struct agent {
	int epfd, sigfd, listen_fd;
	struct watch listen_w, sig_w;
	struct conn *conns;
	unsigned n_conns;
	struct proc *procs;
	unsigned n_procs;
	struct session *sessions;
	unsigned n_sessions;
	uint32_t next_id;
	uint8_t *token;
	size_t token_len;
	bool pid1, stopping;
	uint64_t stop_deadline_ns;
	uint64_t stop_timeout_ns;
	int exit_code;
	struct rlimit nofile; /* as we were started: what children get back */
	uint64_t listen_paused_until; /* out of fds: accept() again after this */
	size_t ring_budget;           /* sum of ring_charge over all processes */
};

extern struct agent agent;

/* loop.c */
uint64_t now_ns(void);
uint64_t realtime_ns(void);
int watch_add(struct watch *w, uint32_t events);
int watch_mod(struct watch *w, uint32_t events);
void watch_del(struct watch *w);
int loop_init(void);
/* SIG_DFL for sig with the raw syscall: libc refuses the signals it keeps (32-34), and it
 * touches nothing of ours (a child sharing our memory calls it). */
void agent_signal_default(int sig);
int loop_run(void);
void agent_stop(uint64_t grace_ns);
/* Kills every process we know of and, as subreaper/PID 1, whatever was reparented to us. */
void agent_kill_everything(void);
/* True while any child (ours or an orphan reparented to us) is not yet reaped. */
bool agent_has_children(void);
/* True while a process we started runs (no syscall: the table only). */
bool agent_any_running(void);

/* guard.c: the disk reserve guard */
/* Adds "BYTES[,INODES]:PATH": keep BYTES (and INODES inodes) free on the file system of
 * PATH (opened now). */
int guard_add(const char *spec);
void guards_timers(uint64_t now, uint64_t *next);
/* -ENOSPC with a message when a guarded file system is below its reserve. */
int guard_check(char *msg, size_t len);

/* conn.c */
void conn_accept(struct watch *w, uint32_t events);
int conn_send(struct conn *c, struct proto_enc *e, const int *fds, unsigned nfds);
void reply_error(struct conn *c, uint32_t req, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void reply_ok(struct conn *c, uint32_t req);
void conn_kill(struct conn *c);
void conns_sweep(void);
void conns_timers(uint64_t now, uint64_t *next);
bool conn_can_pump(const struct conn *c);
void conns_pump_all(void);

/* Request handlers: fds[] holds the passed fds, a handler sets the ones it keeps to -1. */
typedef void (*handler_fn)(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
			   int *fds, unsigned nfds);

/* proc.c */
void h_spawn(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	     unsigned nfds);
void h_wait(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	    unsigned nfds);
void h_signal(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	      unsigned nfds);
void h_stdin(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	     unsigned nfds);
void h_resize(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	      unsigned nfds);
void h_list(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	    unsigned nfds);
void h_attach(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	      unsigned nfds);
void h_release(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	       unsigned nfds);
struct proc *proc_find(uint32_t id);
struct proc *proc_new(void);
void proc_free(struct proc *p);
/* Sizes the output rings, charging nstreams * cap to the budget (-ENOBUFS past it). */
int proc_set_rings(struct proc *p, size_t cap, unsigned nstreams);
int proc_start_streams(struct proc *p, int out_fd, int err_fd, int in_fd);
void proc_reaped(pid_t pid, int status, const struct rusage *ru);
void proc_kill_group(struct proc *p, int sig);
void procs_conn_gone(struct conn *c);
void procs_pump(struct proc *p);
void procs_timers(uint64_t now, uint64_t *next);
void procs_forward_signal(int sig);
void procs_sweep(void);
void proc_stream_data(struct proc *p, int s, const uint8_t *buf, size_t n);
int proc_stdin_queue(struct proc *p, const uint8_t *data, size_t len, bool close_after);
void proc_fill_exit(struct proto_enc *e, const struct proc *p);
uint32_t agent_new_id(void);

/* spawn.c */
#define SPAWN_MAX_MAP 4
struct spawn_req {
	char **argv;
	char **envp;
	char *cwd;
	bool set_uid, set_gid;
	uid_t uid;
	gid_t gid;
	gid_t groups[AGENT_MAX_GROUPS];
	size_t n_groups;
	bool set_groups;
	struct {
		int resource;
		struct rlimit rl;
	} rlimits[AGENT_MAX_RLIMITS];
	size_t n_rlimits;
	int map[SPAWN_MAX_MAP]; /* fd to put at 0..3, -1: /dev/null for 0-2, closed for 3 */
	int ctty;               /* pty slave to make the controlling terminal, or -1 */
};
void spawn_req_release(struct spawn_req *r);
int spawn_parse_common(const struct proto_fields *f, struct spawn_req *r, const char **what);
/* Builds the child's environment: the agent's (unless clear) with delta applied. */
int spawn_build_env(char **delta, bool clear, char ***ret);
/* Forks and execs; returns the pid or -errno (the exec error, learned over a CLOEXEC pipe). */
pid_t spawn_exec(const struct spawn_req *r, const char **ret_what);

/* session.c */
void h_session_new(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
		   int *fds, unsigned nfds);
void h_session_exec(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
		    int *fds, unsigned nfds);
void h_session_close(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
		     int *fds, unsigned nfds);
/* Output from a session shell passes here first (markers are cut out). */
void session_filter(struct session *s, int stream, const uint8_t *buf, size_t n);
bool session_cmd_done(struct session *s);
void session_cmd_finish(struct session *s, struct proto_enc *e);
void session_proc_exited(struct session *s);
void sessions_conn_gone(struct conn *c);
void sessions_timers(uint64_t now, uint64_t *next);
void session_free(struct session *s);

/* fileops.c */
void h_open(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	    unsigned nfds);
void h_stat(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	    unsigned nfds);
void h_readdir(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	       unsigned nfds);
void h_mkdir(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	     unsigned nfds);
void h_remove(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	      unsigned nfds);
void h_rename(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	      unsigned nfds);
void h_chmod(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	     unsigned nfds);
void h_chown(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
	     unsigned nfds);
void h_write_file(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f,
		  int *fds, unsigned nfds);
void h_read_file(struct conn *c, const struct proto_hdr *h, const struct proto_fields *f, int *fds,
		 unsigned nfds);
