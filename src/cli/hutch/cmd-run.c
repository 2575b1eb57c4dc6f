/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch run: a new sandbox, one command in it with this terminal's own stdin/stdout/stderr
 * passed through (no byte is relayed, except with -t where we drive a pty), its exit code
 * returned, and the sandbox removed afterwards — also when we are interrupted.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "hutch.h"
#include "pty-relay.h"
#include "sandbox/mountpoints.h"
#include "sandbox/persist.h"
#include "sandbox/run.h"
#include "sandbox/sandbox.h"
#include "strv.h"
#include "watch.h"

extern char **environ;

/* The second connection SIGINT/SIGTERM/SIGHUP/SIGQUIT are forwarded over (watch.h);
 * pipelined: the forwarder must not wait for an agent that does not answer. */
static int connect_path(void *path, struct hutch_agent **ret)
{
	return client_connect_path(path, NULL, true, ret, NULL);
}

/* A second ^C (or SIGTERM...) while the first did not end the command: end the sandbox. */
static void kill_sandbox(void *init)
{
	kill(*(pid_t *)init, SIGKILL);
}

/* The command to run, sent before the sandbox exists (see sandbox_start): the agent reads it
 * first thing and starts it at once. */
struct pending_spawn {
	struct hutch_spawn_opts so;
	uint32_t req;
};

static int send_spawn(struct hutch_agent *agent, void *userdata, struct hutch_err *err)
{
	struct pending_spawn *p = userdata;
	return client_spawn_send(agent, &p->so, &p->req, err);
}

static void spawn_opts(const struct cli_sandbox_args *a, char **env, struct hutch_spawn_opts *so)
{
	const char *cwd = a->sb.cwd ? a->sb.cwd : (a->sb.workspace && !*a->sb.workspace ? "/" : "/work");
	*so = (struct hutch_spawn_opts){
		.argv = (const char *const *)a->argv,
		.env = (const char *const *)env,
		.env_clear = 1,
		.cwd = cwd,
		.timeout_ms = a->timeout_ms,
		.stdio = { HUTCH_STDIO_FD, HUTCH_STDIO_FD, HUTCH_STDIO_FD },
		.stdio_fd = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO },
	};
	if (a->tty) {
		so->stdio[0] = so->stdio[1] = so->stdio[2] = HUTCH_STDIO_PTY;
		so->pty_return = 1;
		pty_winsize(&so->pty_rows, &so->pty_cols);
	}
}

static int run_command(struct cli_sandbox_args *a, struct hutch_agent *agent, const char *id,
		       pid_t init, const struct pending_spawn *p, struct hutch_err *err)
{
	uint32_t pid;
	int master = -1;
	int r = client_spawn_reply(agent, p->req, a->argv[0], &pid, &master, err);
	if (r < 0)
		return r;
	sigset_t set;
	cli_forwarded_signals(&set, false);
	char path[128];
	snprintf(path, sizeof(path), "%s/agents/%s.sock", g.root, id);
	struct watcher w;
	watcher_init(&w, &set, pid, 0, connect_path, path);
	w.force = kill_sandbox;
	w.force_arg = &init;
	if (master >= 0) {
		watcher_start_thread(&w);
		pty_relay(master, true, agent, pid);
		close(master);
	}
	struct hutch_exit ex;
	r = watcher_wait_exit(&w, agent, &ex, err);
	if (w.forced) {
		log_error("killed the sandbox on a second %s", strsignal(w.forced));
		return 128 + w.forced;
	}
	if (r < 0)
		return r;
	cli_report_reserve_kill(&ex);
	return sandbox_exit_code(&ex);
}

int cmd_run(int argc, char **argv)
{
	_cleanup_(cli_sandbox_args_release) struct cli_sandbox_args a = { 0 };
	if (cli_parse_sandbox_args(argc, argv, &a) < 0)
		return HUTCH_EXIT_USAGE;
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
	/* A run's sandbox ends with its command: nothing to expire or to find by label. */
	if (a.ttl_s || a.labels) {
		log_error("%s is for sandboxes that outlive a command (hutch create, --rm to remove "
			  "it when its command ends); a run ends with CMD (--timeout bounds it)",
			  a.ttl_s ? "--ttl" : "--label");
		return HUTCH_EXIT_USAGE;
	}
	cli_warn_rules(spec);
	/* Mount points the sandbox makes in the workspace: removed again when it is gone. */
	_cleanup_free_ char *mp_ws = NULL;
	_cleanup_strv_ char **mp_paths = NULL;
	if (sandbox_mountpoints_plan(spec, &mp_ws, &mp_paths) < 0) {
		log_error("out of memory");
		return HUTCH_EXIT_SANDBOX;
	}
	/* Signals wait in the queue (for the forwarder) instead of killing us mid-setup. */
	sigset_t set;
	cli_forwarded_signals(&set, true); /* SIGWINCH: read by the pty relay (-t) */
	sigprocmask(SIG_BLOCK, &set, NULL);
	char id[SANDBOX_ID_MAX];
	sandbox_new_id(id);
	int r;
	if (a.name && (r = sandbox_name_claim(g.root, a.name, id, &err)) < 0) {
		log_error("%s", err.msg);
		return r == -EEXIST ? HUTCH_EXIT_NAME_IN_USE : HUTCH_EXIT_USAGE;
	}
	struct sandbox_started sb;
	struct pending_spawn p;
	spawn_opts(&a, env, &p.so);
	if (sandbox_start(g.root, id, spec, true, send_spawn, &p, &sb, &err) < 0) {
		sandbox_mountpoints_remove(mp_ws, mp_paths);
		if (a.name)
			sandbox_name_release(g.root, a.name, id);
		log_error("%s", err.msg);
		return HUTCH_EXIT_SANDBOX;
	}
	/* Claimed before our directory existed, the name could be taken over by a create that
	 * thought it abandoned: then it is not ours, and neither is this run. */
	if (a.name && !sandbox_name_is(g.root, a.name, id)) {
		hutch_agent_close(sb.agent);
		sandbox_cleanup_one_shot(g.root, id, &sb);
		sandbox_mountpoints_remove(mp_ws, mp_paths);
		log_error("name '%s' is already in use", a.name);
		return HUTCH_EXIT_NAME_IN_USE;
	}
	if (sb.no_limits)
		log_warn("cgroups are not delegated to this user: memory, pids and CPU limits are not enforced");
	r = run_command(&a, sb.agent, id, sb.init, &p, &err);
	hutch_agent_close(sb.agent);
	sandbox_cleanup_one_shot(g.root, id, &sb);
	sandbox_mountpoints_remove(mp_ws, mp_paths);
	if (a.name)
		sandbox_name_release(g.root, a.name, id);
	int code = r < 0 ? cli_exec_failure(r, a.argv[0], &err) : -1;
	if (code >= 0)
		return code;
	if (r < 0) {
		log_error("%s", err.msg);
		return r == -ENOSPC ? HUTCH_EXIT_DISK_RESERVE : HUTCH_EXIT_SANDBOX;
	}
	return r;
}
