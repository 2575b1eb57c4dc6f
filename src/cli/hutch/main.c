/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch: run untrusted commands in sandboxes.
 *   hutch [--root DIR] run [options] [--] CMD [ARG...]
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "hutch.h"
#include "path.h"

struct hutch_globals g;

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "run a command in a new sandbox, then remove it" },
	/* lifecycle commands: create, start, stop, rm, ls, inspect, logs, wait, prune */
	{ "create", cmd_create, "make a sandbox that stays (prints its id)" },
	{ "start", cmd_start, "start a stopped sandbox again" },
	{ "stop", cmd_stop, "stop a sandbox (SIGTERM, then SIGKILL); it stays" },
	{ "rm", cmd_rm, "remove sandboxes" },
	{ "ls", cmd_ls, "list sandboxes" },
	{ "inspect", cmd_inspect, "show a sandbox's settings and state as JSON" },
	{ "logs", cmd_logs, "show the output of a sandbox's main process" },
	{ "wait", cmd_wait, "wait for the main process; exit with its code" },
	{ "prune", cmd_prune, "remove stopped, expired and stale sandboxes" },
	/* interaction commands: exec, ps, attach, kill, session, cp */
	{ "exec", cmd_exec, "run a command in a running sandbox (or under --socket AGENT)" },
	{ "ps", cmd_ps, "list a sandbox's processes (running and exited)" },
	{ "attach", cmd_attach, "stream a process's output (replaying what was missed), wait" },
	{ "kill", cmd_kill, "send a signal to a process and its descendants" },
	{ "session", cmd_session, "persistent shells: session new, exec, ls, rm" },
	{ "cp", cmd_cp, "copy files and directories into or out of a sandbox" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hutch [--root DIR] COMMAND [options] [--] ...\n\n"
		   "Runs untrusted programs in Linux sandboxes: the host's root read-only, the\n"
		   "current directory at /work, no network, no capabilities, a seccomp profile,\n"
		   "resource limits and a filtered environment, unless options say otherwise.\n\n"
		   "Global options:\n"
		   "  --root DIR    state directory (default /run/hutch/sandboxes, or\n"
		   "                $XDG_RUNTIME_DIR/hutch/sandboxes when not root)\n"
		   "  -h, --help, --version\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'hutch COMMAND --help' for a command's options.\n");
}

const char *hutch_agent_binary(void)
{
	static char found[PATH_MAX];
	const char *env = getenv("HUTCH_AGENT");
	if (env && *env)
		return env;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			/* Installed side by side, or the build tree (src/cli/hutch → src/agent). */
			const char *rel[] = { "hutch-agent", "../../agent/hutch-agent",
					      "../libexec/hutch/hutch-agent" };
			for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
				char cand[PATH_MAX + 64];
				snprintf(cand, sizeof(cand), "%s/%s", self, rel[i]);
				if (access(cand, X_OK) == 0)
					return realpath(cand, found);
			}
		}
	}
	snprintf(found, sizeof(found), "%s/hutch/hutch-agent", HUTCH_LIBEXECDIR);
	return access(found, X_OK) == 0 ? found : NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	log_set_prefix("hutch");
	/* Our own sockets must never land on a closed 0, 1 or 2 and go to a command as stdio. */
	if (stdio_reserve() < 0) {
		log_error("cannot open /dev/null for a closed stdin, stdout or stderr");
		return HUTCH_EXIT_SANDBOX;
	}
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			g.root = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("hutch %s\n", HUTCH_VERSION);
			return 0;
		default:
			usage(stderr);
			return HUTCH_EXIT_USAGE;
		}
	}
	_cleanup_free_ char *root = NULL;
	if (!g.root)
		g.root = root = runtime_dir("sandboxes");
	else if (g.root[0] != '/')
		g.root = root = path_absolute(g.root); /* the engine changes directory */
	if (!g.root) {
		log_error("cannot resolve the state root");
		return HUTCH_EXIT_USAGE;
	}
	if (optind >= argc) {
		usage(stderr);
		return HUTCH_EXIT_USAGE;
	}
	int r = runtime_dir_prepare(); /* before anything writes state (the cache included) */
	if (r < 0)
		log_debug("state in " RUNTIME_DIR_ROOT " stays on disk: %s", strerror(-r));
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			int first = optind;
			optind = 0;
			return commands[i].run(argc - first, argv + first);
		}
	}
	log_error("unknown command '%s' (see hutch --help)", argv[optind]);
	return HUTCH_EXIT_USAGE;
}
