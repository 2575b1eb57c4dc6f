/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch run: a new sandbox, one command in it with this terminal's own stdin/stdout/stderr
 * passed through (no byte is relayed, except with -t where we drive a pty), its exit code
 * returned, and the sandbox removed afterwards — also when we are interrupted.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>

#include "hutch.h"
#include "sandbox/run.h"
#include "sandbox/sandbox.h"
#include "strv.h"

extern char **environ;

struct run_args {
	struct sandbox_opts sb;
	bool tty;
	bool interactive;
	uint32_t timeout_ms;
	char **argv;
};

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: hutch run [options] [--] CMD [ARG...]\n\n"
		"Runs CMD in a new sandbox and removes the sandbox when it ends. The exit code is\n"
		"CMD's (128+N if killed by signal N, 124 on --timeout); hutch's own errors exit 125.\n\n"
		"  --rootfs DIR           use DIR as the root instead of the host's /\n"
		"  --workspace DIR        mount DIR at /work (default: current directory; '' none)\n"
		"  --mount SRC:DST[:ro|rw]  bind a host path (repeatable)\n"
		"  --tmpfs DST[:OPTS]     a tmpfs (default size=64m) (repeatable)\n"
		"  --read-only            mount the workspace read-only too\n"
		"  -e, --env K=V          set a variable (repeatable)\n"
		"  --env-allow GLOB       pass host variables matching GLOB (repeatable)\n"
		"  --env-block GLOB       never pass variables matching GLOB; wins (repeatable)\n"
		"  -u, --user UID[:GID]   run as this user inside (default 0, unprivileged)\n"
		"  --hostname NAME        (default hutch)\n"
		"  -w, --cwd DIR          working directory inside (default /work)\n"
		"  -m, --memory SIZE      memory limit, e.g. 512m (default 1g; -1 none)\n"
		"  --cpus N               CPU limit, e.g. 0.5 (default 1; -1 none)\n"
		"  --pids N               process limit (default 512; -1 none)\n"
		"  --timeout SECS         kill the command and its children after SECS\n"
		"  --network none|host    (default none: loopback only)\n"
		"  --cap-add CAP          keep a capability (repeatable)\n"
		"  --seccomp FILE|unconfined  seccomp profile (default: hutch's)\n"
		"  -t, --tty              run with a terminal\n"
		"  -i, --interactive      accepted (stdin is always passed)\n");
}

static int parse_user(const char *s, struct sandbox_opts *o)
{
	char *end;
	unsigned long uid = strtoul(s, &end, 10);
	if (end == s || (*end && *end != ':') || uid > 0xfffffffeUL)
		return -1;
	o->uid = o->gid = (uint32_t)uid;
	if (*end == ':') {
		const char *gs = end + 1;
		unsigned long gid = strtoul(gs, &end, 10);
		if (end == gs || *end || gid > 0xfffffffeUL)
			return -1;
		o->gid = (uint32_t)gid;
	}
	o->has_user = true;
	return 0;
}

static int parse_limit(const char *flag, const char *val, bool size, int64_t *ret)
{
	if (strcmp(val, "-1") == 0) {
		*ret = -1;
		return 0;
	}
	char *end;
	long long v = strtoll(val, &end, 10);
	if (size ? sandbox_parse_size(val, ret) < 0 : (end == val || *end || v <= 0)) {
		log_error("%s: invalid value '%s'", flag, val);
		return -1;
	}
	if (!size)
		*ret = v;
	if (*ret <= 0) {
		log_error("%s: must be positive (or -1 for none), got '%s'", flag, val);
		return -1;
	}
	return 0;
}

static int parse_number_opts(int c, const char *arg, struct run_args *a)
{
	char *end;
	double d;
	switch (c) {
	case 'm':
		return parse_limit("--memory", arg, true, &a->sb.memory);
	case 'P':
		return parse_limit("--pids", arg, false, &a->sb.pids);
	case 'c':
		d = strtod(arg, &end);
		if (end == arg || *end || (d <= 0 && d != -1) || d > 4096) {
			log_error("--cpus: invalid value '%s'", arg);
			return -1;
		}
		a->sb.cpus = d;
		return 0;
	case 'T':
		d = strtod(arg, &end);
		if (end == arg || *end || d <= 0 || d > 4e6) {
			log_error("--timeout: invalid number of seconds '%s'", arg);
			return -1;
		}
		a->timeout_ms = (uint32_t)(d * 1000);
		return 0;
	}
	return -1;
}

static int push(char ***v, const char *s)
{
	if (strv_push(v, s) < 0) {
		log_error("out of memory");
		return -1;
	}
	return 0;
}

static int parse(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		{ "rootfs", required_argument, NULL, 'R' },  { "workspace", required_argument, NULL, 'W' },
		{ "mount", required_argument, NULL, 'M' },   { "tmpfs", required_argument, NULL, 'F' },
		{ "read-only", no_argument, NULL, 'o' },     { "env", required_argument, NULL, 'e' },
		{ "env-allow", required_argument, NULL, 'A' }, { "env-block", required_argument, NULL, 'B' },
		{ "user", required_argument, NULL, 'u' },    { "hostname", required_argument, NULL, 'H' },
		{ "cwd", required_argument, NULL, 'w' },     { "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },    { "pids", required_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 'T' }, { "network", required_argument, NULL, 'N' },
		{ "cap-add", required_argument, NULL, 'C' }, { "seccomp", required_argument, NULL, 'S' },
		{ "tty", no_argument, NULL, 't' },           { "interactive", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },          { 0 },
	};
	int c, r = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "+e:u:w:m:tih", opts, NULL)) != -1) {
		switch (c) {
		case 'R': a->sb.rootfs = optarg; break;
		case 'W': a->sb.workspace = optarg; break;
		case 'M': r = push(&a->sb.mounts, optarg); break;
		case 'F': r = push(&a->sb.tmpfs, optarg); break;
		case 'o': a->sb.read_only = true; break;
		case 'e': r = push(&a->sb.env, optarg); break;
		case 'A': r = push(&a->sb.env_allow, optarg); break;
		case 'B': r = push(&a->sb.env_block, optarg); break;
		case 'H': a->sb.hostname = optarg; break;
		case 'w': a->sb.cwd = optarg; break;
		case 'C': r = push(&a->sb.cap_add, optarg); break;
		case 'S': a->sb.seccomp = optarg; break;
		case 't': a->tty = true; break;
		case 'i': a->interactive = true; break;
		case 'u':
			if (parse_user(optarg, &a->sb) < 0) {
				log_error("--user: expected UID[:GID], got '%s'", optarg);
				r = -1;
			}
			break;
		case 'N':
			if (strcmp(optarg, "none") && strcmp(optarg, "host")) {
				log_error("--network: expected none or host, got '%s'", optarg);
				r = -1;
			}
			a->sb.network_host = strcmp(optarg, "host") == 0;
			break;
		case 'm': case 'P': case 'c': case 'T':
			r = parse_number_opts(c, optarg, a);
			break;
		case 'h':
			run_usage(stdout);
			exit(0);
		default:
			run_usage(stderr);
			return -1;
		}
	}
	if (r < 0)
		return -1;
	if (optind >= argc) {
		log_error("run: a command is required (hutch run [options] -- CMD...)");
		return -1;
	}
	a->argv = argv + optind;
	return 0;
}

/* Forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT to the sandboxed process tree, over its own
 * connection (a connection is not shared between threads). */
struct forwarder {
	int sfd;
	struct hutch_agent *conn;
	uint32_t id;
};

static void *forward_signals(void *p)
{
	struct forwarder *f = p;
	struct signalfd_siginfo si;
	while (read(f->sfd, &si, sizeof(si)) == sizeof(si))
		hutch_agent_signal(f->conn, f->id, (int)si.ssi_signo, HUTCH_SIGNAL_TREE, NULL);
	return NULL;
}

static void winsize_of_stdin(unsigned *rows, unsigned *cols)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
	*rows = ws.ws_row ? ws.ws_row : 24;
	*cols = ws.ws_col ? ws.ws_col : 80;
}

/* With -t: our terminal raw, bytes pumped both ways until the pty hangs up. */
static void relay_pty(int master)
{
	struct termios saved, raw;
	bool restore = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (restore) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	bool in_open = true;
	char buf[16384];
	for (;;) {
		struct pollfd p[2] = { { .fd = master, .events = POLLIN },
				       { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n <= 0)
				break;
			(void)!write(STDOUT_FILENO, buf, (size_t)n);
		}
		if (p[1].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0)
				in_open = false;
			else
				(void)!write(master, buf, (size_t)n);
		}
	}
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

static int run_command(struct run_args *a, struct hutch_agent *agent, const char *id,
		       char **env, struct hutch_err *err)
{
	const char *cwd = a->sb.cwd ? a->sb.cwd : (a->sb.workspace && !*a->sb.workspace ? "/" : "/work");
	struct hutch_spawn_opts so = {
		.argv = (const char *const *)a->argv,
		.env = (const char *const *)env,
		.env_clear = 1,
		.cwd = cwd,
		.timeout_ms = a->timeout_ms,
		.stdio = { HUTCH_STDIO_FD, HUTCH_STDIO_FD, HUTCH_STDIO_FD },
		.stdio_fd = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO },
	};
	if (a->tty) {
		so.stdio[0] = so.stdio[1] = so.stdio[2] = HUTCH_STDIO_PTY;
		so.pty_return = 1;
		winsize_of_stdin(&so.pty_rows, &so.pty_cols);
	}
	uint32_t pid;
	int master = -1;
	int r = hutch_agent_spawn(agent, &so, &pid, &master, err);
	if (r < 0)
		return r == -ENOENT ? -ENOENT : r;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	struct forwarder f = { .sfd = signalfd(-1, &set, SFD_CLOEXEC), .id = pid };
	char path[128];
	snprintf(path, sizeof(path), "%s/agents/%s.sock", g.root, id);
	pthread_t th;
	bool thread = f.sfd >= 0 && hutch_agent_connect(path, NULL, &f.conn, NULL) >= 0 &&
		      pthread_create(&th, NULL, forward_signals, &f) == 0;
	if (master >= 0) {
		relay_pty(master);
		close(master);
	}
	struct hutch_exit ex;
	r = hutch_agent_wait(agent, pid, &ex, err);
	if (thread) {
		pthread_cancel(th);
		pthread_join(th, NULL);
	}
	hutch_agent_close(f.conn);
	safe_close(f.sfd);
	return r < 0 ? r : sandbox_exit_code(&ex);
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	int code = parse(argc, argv, &a) < 0 ? HUTCH_EXIT_USAGE : 0;
	_cleanup_strv_ char **m = a.sb.mounts, **t = a.sb.tmpfs, **e = a.sb.env,
			    **al = a.sb.env_allow, **bl = a.sb.env_block, **caps = a.sb.cap_add;
	if (code)
		return code;
	a.sb.agent = hutch_agent_binary();
	if (!a.sb.agent) {
		log_error("cannot find hutch-agent (set HUTCH_AGENT to its path)");
		return HUTCH_EXIT_SANDBOX;
	}
	struct hutch_err err = { 0 };
	_cleanup_strv_ char **env = NULL;
	_cleanup_spec_ struct spec *spec = NULL;
	if (sandbox_filter_env(&a.sb, environ, &env, &err) < 0 ||
	    sandbox_build_spec(&a.sb, &spec, &err) < 0) {
		log_error("%s", err.msg);
		return HUTCH_EXIT_USAGE;
	}
	/* Signals wait in the queue (for the forwarder) instead of killing us mid-setup. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	char id[SANDBOX_ID_MAX];
	sandbox_new_id(id);
	struct hutch_agent *agent = NULL;
	bool no_limits = false;
	if (sandbox_start(g.root, id, spec, true, &agent, &no_limits, &err) < 0) {
		log_error("%s", err.msg);
		return HUTCH_EXIT_SANDBOX;
	}
	if (no_limits)
		log_warn("cgroups are not delegated to this user: memory, pids and CPU limits are not enforced");
	int r = run_command(&a, agent, id, env, &err);
	hutch_agent_close(agent);
	sandbox_cleanup(g.root, id);
	if (r == -ENOENT) {
		log_error("%s: command not found in the sandbox", a.argv[0]);
		return HUTCH_EXIT_NOT_FOUND;
	}
	if (r < 0) {
		log_error("%s", err.msg);
		return HUTCH_EXIT_SANDBOX;
	}
	return r;
}
