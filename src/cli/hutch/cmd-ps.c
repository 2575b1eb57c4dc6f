/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Processes in a sandbox, as the agent knows them: hutch ps (list), hutch attach (replay
 * and follow a process's buffered output, feed its stdin, wait for it), hutch kill.
 * A process is named by the agent's process id (as printed by exec -d) or by its tag.
 */
#include <json.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hutch.h"
#include "sandbox/run.h"

/* Options every command here shares; parses the positional SANDBOX unless --socket. */
struct ps_common {
	struct cli_target t;
	char **pos; /* positional arguments after SANDBOX */
	int n_pos;
};

static int take_target(struct ps_common *c, int argc, char **argv)
{
	if (!c->t.socket) {
		if (optind >= argc) {
			log_error("no sandbox given");
			return -1;
		}
		c->t.sandbox = argv[optind++];
	}
	c->pos = argv + optind;
	c->n_pos = argc - optind;
	return 0;
}

static int parse_u32(const char *s, uint32_t *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (end == s || *end || errno || v > UINT32_MAX || *s == '-')
		return -1;
	*ret = (uint32_t)v;
	return 0;
}

/* PROC: a process id, or the tag of exactly one process. */
static int resolve_proc(struct hutch_agent *a, const char *arg, uint32_t *ret)
{
	if (parse_u32(arg, ret) == 0)
		return 0;
	struct hutch_err err = { 0 };
	struct hutch_proc_info *v = NULL;
	size_t n = 0, found = 0;
	int r = hutch_agent_list(a, &v, &n, &err);
	if (r < 0)
		return cli_agent_error(r, &err);
	for (size_t i = 0; i < n; i++)
		if (v[i].tag && strcmp(v[i].tag, arg) == 0 && found++ == 0)
			*ret = v[i].id;
	hutch_proc_info_free(v, n);
	if (found == 1)
		return 0;
	log_error(found ? "tag '%s' names more than one process: use its id (hutch ps)"
			: "no process with id or tag '%s'", arg);
	return HUTCH_EXIT_NO_SUCH_ID;
}

static const char *signame(int sig)
{
	const char *s = sigabbrev_np(sig);
	return s ? s : "?";
}

/* ---- hutch ps ---- */

static void status_text(const struct hutch_proc_info *p, char *buf, size_t size)
{
	if (p->running)
		snprintf(buf, size, "running");
	else if (p->exit.timed_out)
		snprintf(buf, size, "timed out");
	else if (p->exit.reserve_killed)
		snprintf(buf, size, "disk reserve");
	else if (p->exit.exited)
		snprintf(buf, size, "exited %d", p->exit.code);
	else
		snprintf(buf, size, "killed SIG%s", signame(p->exit.signal));
}

static void time_text(uint64_t ns, char *buf, size_t size, bool utc)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;
	if (utc)
		gmtime_r(&t, &tm);
	else
		localtime_r(&t, &tm);
	strftime(buf, size, utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm);
}

static void ps_table(const struct hutch_proc_info *v, size_t n)
{
	printf("%-6s %-8s %-16s %-4s %-19s %10s %10s  %s\n", "ID", "PID", "STATUS", "BG",
	       "STARTED", "STDOUT", "STDERR", "TAG");
	for (size_t i = 0; i < n; i++) {
		char st[64], tm[64];
		status_text(&v[i], st, sizeof(st));
		time_text(v[i].start_ns, tm, sizeof(tm), false);
		printf("%-6u %-8u %-16s %-4s %-19s %10llu %10llu  %s\n", v[i].id, v[i].pid, st,
		       v[i].detached ? "yes" : "no", tm, (unsigned long long)v[i].cursor_out,
		       (unsigned long long)v[i].cursor_err, v[i].tag ? v[i].tag : "");
	}
}

static void ps_json(const struct hutch_proc_info *v, size_t n)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		char tm[64];
		time_text(v[i].start_ns, tm, sizeof(tm), true);
		json_object_object_add(o, "id", json_object_new_int64(v[i].id));
		json_object_object_add(o, "pid", json_object_new_int64(v[i].pid));
		json_object_object_add(o, "running", json_object_new_boolean(v[i].running));
		json_object_object_add(o, "detached", json_object_new_boolean(v[i].detached));
		json_object_object_add(o, "tag", v[i].tag ? json_object_new_string(v[i].tag) : NULL);
		json_object_object_add(o, "started", json_object_new_string(tm));
		json_object_object_add(o, "start_ns", json_object_new_int64((int64_t)v[i].start_ns));
		json_object_object_add(o, "stdout_bytes", json_object_new_int64((int64_t)v[i].cursor_out));
		json_object_object_add(o, "stderr_bytes", json_object_new_int64((int64_t)v[i].cursor_err));
		if (!v[i].running) {
			const struct hutch_exit *e = &v[i].exit;
			json_object_object_add(o, "exit_code",
					       e->exited ? json_object_new_int(e->code) : NULL);
			json_object_object_add(o, "signal",
					       e->exited ? NULL : json_object_new_int(e->signal));
			json_object_object_add(o, "timed_out", json_object_new_boolean(e->timed_out));
			json_object_object_add(o, "reserve_killed",
					       json_object_new_boolean(e->reserve_killed));
			json_object_object_add(o, "status", json_object_new_int(sandbox_exit_code(e)));
			json_object_object_add(o, "wall_ns", json_object_new_int64((int64_t)e->wall_ns));
		}
		json_object_array_add(arr, o);
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
}

static void ps_usage(FILE *f)
{
	fprintf(f, "usage: hutch ps [--json] SANDBOX\n"
		   "       hutch ps --socket PATH [--token-file F] [--json]\n\n"
		   "Lists the processes the sandbox's agent knows: running ones, and background\n"
		   "ones that have exited (the last 64), with exit status, tag, start time and the\n"
		   "bytes each wrote to stdout and stderr (the cursors hutch attach counts in).\n\n"
		   "  --json    one JSON array; exit_code or signal, and status (the shell-style\n"
		   "            code: 128+N for signal N, 124 on timeout) for exited ones\n\n"
		   "Exit status: 0; 1 no such sandbox, 2 bad options, 3 not running, 125 other errors.\n");
}

int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		CLI_TARGET_OPTIONS, { 0 },
	};
	struct ps_common c = { 0 };
	bool json = false;
	int o;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'j')
			json = true;
		else if (o == 'h')
			return ps_usage(stdout), 0;
		else if (!cli_target_opt(&c.t, o, optarg))
			return ps_usage(stderr), HUTCH_EXIT_USAGE;
	}
	if (take_target(&c, argc, argv) < 0 || c.n_pos)
		return ps_usage(stderr), HUTCH_EXIT_USAGE;
	struct hutch_agent *a = NULL;
	int r = cli_target_connect(&c.t, &a);
	if (r == 0) {
		struct hutch_err err = { 0 };
		struct hutch_proc_info *v = NULL;
		size_t n = 0;
		r = hutch_agent_list(a, &v, &n, &err);
		if (r < 0) {
			r = cli_agent_error(r, &err);
		} else {
			json ? ps_json(v, n) : ps_table(v, n);
			hutch_proc_info_free(v, n);
			r = 0;
		}
	}
	hutch_agent_close(a);
	cli_target_release(&c.t);
	return r;
}

/* ---- hutch attach ---- */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

struct attach_out {
	bool quiet;
};

static void on_output(void *userdata, int stream, const void *data, size_t len, uint64_t dropped)
{
	struct attach_out *o = userdata;
	if (o->quiet)
		return;
	if (dropped)
		fprintf(stderr, "\n[hutch: %llu bytes of %s were dropped here: the buffer was full]\n",
			(unsigned long long)dropped, stream == 2 ? "stderr" : "stdout");
	(void)write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, data, len);
}

/* --stdin: our stdin to the process's, on a second connection, closed at our EOF. */
struct feeder {
	struct hutch_agent *conn;
	uint32_t id;
	pthread_t th;
	bool started;
	int result; /* 0 or -errno */
};

static void *feed(void *p)
{
	struct feeder *f = p;
	char buf[65536];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		int r;
		/* An err, not NULL: err_prefix(NULL, ...) would turn EAGAIN into EIO. */
		struct hutch_err err = { 0 };
		/* The agent queues at most 256 KiB: wait for the process to read some. */
		while ((r = hutch_agent_stdin_write(f->conn, f->id, buf, (size_t)n, &err)) == -EAGAIN)
			usleep(10000);
		if (r < 0) {
			f->result = r;
			return NULL;
		}
	}
	struct hutch_err err = { 0 };
	f->result = hutch_agent_stdin_close(f->conn, f->id, &err);
	return NULL;
}

static void attach_usage(FILE *f)
{
	fprintf(f,
		"usage: hutch attach [options] SANDBOX PROC\n"
		"       hutch attach --socket PATH [--token-file F] [options] PROC\n\n"
		"Streams the output of a process (a process id from 'hutch exec -d', or a unique\n"
		"tag) to our stdout and stderr, starting with what it printed while nobody watched\n"
		"(the agent keeps the last 256 KiB of each stream; if older bytes were lost, a\n"
		"marker on stderr says how many), and follows it until it ends. Interrupting attach\n"
		"leaves the process running.\n\n"
		"  --from OUT[,ERR]   start at these byte offsets of stdout and stderr (default 0,0)\n"
		"  --since-start      the same as --from 0,0 (all that is still buffered)\n"
		"  --new              only what it prints from now on\n"
		"  --no-follow        print what is buffered and return; if it still runs, say on\n"
		"                     stderr where to resume (--from OUT,ERR)\n"
		"  --no-output        print nothing: just wait for the process to end (hutch's\n"
		"                     'wait' for a process)\n"
		"  --stdin            copy our stdin to its stdin and close it at our EOF (it needs\n"
		"                     a stdin pipe: start it with 'hutch exec -d -i')\n\n"
		"Exit status: the process's (128+N for signal N, 124 if it timed out) once it has\n"
		"ended; 0 with --no-follow while it still runs; 1 no such sandbox, 2 bad options,\n"
		"3 not running, 4 no such process, 9 the agent went away meanwhile, 125 other\n"
		"errors.\n");
}

struct attach_args {
	struct ps_common c;
	uint64_t cursor[2];
	bool from_now, follow, quiet, stdin_;
};

static int parse_cursor(const char *s, uint64_t cursor[2])
{
	char *end;
	if (*s == '-')
		return -1;
	errno = 0;
	cursor[0] = strtoull(s, &end, 10);
	cursor[1] = 0;
	if (end == s || errno || (*end && *end != ','))
		return -1;
	if (*end == ',') {
		const char *e = end + 1;
		cursor[1] = strtoull(e, &end, 10);
		if (end == e || *end || errno || *e == '-')
			return -1;
	}
	return 0;
}

static int attach_parse(int argc, char **argv, struct attach_args *a)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },  { "since-start", no_argument, NULL, 's' },
		{ "new", no_argument, NULL, 'n' },         { "no-follow", no_argument, NULL, 'F' },
		{ "no-output", no_argument, NULL, 'q' },   { "stdin", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },        CLI_TARGET_OPTIONS, { 0 },
	};
	a->follow = true;
	int o;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			if (parse_cursor(optarg, a->cursor) < 0) {
				log_error("--from: invalid cursor '%s' (want OUT or OUT,ERR)", optarg);
				return -1;
			}
			break;
		case 's': a->cursor[0] = a->cursor[1] = 0; break;
		case 'n': a->from_now = true; break;
		case 'F': a->follow = false; break;
		case 'q': a->quiet = true; break;
		case 'i': a->stdin_ = true; break;
		case 'h': return 1;
		default:
			if (!cli_target_opt(&a->c.t, o, optarg))
				return -1;
		}
	}
	if (take_target(&a->c, argc, argv) < 0)
		return -1;
	if (a->c.n_pos != 1) {
		log_error("attach: want exactly one process id or tag");
		return -1;
	}
	return 0;
}

/* --new: the cursors are where the streams are now. */
static int cursors_now(struct hutch_agent *a, uint32_t id, uint64_t cursor[2])
{
	struct hutch_err err = { 0 };
	struct hutch_proc_info *v = NULL;
	size_t n = 0;
	int r = hutch_agent_list(a, &v, &n, &err);
	if (r < 0)
		return cli_agent_error(r, &err);
	r = HUTCH_EXIT_NO_SUCH_ID;
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id) {
			cursor[0] = v[i].cursor_out;
			cursor[1] = v[i].cursor_err;
			r = 0;
		}
	hutch_proc_info_free(v, n);
	if (r)
		log_error("no process %u", id);
	return r;
}

static int attach_run(struct attach_args *a, struct hutch_agent *agent, uint32_t id)
{
	int r;
	if (a->from_now && (r = cursors_now(agent, id, a->cursor)) != 0)
		return r;
	struct feeder f = { .id = id };
	if (a->stdin_ && (r = cli_target_connect(&a->c.t, &f.conn)) != 0)
		return r;
	if (f.conn)
		f.started = pthread_create(&f.th, NULL, feed, &f) == 0;
	struct attach_out out = { .quiet = a->quiet };
	struct hutch_err err = { 0 };
	struct hutch_exit ex = { 0 };
	r = hutch_agent_attach(agent, id, a->cursor, a->follow, on_output, &out, &ex, &err);
	if (f.started) {
		pthread_cancel(f.th); /* blocked reading our stdin: the process is done with it */
		pthread_join(f.th, NULL);
	}
	hutch_agent_close(f.conn);
	if (r < 0)
		return cli_agent_error(r, &err);
	if (f.result < 0 && f.result != -ESRCH)
		log_warn("stdin of process %u: %s", id, strerror(-f.result));
	if (r == 0) {
		fprintf(stderr, "hutch: process %u is still running; resume with --from %llu,%llu\n",
			id, (unsigned long long)a->cursor[0], (unsigned long long)a->cursor[1]);
		return 0;
	}
	return sandbox_exit_code(&ex);
}

int cmd_attach(int argc, char **argv)
{
	struct attach_args a = { 0 };
	int r = attach_parse(argc, argv, &a);
	if (r != 0)
		return attach_usage(r > 0 ? stdout : stderr), r > 0 ? 0 : HUTCH_EXIT_USAGE;
	struct hutch_agent *agent = NULL;
	uint32_t id = 0;
	if ((r = cli_target_connect(&a.c.t, &agent)) == 0 &&
	    (r = resolve_proc(agent, a.c.pos[0], &id)) == 0)
		r = attach_run(&a, agent, id);
	hutch_agent_close(agent);
	cli_target_release(&a.c.t);
	return r;
}

/* ---- hutch kill ---- */

static int parse_signal(const char *s)
{
	uint32_t n;
	if (parse_u32(s, &n) == 0)
		return n >= 1 && n < (uint32_t)NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *name = sigabbrev_np(sig);
		if (name && strcasecmp(name, s) == 0)
			return sig;
	}
	return -1;
}

static void kill_usage(FILE *f)
{
	fprintf(f, "usage: hutch kill [--scope process|group|tree] SANDBOX PROC [SIGNAL]\n"
		   "       hutch kill --socket PATH [--token-file F] [...] PROC [SIGNAL]\n\n"
		   "Sends SIGNAL (a name such as TERM, SIGKILL, or a number; default TERM) to a\n"
		   "process (its id, or a unique tag) and, by default, to all its descendants.\n\n"
		   "  --scope process    only the process itself\n"
		   "  --scope group      its process group\n"
		   "  --scope tree       the group and every descendant, also those that left it\n"
		   "                     (default)\n\n"
		   "Exit status: 0; 1 no such sandbox, 2 bad options, 3 not running, 4 no such\n"
		   "process, 125 other errors.\n");
}

int cmd_kill(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scope", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
		CLI_TARGET_OPTIONS, { 0 },
	};
	struct ps_common c = { 0 };
	enum hutch_signal_scope scope = HUTCH_SIGNAL_TREE;
	int o, sig = SIGTERM;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'h')
			return kill_usage(stdout), 0;
		if (o == 's' && strcmp(optarg, "process") == 0)
			scope = HUTCH_SIGNAL_PROCESS;
		else if (o == 's' && strcmp(optarg, "group") == 0)
			scope = HUTCH_SIGNAL_GROUP;
		else if (o == 's' && strcmp(optarg, "tree") == 0)
			scope = HUTCH_SIGNAL_TREE;
		else if (o == 's' || !cli_target_opt(&c.t, o, optarg))
			return kill_usage(stderr), HUTCH_EXIT_USAGE;
	}
	if (take_target(&c, argc, argv) < 0 || c.n_pos < 1 || c.n_pos > 2)
		return kill_usage(stderr), HUTCH_EXIT_USAGE;
	if (c.n_pos == 2 && (sig = parse_signal(c.pos[1])) < 0) {
		log_error("kill: unknown signal '%s'", c.pos[1]);
		return HUTCH_EXIT_USAGE;
	}
	struct hutch_agent *a = NULL;
	uint32_t id = 0;
	int r = cli_target_connect(&c.t, &a);
	if (r == 0 && (r = resolve_proc(a, c.pos[0], &id)) == 0) {
		struct hutch_err err = { 0 };
		int k = hutch_agent_signal(a, id, sig, scope, &err);
		r = k < 0 ? cli_agent_error(k, &err) : 0;
	}
	hutch_agent_close(a);
	cli_target_release(&c.t);
	return r;
}
