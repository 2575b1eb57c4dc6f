/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch-oci: an OCI runtime with runc's command line, so containerd's runc shim, Docker and
 * Podman can drive it. Global options come before the command, as containerd passes them:
 *   hutch-oci --root R --log F --log-format json create --bundle B --pid-file P ID
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "fileio.h"
#include "oci.h"
#include "path.h"

struct oci_globals oci;

static const struct oci_command commands[] = {
	{ "create", cmd_create, "create a container from a bundle" },
	{ "start", cmd_start, "start a created container" },
	{ "run", cmd_run, "create and start a container (and wait for it)" },
	{ "state", cmd_state, "print the state of a container as JSON" },
	{ "list", cmd_list, "list containers" },
	{ "kill", cmd_kill, "send a signal to a container's init (or all its processes)" },
	{ "delete", cmd_delete, "delete a container and everything it holds" },
	{ "exec", cmd_exec, "run a new process in a running container" },
	{ "ps", cmd_ps, "list the processes of a container" },
	{ "pause", cmd_pause, "freeze every process of a container" },
	{ "resume", cmd_resume, "thaw a paused container" },
	{ "update", cmd_update, "change a container's resource limits" },
	{ "events", cmd_events, "print resource usage statistics and events" },
	{ "spec", cmd_spec, "write a default config.json" },
	{ "features", cmd_features, "print the features this runtime supports, as JSON" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hutch-oci [global options] COMMAND [options] [ID]\n\n"
		   "An OCI runtime (runc's command line) built on hutch's engine.\n\n"
		   "Global options:\n"
		   "  --root DIR           state directory (default /run/hutch/oci, or\n"
		   "                       $XDG_RUNTIME_DIR/hutch/oci when not root)\n"
		   "  --log FILE           write log and errors to FILE\n"
		   "  --log-format FMT     text (default) or json\n"
		   "  --debug              log debug messages\n"
		   "  --systemd-cgroup     accepted; cgroupfs is driven directly\n"
		   "  --rootless VALUE     accepted for runc compatibility\n"
		   "  -h, --help, -v, --version\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'hutch-oci COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "systemd-cgroup", no_argument, NULL, 's' },
		{ "rootless", required_argument, NULL, 'R' },
		{ "criu", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	const char *log_path = NULL;
	bool json = false;
	int c;
	log_set_prefix("hutch-oci");
	/* Our own sockets must never land on a closed 0, 1 or 2 and reach a container. */
	if (stdio_reserve() < 0)
		return 1;
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			oci.root = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
				return oci_failf("--log-format: unknown format '%s' (text or json)", optarg);
			json = strcmp(optarg, "json") == 0;
			break;
		case 'd':
			oci.debug = true;
			break;
		case 's':
			oci.systemd_cgroup = true;
			break;
		case 'R':
		case 'C':
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("hutch-oci version %s\nspec: 1.2.0\n", HUTCH_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (log_open(log_path, json) < 0)
		fprintf(stderr, "hutch-oci: cannot open log '%s': %m\n", log_path);
	log_set_echo_errors(true);
	if (oci.debug)
		log_set_level(LOG_LEVEL_DEBUG);
	_cleanup_free_ char *root = NULL;
	if (!oci.root)
		oci.root = root = runtime_dir("oci");
	else if (oci.root[0] != '/')
		oci.root = root = path_absolute(oci.root); /* create changes directory to the bundle */
	if (!oci.root)
		return oci_failf("cannot resolve the state root");
	int r = runtime_dir_prepare(); /* before anything writes state (the cache included) */
	if (r < 0)
		log_debug("state in " RUNTIME_DIR_ROOT " stays on disk: %s", strerror(-r));
	if (oci.systemd_cgroup)
		log_debug("--systemd-cgroup: no systemd cgroup driver here, using cgroupfs");
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(name, commands[i].name) == 0) {
			/* Each command parses its own options, its name as argv[0]. */
			int first = optind;
			optind = 0;
			return commands[i].run(argc - first, argv + first);
		}
	}
	return oci_failf("unknown command '%s' (see hutch-oci --help)", name);
}
