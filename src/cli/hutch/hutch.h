/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hutch: the sandbox command line. One file per command, table in main.c. */
#pragma once

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "hutch/hutch.h"
#include "log.h"

/* Exit codes of hutch itself (a sandboxed command's own code passes through). */
#define HUTCH_EXIT_USAGE 2      /* bad options */
#define HUTCH_EXIT_SANDBOX 125  /* the sandbox could not be made (like docker run) */
#define HUTCH_EXIT_NOT_FOUND 127 /* the command was not found in the sandbox */

struct hutch_globals {
	const char *root; /* state root for sandboxes */
};
extern struct hutch_globals g;

/* The hutch-agent binary to run inside sandboxes: $HUTCH_AGENT, next to us, or installed. */
const char *hutch_agent_binary(void);

#include "sandbox/sandbox.h"

/* Options of run and create: the sandbox's settings plus how to run the command. */
struct cli_sandbox_args {
	struct sandbox_opts sb;
	bool tty;
	bool interactive;
	uint32_t timeout_ms;
	char **argv;        /* the command (NULL-terminated; empty for an idle create) */
	const char *name;   /* --name */
	char **labels;      /* --label K=V */
	int64_t ttl_s;      /* --ttl, 0 = none */
	bool rm;            /* --rm (create: remove when the main process ends) */
};
/* Parses argv (argv[0] is the command name). Returns 0, or -1 after printing the error. */
int cli_parse_sandbox_args(int argc, char **argv, struct cli_sandbox_args *a);
void cli_sandbox_args_release(struct cli_sandbox_args *a);
void cli_sandbox_usage(FILE *f, const char *cmd);
/* Prints the path rules' warnings of a sandbox about to be made (stderr). */
struct spec;
void cli_warn_rules(const struct spec *spec);

/* The signals run and exec forward to the sandboxed process tree (and SIGWINCH for -t). */
void cli_forwarded_signals(sigset_t *set, bool with_winch);

int cmd_run(int argc, char **argv);
/* lifecycle commands */
/* Exit codes of the lifecycle commands (create, start, stop, rm, ls, inspect, logs, wait,
 * prune): 0 ok, 1 no such sandbox (HUTCH_EXIT_NO_SANDBOX), 2 usage, these, 125 the sandbox
 * could not be made, 127 the main command was not found. */
#define HUTCH_EXIT_NAME_IN_USE 6  /* create --name: the name is taken */
#define HUTCH_EXIT_WRONG_STATE 7  /* running (rm without -f, start), or no main process */
#define HUTCH_EXIT_FAILED 8       /* stop, rm or prune failed */
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_prune(int argc, char **argv);
/* Shared by those commands (cmd-create.c, cmd-logs.c, cmd-prune.c). */
struct sandbox_helper;
/* Runs fn(arg) in a detached process (double fork, setsid, stdio on /dev/null, no other
 * fd kept) that outlives us; ret gets its pid and start time. */
int lc_spawn_helper(void (*fn)(void *), void *arg, struct sandbox_helper *ret);
/* The log follower of a main process (cmd-logs.c) and the ttl reaper (cmd-prune.c). */
int lc_spawn_logger(const char *id, uint32_t generation, uint32_t main_id, struct sandbox_helper *ret);
int lc_spawn_reaper(const char *id, int64_t expires, struct sandbox_helper *ret);
/* Removes a sandbox (refused with -EBUSY if running and !force). */
int lc_remove(const char *id, bool force, struct hutch_err *err);
/* Maps a -errno from the sandbox layer to an exit code, printing err. */
int lc_exit_code(int r, const struct hutch_err *err, int fallback);
/* interaction commands */
struct cli_target;
/* The environment (heap strv) and default cwd (heap, NULL: the agent's) of a command run
 * in t, with extra "K=V" added (see hutch exec --help). 0 or an exit code (printed). */
int cli_command_env(struct cli_target *t, struct hutch_agent *a, char **extra,
		    char ***ret_env, char **ret_cwd);
/* Exit codes of the interaction commands (exec, ps, attach, kill, session, cp), when the
 * failure is hutch's and not the command's own (see each command's --help). */
#define HUTCH_EXIT_NO_SANDBOX 1   /* sandbox 'x' does not exist */
#define HUTCH_EXIT_NOT_RUNNING 3  /* the sandbox (or --socket agent) is not running */
#define HUTCH_EXIT_NO_SUCH_ID 4   /* unknown process or session id */
#define HUTCH_EXIT_BUSY 5         /* the session is running another command */
#define HUTCH_EXIT_AGENT_LOST 9   /* the agent went away mid-call (killed, sandbox stopped) */
#define HUTCH_EXIT_DISK_RESERVE 123 /* a writable file system is below its free-space reserve */
#define HUTCH_EXIT_TIMEOUT 124    /* --timeout passed: the process tree was killed */
#define HUTCH_EXIT_CANNOT_EXEC 126 /* the command exists but cannot be run */

/* Whom interaction commands talk to: a sandbox's agent, or a standalone agent socket. */
struct cli_target {
	const char *sandbox;    /* id, unique prefix or name; NULL with --socket */
	const char *socket;     /* --socket PATH */
	const char *token_file; /* --token-file F (standalone agents started with --token-stdin) */
	char *path;             /* the socket actually used (heap) */
	char *token;            /* heap, or NULL */
	char id[32];            /* the sandbox id once resolved */
};
/* Connects (resolving the sandbox on the first call); prints the error. 0 or an exit code. */
int cli_target_connect(struct cli_target *t, struct hutch_agent **ret);
/* The same; pipelined, the handshake's reply is read with the first request's (one round
 * trip fewer), and a refused handshake fails that request instead. */
int cli_target_connect_pipelined(struct cli_target *t, bool pipelined, struct hutch_agent **ret);
void cli_target_release(struct cli_target *t);
/* Prints err and maps an agent call's -errno to one of the exit codes above (or 125). */
int cli_agent_error(int r, const struct hutch_err *err);
/* A spawn whose execve failed: reports it and returns 127 (not found) or 126 (cannot be
 * run); -1 for a spawn that failed before its exec (a bad --cwd, say). */
int cli_exec_failure(int r, const char *argv0, const struct hutch_err *err);
/* Says why, when the disk reserve guard killed the command (its exit code is then 123). */
void cli_report_reserve_kill(const struct hutch_exit *ex);
/* "--socket"/"--token-file" handling shared by the commands: 1 if c was one of them. */
int cli_target_opt(struct cli_target *t, int c, const char *arg);
#define CLI_TARGET_OPTIONS { "socket", required_argument, NULL, 0x1001 }, \
			   { "token-file", required_argument, NULL, 0x1002 }
/* Parses "SECS" (fractions allowed) into ms; -1 after printing the error. */
int cli_parse_timeout(const char *flag, const char *arg, uint32_t *ret_ms);
int cmd_exec(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_session(int argc, char **argv);
int cmd_cp(int argc, char **argv);
