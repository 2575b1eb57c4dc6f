/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch session new/exec/ls/rm: persistent shells in a sandbox. Sessions are made detached,
 * so they outlive the CLI call that made them. The agent protocol has no way to list
 * sessions, so `new` also notes each one in the sandbox's state directory
 * (<root>/<id>/session-<sid>: creation time and cwd); `ls` shows those, asking the agent
 * about each (a no-op command) so that ended or busy sessions show as such.
 */
#include <dirent.h>
#include <fcntl.h>
#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hutch.h"
#include "sandbox/sandbox.h"
#include "strv.h"

extern char **environ;

static void session_usage(FILE *f)
{
	fprintf(f,
		"usage: hutch session new [-e K=V]... [-w DIR] [-u UID[:GID]] SANDBOX\n"
		"       hutch session exec [--timeout SECS] SANDBOX SID [--] COMMAND...\n"
		"       hutch session ls [--json] SANDBOX\n"
		"       hutch session rm SANDBOX SID...\n"
		"       (or --socket PATH [--token-file F] instead of SANDBOX; ls then needs SANDBOX)\n\n"
		"A session is a persistent /bin/sh in the sandbox: the working directory, exported\n"
		"and shell variables and functions survive from one 'session exec' to the next.\n"
		"'new' prints the session id. 'exec' runs COMMAND (its words joined by spaces, as\n"
		"sh -c would see them) in the session: its stdout and stderr go, separately, to ours\n"
		"once it is done, its stdin is /dev/null, and its exit code is ours. At most one\n"
		"command runs in a session at a time. On --timeout the command is interrupted\n"
		"(SIGINT, then SIGKILL) but the session stays. 'rm' kills the shell and all it runs.\n\n"
		"  -e, --env K=V      (new) set a variable; the session starts from the environment\n"
		"                     the sandbox's main command got (as hutch exec)\n"
		"  -w, --cwd DIR      (new) starting directory (default: the sandbox's --cwd, /work)\n"
		"  -u, --user UID[:GID]  (new) run the shell as this user\n"
		"  --timeout SECS     (exec) interrupt the command after SECS (exit 124)\n"
		"  --json             (ls) one JSON array\n\n"
		"Exit status of exec: the command's; 124 on timeout; 4 no such session (or its\n"
		"shell has exited); 5 the session is busy with another command. For all: 1 no such\n"
		"sandbox, 2 bad options, 3 not running, 9 the agent went away meanwhile, 125 other\n"
		"errors.\n");
}

struct session_args {
	struct cli_target t;
	char **env;
	const char *cwd;
	bool has_user, json;
	uint32_t uid, gid, timeout_ms;
	char **pos; /* after SANDBOX */
	int n_pos;
};

static int session_opt(struct session_args *a, int c, const char *arg)
{
	char *end;
	switch (c) {
	case 'e':
		if (!strchr(arg, '=') || *arg == '=') {
			log_error("--env: invalid '%s' (want K=V)", arg);
			return -1;
		}
		return strv_push(&a->env, arg) < 0 ? -1 : 0;
	case 'w': a->cwd = arg; return 0;
	case 'j': a->json = true; return 0;
	case 'T': return cli_parse_timeout("--timeout", arg, &a->timeout_ms);
	case 'u': {
		unsigned long u = strtoul(arg, &end, 10), gr = u;
		if (end != arg && *end == ':') {
			const char *gs = end + 1;
			gr = strtoul(gs, &end, 10);
			if (end == gs)
				end = (char *)"x";
		}
		if (end == arg || *end || u > 0xfffffffeUL || gr > 0xfffffffeUL) {
			log_error("--user: invalid '%s' (want UID or UID:GID)", arg);
			return -1;
		}
		a->has_user = true;
		a->uid = (uint32_t)u;
		a->gid = (uint32_t)gr;
		return 0;
	}
	}
	return cli_target_opt(&a->t, c, arg) ? 0 : -1;
}

/* Options may come anywhere before "--" or the command's first word (for exec, the third
 * positional). Returns 0, 1 for --help, -1 on error. */
static int session_parse(int argc, char **argv, struct session_args *a, int want_pos)
{
	static const struct option opts[] = {
		{ "env", required_argument, NULL, 'e' },  { "cwd", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' }, { "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },       { "help", no_argument, NULL, 'h' },
		CLI_TARGET_OPTIONS, { 0 },
	};
	int n_fixed = 0;
	char *fixed[2] = { NULL, NULL };
	for (;;) {
		int c = getopt_long(argc, argv, "+e:w:u:h", opts, NULL);
		if (c == 'h')
			return 1;
		if (c == '?' || (c != -1 && session_opt(a, c, optarg) < 0))
			return -1;
		if (c != -1)
			continue;
		bool dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
		int want = want_pos - (a->t.socket ? 1 : 0);
		if (!dashdash && optind < argc && n_fixed < want) {
			fixed[n_fixed++] = argv[optind++];
			continue;
		}
		break;
	}
	int skip = a->t.socket ? 0 : 1;
	if (!a->t.socket) {
		if (n_fixed < 1) {
			log_error("session: no sandbox given");
			return -1;
		}
		a->t.sandbox = fixed[0];
	}
	/* The words we took as fixed positionals, then the rest. */
	for (int i = skip; i < n_fixed; i++)
		if (strv_push(&a->pos, fixed[i]) < 0)
			return -1;
	for (int i = optind; i < argc; i++)
		if (strv_push(&a->pos, argv[i]) < 0)
			return -1;
	a->n_pos = (int)strv_length(a->pos);
	return 0;
}

/* The command's words joined by spaces: what `sh -c "$*"` would run. */
static char *join_words(char **v)
{
	size_t n = 1;
	for (size_t i = 0; v[i]; i++)
		n += strlen(v[i]) + 1;
	char *s = malloc(n), *p = s;
	if (!s)
		return NULL;
	for (size_t i = 0; v[i]; i++)
		p = stpcpy(stpcpy(p, i ? " " : ""), v[i]);
	*p = '\0';
	return s;
}

static int parse_sid(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (end == s || *end || *s == '-' || v == 0 || v > UINT32_MAX) {
		log_error("invalid session id '%s'", s);
		return -1;
	}
	*ret = (uint32_t)v;
	return 0;
}

/* Agent errors that name the session, with their exit codes. */
static int session_error(int r, uint32_t sid, const struct hutch_err *err)
{
	if (r == -ENOENT) {
		log_error("session %u does not exist", sid);
		return HUTCH_EXIT_NO_SUCH_ID;
	}
	if (r == -EPIPE) {
		log_error("session %u has ended (its shell exited): remove it with hutch session rm",
			  sid);
		return HUTCH_EXIT_NO_SUCH_ID;
	}
	if (r == -EBUSY && strstr(err->msg, "already running")) {
		log_error("session %u is busy: another command is running in it", sid);
		return HUTCH_EXIT_BUSY;
	}
	return cli_agent_error(r, err);
}

/* <root>/<id>/session-<sid>, or NULL with --socket (no state directory). */
static char *note_path(const struct session_args *a, uint32_t sid)
{
	char *p = NULL;
	if (a->t.socket || asprintf(&p, "%s/%s/session-%u", g.root, a->t.id, sid) < 0)
		return NULL;
	return p;
}

static void note_session(const struct session_args *a, uint32_t sid, const char *cwd)
{
	_cleanup_free_ char *p = note_path(a, sid);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	_cleanup_fclose_ FILE *f = p ? fopen(p, "we") : NULL;
	if (f)
		fprintf(f, "%lld\n%s\n", (long long)ts.tv_sec, cwd ? cwd : "/");
}

static int do_new(struct session_args *a, struct hutch_agent *agent)
{
	if (a->n_pos) {
		log_error("session new: unexpected '%s'", a->pos[0]);
		return HUTCH_EXIT_USAGE;
	}
	struct hutch_err err = { 0 };
	_cleanup_strv_ char **env = NULL;
	_cleanup_free_ char *dcwd = NULL;
	int r = cli_command_env(&a->t, agent, a->env, &env, &dcwd);
	if (r != 0)
		return r;
	const char *cwd = a->cwd ? a->cwd : dcwd;
	struct hutch_spawn_opts so = {
		.env = (const char *const *)env,
		.env_clear = !a->t.socket, .cwd = cwd, .set_user = a->has_user,
		.uid = a->uid, .gid = a->gid, .detached = 1,
	};
	uint32_t sid;
	r = hutch_agent_session_new(agent, &so, &sid, &err);
	if (r < 0)
		return cli_agent_error(r, &err);
	note_session(a, sid, cwd);
	printf("%u\n", sid);
	return 0;
}

static int do_exec(struct session_args *a, struct hutch_agent *agent)
{
	uint32_t sid;
	if (a->n_pos < 2) {
		log_error("session exec: want SID and a command");
		return HUTCH_EXIT_USAGE;
	}
	if (parse_sid(a->pos[0], &sid) < 0)
		return HUTCH_EXIT_USAGE;
	_cleanup_free_ char *cmd = join_words(a->pos + 1);
	if (!cmd)
		return HUTCH_EXIT_SANDBOX;
	struct hutch_err err = { 0 };
	struct hutch_output out;
	int r = hutch_agent_session_exec(agent, sid, cmd, a->timeout_ms, 0, &out, &err);
	if (r < 0)
		return session_error(r, sid, &err);
	fwrite(out.out, 1, out.out_len, stdout);
	fflush(stdout);
	fwrite(out.err, 1, out.err_len, stderr);
	if (out.out_truncated || out.err_truncated)
		log_warn("session %u: output beyond 16 MiB per stream was dropped", sid);
	r = out.exit.code;
	if (out.exit.timed_out) {
		log_error("session %u: timed out after %.3g s: command interrupted, session kept",
			  sid, a->timeout_ms / 1000.0);
		r = HUTCH_EXIT_TIMEOUT;
	}
	hutch_output_release(&out);
	return r;
}

static int do_rm(struct session_args *a, struct hutch_agent *agent)
{
	if (a->n_pos < 1) {
		log_error("session rm: want at least one SID");
		return HUTCH_EXIT_USAGE;
	}
	int ret = 0;
	for (int i = 0; i < a->n_pos; i++) {
		uint32_t sid;
		if (parse_sid(a->pos[i], &sid) < 0)
			return HUTCH_EXIT_USAGE;
		struct hutch_err err = { 0 };
		int r = hutch_agent_session_close(agent, sid, &err);
		_cleanup_free_ char *p = note_path(a, sid);
		if (p)
			unlink(p);
		if (r < 0)
			ret = session_error(r, sid, &err);
	}
	return ret;
}

/* Asks the agent whether a noted session is there, idle or busy. */
static const char *probe(struct hutch_agent *agent, uint32_t sid)
{
	struct hutch_output out;
	struct hutch_err err = { 0 }; /* not NULL: err_prefix(NULL, ...) turns any error into EIO */
	int r = hutch_agent_session_exec(agent, sid, ":", 0, 64, &out, &err);
	if (r == 0)
		hutch_output_release(&out);
	return r == 0 ? "idle" : r == -EBUSY ? "busy" : r == -EPIPE ? "ended" : NULL;
}

static int do_ls(struct session_args *a, struct hutch_agent *agent)
{
	if (a->t.socket) {
		log_error("session ls: needs a sandbox (the agent cannot list sessions)");
		return HUTCH_EXIT_USAGE;
	}
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/%s", g.root, a->t.id) < 0)
		return HUTCH_EXIT_SANDBOX;
	DIR *d = opendir(dir);
	if (!d)
		return log_error("'%s': %s", dir, strerror(errno)), HUTCH_EXIT_SANDBOX;
	json_object *arr = json_object_new_array();
	if (!a->json)
		printf("%-6s %-6s %-19s %s\n", "SID", "STATE", "CREATED", "CWD");
	struct dirent *de;
	while ((de = readdir(d))) {
		uint32_t sid;
		if (strncmp(de->d_name, "session-", 8) != 0 || parse_sid(de->d_name + 8, &sid) < 0)
			continue;
		const char *state = probe(agent, sid);
		_cleanup_free_ char *p = note_path(a, sid);
		if (!state) { /* gone (closed elsewhere, or the sandbox restarted) */
			unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		long long created = 0;
		char cwd[4096] = "";
		_cleanup_fclose_ FILE *f = fopen(p, "re");
		if (f && fscanf(f, "%lld\n%4095[^\n]", &created, cwd) < 1)
			created = 0;
		char tm[64];
		time_t t = (time_t)created;
		struct tm lt;
		strftime(tm, sizeof(tm), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &lt));
		if (!a->json) {
			printf("%-6u %-6s %-19s %s\n", sid, state, tm, cwd);
			continue;
		}
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(sid));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "created", json_object_new_int64(created));
		json_object_object_add(o, "cwd", json_object_new_string(cwd));
		json_object_array_add(arr, o);
	}
	closedir(d);
	if (a->json)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return 0;
}

int cmd_session(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct session_args *, struct hutch_agent *);
		int fixed; /* positionals before the free words: SANDBOX [SID] */
	} subs[] = { { "new", do_new, 1 }, { "exec", do_exec, 2 }, { "ls", do_ls, 1 },
		     { "rm", do_rm, 1 } };
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		session_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? HUTCH_EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		if (strcmp(argv[1], subs[i].name) != 0)
			continue;
		struct session_args a = { 0 };
		optind = 0;
		int r = session_parse(argc - 1, argv + 1, &a, subs[i].fixed);
		struct hutch_agent *agent = NULL;
		if (r != 0)
			session_usage(r > 0 ? stdout : stderr);
		r = r > 0 ? 0 : r < 0 ? HUTCH_EXIT_USAGE : cli_target_connect(&a.t, &agent);
		if (r == 0 && agent)
			r = subs[i].run(&a, agent);
		hutch_agent_close(agent);
		cli_target_release(&a.t);
		strv_free(a.env);
		strv_free(a.pos);
		return r;
	}
	log_error("session: unknown subcommand '%s' (new, exec, ls, rm)", argv[1]);
	return HUTCH_EXIT_USAGE;
}
