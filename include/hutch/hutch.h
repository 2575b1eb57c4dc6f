/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch.h — the public C API of libhutch.
 *
 * Invariants:
 *  - every exported symbol starts with hutch_;
 *  - fallible functions return int: >= 0 on success, -errno on failure, and fill the
 *    caller's struct hutch_err (if non-NULL) with a message naming what failed;
 *  - the library never prints and never exits.
 */
#ifndef HUTCH_H
#define HUTCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HUTCH_ERR_MSG_MAX 512

/* A fixed-size error: cheap to fill in a cloned child and to send over a socket. */
struct hutch_err {
	int code;                    /* positive errno value, 0 when unset */
	char msg[HUTCH_ERR_MSG_MAX]; /* lowercase, no trailing period */
};

/* The library's version string, e.g. "0.1.0". */
const char *hutch_version(void);

/* Human-readable message for an error; never NULL. */
const char *hutch_err_message(const struct hutch_err *err);

/* ---- exec plane client ---- */
/*
 * A client of hutch-agent, the process that serves the exec plane inside a sandbox (or inside
 * any container) on a Unix socket; docs/protocol.md describes the wire format.
 *
 * struct hutch_agent is one connection. Calls on it are synchronous: each sends one request
 * and returns when its final reply has arrived. A connection is not thread-safe: use one per
 * thread. Processes spawned without `detached` belong to the connection and are killed
 * (SIGKILL to their process group) when it closes; detached ones outlive it and can be found
 * again with hutch_agent_list() and read with hutch_agent_attach().
 *
 * Every function returns >= 0 on success and -errno on failure, filling err. Errors reported
 * by the agent keep the agent's errno (e.g. -EBUSY for a busy session, -ESRCH for an unknown
 * process) and message.
 */
struct hutch_agent;

/* Connects to the agent socket at path and does the handshake. token may be NULL. */
int hutch_agent_connect(const char *path, const char *token, struct hutch_agent **ret,
			struct hutch_err *err);
/* Same over an already-connected socket (taken over, also on failure). */
int hutch_agent_connect_fd(int fd, const char *token, struct hutch_agent **ret,
			   struct hutch_err *err);
/* Closes the connection (NULL is fine). Non-detached processes of this connection die. */
void hutch_agent_close(struct hutch_agent *a);
/* The agent's pid (in its own pid namespace) as reported at the handshake. */
uint32_t hutch_agent_pid(const struct hutch_agent *a);

enum hutch_stdio {
	HUTCH_STDIO_NULL = 0, /* /dev/null */
	HUTCH_STDIO_FD = 1,   /* the caller's fd in stdio_fd[i], passed as is (zero copy) */
	HUTCH_STDIO_PIPE = 2, /* an agent pipe: output kept in the agent's buffer (attach), stdin
				 written with hutch_agent_stdin_write() */
	HUTCH_STDIO_PTY = 3,  /* a pty (one per process) sized pty_rows x pty_cols */
};

struct hutch_rlimit {
	int resource;              /* RLIMIT_* */
	uint64_t soft, hard;       /* UINT64_MAX: unlimited */
};

/* What to run and how. Zero-initialise, then set what you need; argv is required. */
struct hutch_spawn_opts {
	const char *const *argv;   /* NULL-terminated; argv[0] is looked up in the PATH of env */
	const char *const *env;    /* NULL-terminated "K=V" (set) or "K" (unset) entries */
	int env_clear;             /* start from an empty environment, not the agent's */
	const char *cwd;           /* NULL: the agent's */
	int set_user;              /* switch to uid/gid (and groups) below */
	uint32_t uid, gid;
	const uint32_t *groups;    /* supplementary groups (with set_user); none by default */
	size_t n_groups;
	const struct hutch_rlimit *rlimits;
	size_t n_rlimits;
	enum hutch_stdio stdio[3]; /* stdin, stdout, stderr */
	int stdio_fd[3];           /* for HUTCH_STDIO_FD */
	unsigned pty_rows, pty_cols;
	int pty_return;            /* hutch_agent_spawn() returns the pty master fd */
	const char *tag;           /* free-form label shown by hutch_agent_list() */
	int detached;              /* outlive this connection (background process) */
	uint32_t output_cap;       /* bytes kept per output stream for PIPE/PTY (0: 256 KiB) */
	uint32_t timeout_ms;       /* kill the process group after this long (0: never) */
};

/* How a process ended, with its resource usage. */
struct hutch_exit {
	uint32_t pid;
	int exited;                /* 1: exit code in code; 0: killed by signal */
	int code;
	int signal;
	int core_dumped;
	int timed_out;             /* killed because timeout_ms passed */
	uint64_t wall_ns, utime_us, stime_us, maxrss_kb;
	int reserve_killed;        /* killed because a file system the sandbox can write fell
				    * below its free-space reserve (hutch-agent --reserve) */
};

/* Captured output of hutch_agent_run() and hutch_agent_session_exec(). */
struct hutch_output {
	char *out, *err;           /* NUL-terminated (the length excludes the NUL) */
	size_t out_len, err_len;
	int out_truncated, err_truncated; /* output beyond the cap was discarded */
	struct hutch_exit exit;    /* for sessions: exited=1 and code, timed_out */
};
void hutch_output_release(struct hutch_output *o);

/* Called with each chunk of output: stream 1 is stdout, 2 stderr; dropped counts bytes
 * the agent's buffer lost before this chunk. */
typedef void (*hutch_output_fn)(void *userdata, int stream, const void *data, size_t len,
				uint64_t dropped);

/* Spawns and waits: the usual way to run with the caller's own fds (HUTCH_STDIO_FD). */
int hutch_agent_exec(struct hutch_agent *a, const struct hutch_spawn_opts *opts,
		     struct hutch_exit *ret, struct hutch_err *err);
/* Runs with stdout/stderr captured (at most max_output bytes each, 0: 16 MiB) and stdin fed
 * from stdin_data (NULL: /dev/null). opts->stdio is ignored. */
int hutch_agent_run(struct hutch_agent *a, const struct hutch_spawn_opts *opts,
		    const void *stdin_data, size_t stdin_len, size_t max_output,
		    struct hutch_output *ret, struct hutch_err *err);
/* Like hutch_agent_run(), output handed to fn as it comes instead of collected. */
int hutch_agent_run_stream(struct hutch_agent *a, const struct hutch_spawn_opts *opts,
			   const void *stdin_data, size_t stdin_len, hutch_output_fn fn,
			   void *userdata, struct hutch_exit *ret, struct hutch_err *err);
/* Starts a process and returns its id at once. ret_pty gets the pty master if pty_return. */
int hutch_agent_spawn(struct hutch_agent *a, const struct hutch_spawn_opts *opts,
		      uint32_t *ret_id, int *ret_pty, struct hutch_err *err);
/* Waits for a process to end. */
int hutch_agent_wait(struct hutch_agent *a, uint32_t id, struct hutch_exit *ret,
		     struct hutch_err *err);

enum hutch_signal_scope {
	HUTCH_SIGNAL_PROCESS = 0, /* the process itself */
	HUTCH_SIGNAL_GROUP = 1,   /* its process group (it leads one) */
	HUTCH_SIGNAL_TREE = 2,    /* the group and everything in it */
};
int hutch_agent_signal(struct hutch_agent *a, uint32_t id, int sig, enum hutch_signal_scope scope,
		       struct hutch_err *err);
/* Queues bytes for a HUTCH_STDIO_PIPE/PTY stdin; -EAGAIN when the agent's queue is full. */
int hutch_agent_stdin_write(struct hutch_agent *a, uint32_t id, const void *data, size_t len,
			    struct hutch_err *err);
/* Closes that stdin once what is queued has been written. */
int hutch_agent_stdin_close(struct hutch_agent *a, uint32_t id, struct hutch_err *err);
int hutch_agent_resize(struct hutch_agent *a, uint32_t id, unsigned rows, unsigned cols,
		       struct hutch_err *err);
/* Forgets a finished process (its buffered output goes with it). */
int hutch_agent_release(struct hutch_agent *a, uint32_t id, struct hutch_err *err);

struct hutch_proc_info {
	uint32_t id, pid;
	int running, detached;
	char *tag;                 /* NULL if none */
	uint64_t start_ns;         /* CLOCK_REALTIME */
	uint64_t cursor_out, cursor_err; /* bytes written so far to each stream */
	struct hutch_exit exit;    /* when !running */
};
int hutch_agent_list(struct hutch_agent *a, struct hutch_proc_info **ret, size_t *ret_n,
		     struct hutch_err *err);
void hutch_proc_info_free(struct hutch_proc_info *v, size_t n);

/*
 * Replays a process's buffered output from cursor[0] (stdout) and cursor[1] (stderr) —
 * byte offsets in each stream, 0 for the beginning — and with follow, keeps streaming until
 * the process has ended and its output is drained. On return cursor[] is where to resume.
 * ret_exit (may be NULL) is filled when the process has ended; the return value is 1 then,
 * 0 if it is still running.
 */
int hutch_agent_attach(struct hutch_agent *a, uint32_t id, uint64_t cursor[2], int follow,
		       hutch_output_fn fn, void *userdata, struct hutch_exit *ret_exit,
		       struct hutch_err *err);

/* Asks the agent to stop: SIGTERM to everything, SIGKILL after timeout_ms, then it exits. */
int hutch_agent_shutdown(struct hutch_agent *a, uint32_t timeout_ms, struct hutch_err *err);

/*
 * Sessions: a persistent /bin/sh. cwd, exported and shell variables and functions survive
 * between commands; each command gets its own exit code and separate stdout/stderr. opts
 * gives env, cwd, user and rlimits (argv and stdio are ignored); NULL for defaults.
 * A command that runs longer than timeout_ms is interrupted (SIGINT) but the session stays.
 * A second command while one runs fails with -EBUSY.
 */
int hutch_agent_session_new(struct hutch_agent *a, const struct hutch_spawn_opts *opts,
			    uint32_t *ret_id, struct hutch_err *err);
int hutch_agent_session_exec(struct hutch_agent *a, uint32_t id, const char *command,
			     uint32_t timeout_ms, size_t max_output, struct hutch_output *ret,
			     struct hutch_err *err);
int hutch_agent_session_close(struct hutch_agent *a, uint32_t id, struct hutch_err *err);

/* File operations, done by the agent with its own credentials. */
#define HUTCH_O_RDONLY 0x0
#define HUTCH_O_WRONLY 0x1
#define HUTCH_O_RDWR 0x2
#define HUTCH_O_CREAT 0x10
#define HUTCH_O_EXCL 0x20
#define HUTCH_O_TRUNC 0x40
#define HUTCH_O_APPEND 0x80
#define HUTCH_O_DIRECTORY 0x100
#define HUTCH_O_NOFOLLOW 0x200

enum hutch_file_type {
	HUTCH_FT_UNKNOWN = 0, HUTCH_FT_REG, HUTCH_FT_DIR, HUTCH_FT_LNK,
	HUTCH_FT_CHR, HUTCH_FT_BLK, HUTCH_FT_FIFO, HUTCH_FT_SOCK,
};

struct hutch_stat {
	enum hutch_file_type type;
	uint32_t mode;             /* permission bits (07777) */
	uint32_t uid, gid;
	uint64_t size, ino, nlink;
	int64_t mtime_ns;
};

struct hutch_dirent {
	char *name;
	enum hutch_file_type type;
};

/* Opens a file in the sandbox; the fd comes back over the socket (O_CLOEXEC). */
int hutch_agent_file_open(struct hutch_agent *a, const char *path, int flags, uint32_t mode,
			  int *ret_fd, struct hutch_err *err);
int hutch_agent_file_stat(struct hutch_agent *a, const char *path, int nofollow,
			  struct hutch_stat *ret, struct hutch_err *err);
/* At most 8192 entries; *ret_truncated (may be NULL) says whether there were more. */
int hutch_agent_file_readdir(struct hutch_agent *a, const char *path, struct hutch_dirent **ret,
			     size_t *ret_n, int *ret_truncated, struct hutch_err *err);
void hutch_dirents_free(struct hutch_dirent *v, size_t n);
int hutch_agent_file_mkdir(struct hutch_agent *a, const char *path, uint32_t mode, int parents,
			   struct hutch_err *err);
int hutch_agent_file_remove(struct hutch_agent *a, const char *path, int recursive,
			    struct hutch_err *err);
int hutch_agent_file_rename(struct hutch_agent *a, const char *from, const char *to,
			    struct hutch_err *err);
int hutch_agent_file_chmod(struct hutch_agent *a, const char *path, uint32_t mode,
			   struct hutch_err *err);
/* (uint32_t)-1 leaves that id unchanged. */
int hutch_agent_file_chown(struct hutch_agent *a, const char *path, uint32_t uid, uint32_t gid,
			   int nofollow, struct hutch_err *err);
/* Atomic replace (temp file + rename); len at most about 1 MiB (use file_open for more). */
int hutch_agent_file_write(struct hutch_agent *a, const char *path, const void *data, size_t len,
			   uint32_t mode, struct hutch_err *err);
/* Reads at most max bytes (capped near 1 MiB) into a NUL-terminated heap buffer. */
int hutch_agent_file_read(struct hutch_agent *a, const char *path, size_t max, void **ret,
			  size_t *ret_len, int *ret_truncated, struct hutch_err *err);
/* ---- end of exec plane client ---- */

#ifdef __cplusplus
}
#endif
#endif
