/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch exec: a command in a running sandbox (or under a standalone agent, --socket) with
 * this CLI's own stdin/stdout/stderr handed to it by fd passing — no byte goes through us,
 * except with -t where we drive the pty. Also the connection helpers every interaction
 * command shares (cli_target_*).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "client/client.h"
#include "hutch.h"
#include "pty-relay.h"
#include "path.h"
#include "sandbox/meta.h"
#include "sandbox/run.h"
#include "sandbox/sandbox.h"
#include "sandbox/store.h"
#include "strv.h"
#include "watch.h"

extern char **environ;

/* ---- shared by the interaction commands ---- */

int cli_target_opt(struct cli_target *t, int c, const char *arg)
{
	if (c == 0x1001)
		t->socket = arg;
	else if (c == 0x1002)
		t->token_file = arg;
	else
		return 0;
	return 1;
}

/* The token is a secret: read it from a file (never argv, which every user can see). */
static int read_token(struct cli_target *t)
{
	char buf[4097];
	_cleanup_close_ int fd = open(t->token_file, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (n < 0 || n >= (ssize_t)sizeof(buf)) {
		log_error("token file '%s': %s", t->token_file, n < 0 ? strerror(errno) : "too long");
		return HUTCH_EXIT_USAGE;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	t->token = strdup(buf);
	return t->token ? 0 : HUTCH_EXIT_SANDBOX;
}

static int resolve_target(struct cli_target *t)
{
	struct hutch_err err = { 0 };
	if (t->socket) {
		t->path = strdup(t->socket);
	} else if (!t->sandbox) {
		log_error("no sandbox given (an id, a unique id prefix or a name)");
		return HUTCH_EXIT_USAGE;
	} else {
		int r = sandbox_resolve(g.root, t->sandbox, t->id, &err);
		if (r < 0) {
			log_error("%s", err.msg);
			/* An ambiguous prefix is a usage error, as for the lifecycle commands. */
			return r == -EEXIST ? HUTCH_EXIT_USAGE : HUTCH_EXIT_NO_SANDBOX;
		}
		t->path = sandbox_agent_socket(g.root, t->id);
	}
	if (!t->path)
		return HUTCH_EXIT_SANDBOX;
	return t->token_file ? read_token(t) : 0;
}

void cli_forwarded_signals(sigset_t *set, bool with_winch)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(set, sigs[i]);
	if (with_winch)
		sigaddset(set, SIGWINCH);
}

int cli_target_connect(struct cli_target *t, struct hutch_agent **ret)
{
	return cli_target_connect_pipelined(t, false, ret);
}

int cli_target_connect_pipelined(struct cli_target *t, bool pipelined, struct hutch_agent **ret)
{
	int r;
	if (!t->path && (r = resolve_target(t)) != 0)
		return r;
	struct hutch_err err = { 0 };
	r = client_connect_path(t->path, t->token, pipelined, ret, &err);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		if (t->socket)
			log_error("no agent is listening on '%s'", t->socket);
		else
			log_error("sandbox '%s' is not running", t->sandbox);
		return HUTCH_EXIT_NOT_RUNNING;
	}
	if (r < 0) {
		log_error("%s: %s", t->socket ? t->socket : t->sandbox, err.msg);
		return HUTCH_EXIT_SANDBOX;
	}
	return 0;
}

void cli_target_release(struct cli_target *t)
{
	free(t->path);
	if (t->token)
		explicit_bzero(t->token, strlen(t->token));
	free(t->token);
	t->path = t->token = NULL;
}

int cli_agent_error(int r, const struct hutch_err *err)
{
	if (r == -ECONNRESET || r == -EPIPE || r == -ENOTCONN) {
		log_error("lost the connection to the agent (%s): it was killed, or the sandbox "
			  "stopped", err->msg[0] ? err->msg : strerror(-r));
		return HUTCH_EXIT_AGENT_LOST;
	}
	log_error("%s", err->msg[0] ? err->msg : strerror(-r));
	switch (-r) {
	case ESRCH:
		return HUTCH_EXIT_NO_SUCH_ID;
	case EBUSY:
		return HUTCH_EXIT_BUSY;
	case ENOSPC:
		return HUTCH_EXIT_DISK_RESERVE;
	default:
		return HUTCH_EXIT_SANDBOX;
	}
}

void cli_report_reserve_kill(const struct hutch_exit *ex)
{
	if (ex->reserve_killed)
		log_error("killed: a file system the sandbox writes to (the workspace or a mount) "
			  "fell below its free-space reserve; free space on the host, or see "
			  "--disk-reserve");
}

int cli_parse_timeout(const char *flag, const char *arg, uint32_t *ret_ms)
{
	char *end;
	double d = strtod(arg, &end);
	if (end == arg || *end || !(d > 0) || d > 4e6) {
		log_error("%s: invalid number of seconds '%s'", flag, arg);
		return -1;
	}
	*ret_ms = (uint32_t)(d * 1000) ? (uint32_t)(d * 1000) : 1;
	return 0;
}

/* ---- signals and the timeout, while we wait ---- */

/* ---- hutch exec ---- */

struct exec_args {
	struct cli_target t;
	bool interactive, tty, detach;
	char **env; /* -e */
	const char *cwd, *tag;
	bool has_user;
	uint32_t uid, gid;
	uint32_t timeout_ms;
	char **argv;
};

static void exec_usage(FILE *f)
{
	fprintf(f,
		"usage: hutch exec [options] SANDBOX [--] CMD [ARG...]\n"
		"       hutch exec --socket PATH [--token-file F] [options] [--] CMD [ARG...]\n\n"
		"Runs CMD in a running sandbox (an id, a unique id prefix or a name) or under a\n"
		"standalone hutch-agent (--socket). CMD gets this command's own stdout and stderr (and\n"
		"stdin with -i) as they are: no byte is copied on the way. SIGINT, SIGTERM, SIGHUP and\n"
		"SIGQUIT are forwarded to CMD and all its descendants. Killing hutch exec kills CMD.\n\n"
		"  -i, --interactive      pass our stdin (default: CMD reads /dev/null)\n"
		"  -t, --tty              run CMD on a pty sized like our terminal (resized with it)\n"
		"  -e, --env K=V          set a variable; '-e K' passes our K (repeatable). CMD gets\n"
		"                         the environment the sandbox's main command got: ours,\n"
		"                         filtered by its --env-allow/--env-block, and its --env\n"
		"  -w, --cwd DIR          working directory (default: the sandbox's --cwd, /work)\n"
		"  -u, --user UID[:GID]   run as this user (needs the capabilities to switch users,\n"
		"                         which sandboxes drop by default)\n"
		"  --timeout SECS         kill CMD and all its descendants after SECS (exit 124);\n"
		"                         with -d, the agent kills CMD's process group then\n"
		"  -d, --detach           start CMD in the background and print its process id; its\n"
		"                         output is kept (see hutch ps, attach, kill)\n"
		"  --tag TAG              a label for a background process (shown by hutch ps)\n"
		"  --socket PATH          talk to the hutch-agent listening on PATH\n"
		"  --token-file F         the agent's token (hutch-agent --token-stdin)\n\n"
		"Exit status: CMD's own; 128+N if killed by signal N; 124 on --timeout; and when\n"
		"hutch itself fails: 1 no such sandbox, 2 bad options, 3 sandbox not running,\n"
		"9 the agent went away while CMD ran (killed, or the sandbox stopped), 125 other\n"
		"errors, 126 CMD cannot be run, 127 CMD not found.\n");
}

static int parse_user(const char *s, struct exec_args *a)
{
	char *end;
	unsigned long uid = strtoul(s, &end, 10), gid;
	if (end == s || (*end && *end != ':') || uid > 0xfffffffeUL)
		return -1;
	gid = uid;
	if (*end == ':') {
		const char *gs = end + 1;
		gid = strtoul(gs, &end, 10);
		if (end == gs || *end || gid > 0xfffffffeUL)
			return -1;
	}
	a->has_user = true;
	a->uid = (uint32_t)uid;
	a->gid = (uint32_t)gid;
	return 0;
}

static int add_env(struct exec_args *a, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq == kv || !*kv) {
		log_error("--env: invalid '%s' (want K=V or K)", kv);
		return -1;
	}
	if (!eq) {
		/* Named explicitly: the user means to pass it, blocklist or not. */
		const char *v = getenv(kv);
		if (!v)
			return 0;
		_cleanup_free_ char *s = NULL;
		if (asprintf(&s, "%s=%s", kv, v) < 0)
			return -1;
		return strv_push(&a->env, s);
	}
	return strv_push(&a->env, kv);
}

static int exec_opt(struct exec_args *a, int c, const char *arg)
{
	switch (c) {
	case 'i': a->interactive = true; return 0;
	case 't': a->tty = true; return 0;
	case 'd': a->detach = true; return 0;
	case 'e': return add_env(a, arg);
	case 'w':
		if (arg[0] != '/') {
			log_error("--cwd '%s': must be an absolute path", arg);
			return -1;
		}
		a->cwd = arg;
		return 0;
	case 'g': a->tag = arg; return 0;
	case 'T': return cli_parse_timeout("--timeout", arg, &a->timeout_ms);
	case 'u':
		if (parse_user(arg, a) == 0)
			return 0;
		log_error("--user: invalid '%s' (want UID or UID:GID)", arg);
		return -1;
	}
	return cli_target_opt(&a->t, c, arg) ? 0 : -1;
}

/* Options may come before and after SANDBOX; CMD starts after "--" or at the first word
 * after SANDBOX. Returns 0, 1 for --help, -1 on error. */
static int exec_parse(int argc, char **argv, struct exec_args *a)
{
	static const struct option opts[] = {
		{ "interactive", no_argument, NULL, 'i' }, { "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' },      { "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, 'w' },   { "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },  { "timeout", required_argument, NULL, 'T' },
		{ "tag", required_argument, NULL, 'g' },   { "help", no_argument, NULL, 'h' },
		CLI_TARGET_OPTIONS, { 0 },
	};
	for (;;) {
		int c = getopt_long(argc, argv, "+itde:w:u:h", opts, NULL);
		if (c == 'h')
			return 1;
		if (c == '?' || (c != -1 && exec_opt(a, c, optarg) < 0))
			return -1;
		if (c != -1)
			continue;
		bool dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
		if (!a->t.socket && !a->t.sandbox && !dashdash && optind < argc) {
			a->t.sandbox = argv[optind++];
			continue; /* options may follow the sandbox */
		}
		break;
	}
	if (!a->t.socket && !a->t.sandbox) {
		log_error("exec: no sandbox given");
		return -1;
	}
	if (a->t.socket && a->t.sandbox) {
		log_error("exec: give a sandbox or --socket, not both");
		return -1;
	}
	if (optind >= argc) {
		log_error("exec: no command given");
		return -1;
	}
	a->argv = argv + optind;
	return 0;
}

/* The sandbox's own settings, from its record (hutch create); 0 if it has one. */
static int load_settings(const struct cli_target *t, struct sandbox_meta *m,
			 struct sandbox_opts *o)
{
	_cleanup_free_ char *dir = path_join(g.root, t->id);
	_cleanup_close_ int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd < 0 || sandbox_meta_load(dfd, m, NULL) < 0)
		return -ENOENT;
	if (sandbox_opts_from_json(m->opts, o, NULL) < 0) {
		sandbox_meta_release(m);
		return -EBADMSG;
	}
	return 0;
}

/*
 * In a sandbox, a command gets what its main process got: our environment filtered by the
 * sandbox's allow and block lists, its --env, then extra; its cwd defaults to the sandbox's
 * --cwd (else /work if there is a workspace, else /). Under a standalone agent: the
 * container's own environment changed only by what we pass, in the agent's cwd.
 */
int cli_command_env(struct cli_target *t, struct hutch_agent *a, char **extra,
		    char ***ret_env, char **ret_cwd)
{
	struct hutch_err err = { 0 };
	struct sandbox_meta m = { 0 };
	struct sandbox_opts o = { 0 };
	bool have = !t->socket && load_settings(t, &m, &o) == 0;
	_cleanup_strv_ char **all = have ? strv_copy(o.env) : NULL;
	_cleanup_strv_ char **env = NULL;
	int r = 0;
	for (size_t i = 0; r >= 0 && extra && extra[i]; i++)
		r = strv_push(&all, extra[i]);
	char **sandbox_env = o.env;
	o.env = all;
	if (r >= 0)
		r = sandbox_filter_env(&o, environ, &env, &err);
	o.env = sandbox_env;
	const char *cwd = NULL;
	struct hutch_stat st;
	struct hutch_err serr = { 0 };
	if (have)
		cwd = o.cwd ? o.cwd : o.workspace && !*o.workspace ? "/" : "/work";
	else if (!t->socket && hutch_agent_file_stat(a, "/work", 0, &st, &serr) == 0 &&
		 st.type == HUTCH_FT_DIR)
		cwd = "/work"; /* a sandbox of hutch run: no record, the default layout */
	*ret_cwd = cwd ? strdup(cwd) : NULL;
	if (have) {
		sandbox_opts_release(&o);
		sandbox_meta_release(&m);
	}
	if (r < 0) {
		log_error("%s", err.msg[0] ? err.msg : strerror(-r));
		return HUTCH_EXIT_USAGE;
	}
	if (!t->socket) {
		*ret_env = TAKE_PTR(env);
		return 0;
	}
	for (size_t i = 0; env[i]; i++)
		if (strncmp(env[i], "PATH=", 5) != 0 && strncmp(env[i], "HOME=", 5) != 0 &&
		    strv_push(ret_env, env[i]) < 0)
			return HUTCH_EXIT_SANDBOX;
	return 0;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void exec_stdio(const struct exec_args *a, struct hutch_spawn_opts *so)
{
	if (a->tty) {
		so->stdio[0] = so->stdio[1] = so->stdio[2] = HUTCH_STDIO_PTY;
		so->pty_return = !a->detach;
		pty_winsize(&so->pty_rows, &so->pty_cols);
		return;
	}
	if (a->detach) {
		/* Output goes to the agent's buffers, to be read with hutch attach. */
		so->stdio[0] = a->interactive ? HUTCH_STDIO_PIPE : HUTCH_STDIO_NULL;
		so->stdio[1] = so->stdio[2] = HUTCH_STDIO_PIPE;
		return;
	}
	for (int i = 0; i < 3; i++) {
		bool pass = (i > 0 || a->interactive) && fd_open(i);
		so->stdio[i] = pass ? HUTCH_STDIO_FD : HUTCH_STDIO_NULL;
		so->stdio_fd[i] = i;
	}
}

/* Pipelined: the signal forwarder must not wait for an agent that does not answer. */
static int connect_target(void *t, struct hutch_agent **ret)
{
	return cli_target_connect_pipelined(t, true, ret);
}

int cli_exec_failure(int r, const char *argv0, const struct hutch_err *err)
{
	/* Only a failing execve means "command": a bad --cwd is also ENOENT. */
	if (!strstr(err->msg, ": exec: "))
		return -1;
	if (r != -ENOENT) {
		log_error("%s", err->msg);
		return HUTCH_EXIT_CANNOT_EXEC;
	}
	log_error("%s: command not found in the sandbox", argv0);
	return HUTCH_EXIT_NOT_FOUND;
}

static int exec_failed(int r, const char *argv0, const struct hutch_err *err)
{
	int code = cli_exec_failure(r, argv0, err);
	return code >= 0 ? code : cli_agent_error(r, err);
}

static int exec_run(struct exec_args *a, struct hutch_agent *agent, char **env,
		    const char *cwd)
{
	struct hutch_err err = { 0 };
	struct hutch_spawn_opts so = {
		.argv = (const char *const *)a->argv, .env = (const char *const *)env,
		.env_clear = !a->t.socket, .cwd = cwd, .set_user = a->has_user,
		.uid = a->uid, .gid = a->gid, .tag = a->tag, .detached = a->detach,
		/* In the foreground the watcher kills the whole tree on time; the agent's own
		 * (group-only) timeout is the backstop should the watcher not run. */
		.timeout_ms = a->detach || !a->timeout_ms ? a->timeout_ms
			      : a->timeout_ms > UINT32_MAX - 2000 ? UINT32_MAX : a->timeout_ms + 2000,
	};
	exec_stdio(a, &so);
	uint32_t id;
	int master = -1;
	int r = hutch_agent_spawn(agent, &so, &id, &master, &err);
	if (r < 0)
		return exec_failed(r, a->argv[0], &err);
	if (a->detach) {
		printf("%u\n", id);
		return 0;
	}
	/* The tree gets our signals, and SIGKILL at the deadline: the agent's own timeout
	 * (TIMEOUT_MS) kills only the process group, not descendants that left it. */
	sigset_t set;
	cli_forwarded_signals(&set, false);
	struct watcher w;
	watcher_init(&w, &set, id, a->timeout_ms, connect_target, &a->t);
	if (master >= 0) {
		watcher_start_thread(&w);
		pty_relay(master, a->interactive, agent, id);
		close(master);
	}
	struct hutch_exit ex;
	r = watcher_wait_exit(&w, agent, &ex, &err);
	if (w.forced) { /* our connection closes as we exit: the agent kills the tree */
		log_error("%s", err.msg);
		return 128 + w.forced;
	}
	if (r < 0)
		return cli_agent_error(r, &err);
	if (w.timed_out || ex.timed_out) {
		log_error("timed out after %.3g s: killed the command and its descendants",
			  a->timeout_ms / 1000.0);
		return HUTCH_EXIT_TIMEOUT;
	}
	cli_report_reserve_kill(&ex);
	return sandbox_exit_code(&ex);
}

int cmd_exec(int argc, char **argv)
{
	struct exec_args a = { 0 };
	_cleanup_strv_ char **env_opts = NULL;
	int r = exec_parse(argc, argv, &a);
	env_opts = a.env;
	if (r != 0) {
		exec_usage(r > 0 ? stdout : stderr);
		cli_target_release(&a.t);
		return r > 0 ? 0 : HUTCH_EXIT_USAGE;
	}
	/* Blocked from the start: they wait for the watcher (or the pty relay for SIGWINCH)
	 * instead of killing us half-way, which would leave CMD without its caller. */
	sigset_t set;
	cli_forwarded_signals(&set, true);
	if (!a.detach)
		sigprocmask(SIG_BLOCK, &set, NULL);
	_cleanup_strv_ char **env = NULL;
	_cleanup_free_ char *cwd = NULL;
	struct hutch_agent *agent = NULL;
	if ((r = cli_target_connect_pipelined(&a.t, true, &agent)) == 0 &&
	    (r = cli_command_env(&a.t, agent, a.env, &env, &cwd)) == 0)
		r = exec_run(&a, agent, env, a.cwd ? a.cwd : cwd);
	hutch_agent_close(agent);
	cli_target_release(&a.t);
	return r;
}
