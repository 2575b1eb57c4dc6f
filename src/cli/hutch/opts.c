/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandbox options shared by `hutch run` and `hutch create`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hutch.h"
#include "strv.h"

static const char run_summary[] =
	"Runs CMD in a new sandbox and removes the sandbox when it ends. The exit code is\n"
	"CMD's (128+N if killed by signal N, 124 on --timeout); hutch's own errors exit 125.\n";
static const char create_summary[] =
	"Creates a sandbox and prints its id. With CMD, CMD is its main process (see logs,\n"
	"wait); without, the sandbox idles until exec, session or rm.\n";

void cli_sandbox_usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"usage: hutch %s [options] [--] CMD [ARG...]\n\n%s\n"
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
		"  -i, --interactive      accepted (stdin is always passed)\n"
		"  --name NAME            a unique name for the sandbox\n"
		"  --label K=V            a label (repeatable; ls and prune filter on them)\n"
		"  --ttl SECS             stop and remove the sandbox after SECS\n",
		cmd, strcmp(cmd, "run") == 0 ? run_summary : create_summary);
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

static int parse_number_opts(int c, const char *arg, struct cli_sandbox_args *a)
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

int cli_parse_sandbox_args(int argc, char **argv, struct cli_sandbox_args *a)
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
		{ "name", required_argument, NULL, 'n' },    { "label", required_argument, NULL, 'l' },
		{ "ttl", required_argument, NULL, 'L' },     { "rm", no_argument, NULL, 'X' },
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
		case 'n': a->name = optarg; break;
		case 'l':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				log_error("--label: expected KEY=VALUE, got '%s'", optarg);
				r = -1;
			} else {
				r = push(&a->labels, optarg);
			}
			break;
		case 'X': a->rm = true; break;
		case 'L': {
			char *end;
			double d = strtod(optarg, &end);
			if (end == optarg || *end || d <= 0 || d > 1e9) {
				log_error("--ttl: invalid number of seconds '%s'", optarg);
				r = -1;
			}
			a->ttl_s = (int64_t)d;
			break;
		}
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
			cli_sandbox_usage(stdout, argv[0]);
			exit(0);
		default:
			cli_sandbox_usage(stderr, argv[0]);
			return -1;
		}
	}
	if (r < 0)
		return -1;
	if (optind >= argc && strcmp(argv[0], "run") == 0) {
		log_error("run: a command is required (hutch run [options] -- CMD...)");
		return -1;
	}
	a->argv = argv + optind; /* may be empty for create: an idle sandbox */
	return 0;
}


void cli_sandbox_args_release(struct cli_sandbox_args *a)
{
	strv_free(a->sb.mounts);
	strv_free(a->sb.tmpfs);
	strv_free(a->sb.env);
	strv_free(a->sb.env_allow);
	strv_free(a->sb.env_block);
	strv_free(a->sb.cap_add);
	strv_free(a->labels);
	*a = (struct cli_sandbox_args){ 0 };
}
