/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandbox options shared by `hutch run` and `hutch create`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include "hutch.h"
#include "rules/rules.h"
#include "sandbox/rules-plan.h"
#include "sandbox/config.h"
#include "strv.h"

/* getopt codes of the long-only flags (beyond every character). */
enum {
	OPT_DENY = 0x100,
	OPT_ALLOW_VIEW,
	OPT_ALLOW_READ,
	OPT_ALLOW_WRITE,
	OPT_RULES,
	OPT_RULE,
	OPT_DEFAULT_ACCESS,
	OPT_WORKSPACE_QUOTA,
	OPT_DISK_RESERVE,
};

static const char run_summary[] =
	"Runs CMD in a new sandbox and removes the sandbox when it ends. The exit code is\n"
	"CMD's (128+N if killed by signal N, 124 on --timeout, 123 when the disk reserve was\n"
	"reached, 127 if CMD is not found, 126 if it cannot be run); hutch's own errors exit\n"
	"125, bad options 2.\n";
static const char create_summary[] =
	"Creates a sandbox and prints its id. With CMD, CMD is its main process (see logs,\n"
	"wait); without, the sandbox idles until exec, session or rm.\n";

void cli_sandbox_usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"usage: hutch %s [options] [--] CMD [ARG...]\n\n%s\n"
		"  --rootfs DIR           use DIR as the root instead of the host's /, copy-on-write:\n"
		"                         writes go to a tmpfs and are thrown away at the end\n"
		"  --rootfs-size SIZE     size of that tmpfs (default 1g)\n"
		"  --security LEVEL       strict, default or permissive: presets under the config\n"
		"                         and flags (see docs/security.md)\n"
		"  --rootfs-changes DIR   keep the rootfs's writes in DIR instead (reused next time)\n"
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
		"  --deny PATH            path rule: PATH (or glob) does not exist inside (repeatable)\n"
		"  --allow-view PATH      path rule: stat and list only, no content (repeatable)\n"
		"  --allow-read PATH      path rule: read-only (repeatable)\n"
		"  --allow-write PATH     path rule: read-write (repeatable)\n"
		"  --rule ACCESS[:KIND][:PRIORITY]:PATTERN  one path rule in full, e.g.\n"
		"                         none:glob:10:**/*.pem (repeatable)\n"
		"  --rules FILE           path rules from a JSON file (docs/sandbox.md)\n"
		"  --workspace-quota SIZE  at most SIZE more bytes in the workspace (ENOSPC after;\n"
		"                         served through hutch-pathfs; default none)\n"
		"  --disk-reserve R       keep R free on every host file system the sandbox writes\n"
		"                         (workspace, rw mounts): below it, every process is killed\n"
		"                         (exit 123); auto (5%%, at most 2g), N%%, SIZE, or 0 for off\n"
		"  --default-access A     where no rule decides: none, view, read, write or layout\n"
		"                         (default layout: read-only root, writable workspace)\n"
		"  -t, --tty              run with a terminal\n"
		"  -i, --interactive      accepted (stdin is always passed)\n"
		"  --name NAME            a unique name for the sandbox (exec NAME, ls)\n"
		"  --label K=V            a label (repeatable; ls and prune filter on them; create)\n"
		"  --ttl SECS             stop and remove the sandbox after SECS (create)\n"
		"\nConfig files (JSON; see docs/sandbox.md): $XDG_CONFIG_HOME/hutch/config.json, then\n"
		"hutch.json in this directory or the nearest parent (up to $HOME); flags win.\n"
		"  --config FILE          use FILE as the project config instead of hutch.json\n"
		"  --profile NAME         apply profile NAME (default: the profile named like CMD);\n"
		"                         strict, default and permissive, unless a config file\n"
		"                         defines them, are the --security levels\n"
		"  --no-config            read no config file\n"
		"  --print-config         print the effective settings as JSON and exit\n",
		cmd, strcmp(cmd, "run") == 0 ? run_summary : create_summary);
}

/*
 * The settings of this command: config files (user, then project) and profile first, the
 * flags over them. The strings in a->sb point into `effective`, which lives until
 * cli_sandbox_args_release (a CLI parses one command per process).
 */
static struct sandbox_settings effective;

/* Flags that are settings, by getopt code → config key. */
static const char *setting_key(int c)
{
	switch (c) {
	case 'R': return "rootfs";
	case 'W': return "workspace";
	case 'M': return "mounts";
	case 'F': return "tmpfs";
	case 'o': return "read_only";
	case 'e': return "env";
	case 'A': return "env_allow";
	case 'B': return "env_block";
	case 'u': return "user";
	case 'H': return "hostname";
	case 'w': return "cwd";
	case 'm': return "memory";
	case 'c': return "cpus";
	case 'P': return "pids";
	case 'T': return "timeout";
	case 'N': return "network";
	case 'C': return "cap_add";
	case 'S': return "seccomp";
	case 'z': return "rootfs_size";
	case 'j': return "rootfs_changes";
	case OPT_DEFAULT_ACCESS: return "default_access";
	case OPT_RULE: return "rules";
	case OPT_WORKSPACE_QUOTA: return "workspace_quota";
	case OPT_DISK_RESERVE: return "disk_reserve";
	}
	return NULL;
}

static int set_flag(struct sandbox_settings *flags, const char *flag, const char *key,
		    const char *val)
{
	struct hutch_err err = { 0 };
	if (sandbox_settings_set(flags, key, val, &err) < 0) {
		log_error("--%s: %s", flag, err.msg);
		return -1;
	}
	return 0;
}

/* Where the config comes from: --config, --profile, --no-config, --print-config. */
struct config_choice {
	const char *security; /* --security LEVEL */
	const char *file;
	const char *profile;
	bool none;
	bool print;
};

static int load_if(const char *path, bool must_exist, struct sandbox_config_file **ret)
{
	struct hutch_err err = { 0 };
	if (!path)
		return 0;
	if (!must_exist && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (sandbox_config_load(path, ret, &err) < 0) {
		log_error("%s", err.msg);
		return -1;
	}
	return 0;
}

static void config_files_free(struct sandbox_config_file **files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sandbox_config_file_free(files[i]);
}

/* Prints the effective settings as JSON (--print-config). */
static void print_config(struct sandbox_config_file *const *files, size_t n, const char *profile)
{
	_cleanup_strv_ char **names = NULL;
	for (size_t i = 0; i < n; i++)
		if (files[i])
			strv_push(&names, files[i]->path);
	char cwd[4096];
	_cleanup_free_ char *json = sandbox_settings_to_json(&effective, names, profile,
							     getcwd(cwd, sizeof(cwd)) ? cwd : NULL);
	if (json)
		printf("%s\n", json);
}

/* The user file (if it exists), then the project file (--config, or hutch.json found). */
static int load_files(const struct config_choice *cc, struct sandbox_config_file *files[2])
{
	if (cc->none && cc->file) {
		log_error("--config and --no-config: choose one");
		return -1;
	}
	if (cc->none)
		return 0;
	struct hutch_err err = { 0 };
	_cleanup_free_ char *user = sandbox_config_user_path();
	_cleanup_free_ char *project = NULL;
	if (!cc->file && sandbox_config_find_project(".", getenv("HOME"), &project, &err) < 0) {
		log_error("%s", err.msg);
		return -1;
	}
	if (load_if(user, false, &files[0]) < 0 ||
	    load_if(cc->file ? cc->file : project, true, &files[1]) < 0)
		return -1;
	return 0;
}

static bool is_security_level(const char *name)
{
	return name && (strcmp(name, "strict") == 0 || strcmp(name, "default") == 0 ||
			strcmp(name, "permissive") == 0);
}

/*
 * The config files' layer for --profile. A profile named like a security level that no config
 * file defines is that level (`--profile strict` = `--security strict`): *level is set to it.
 */
static int resolve_profile(struct sandbox_config_file *const *files, const struct config_choice *cc,
			   const char *cmd, struct sandbox_settings *ret, const char **ret_profile,
			   const char **level)
{
	struct hutch_err err = { 0 };
	int r = sandbox_config_resolve(files, 2, cc->profile, cmd, ret, ret_profile, &err);
	if (r == -ENOENT && is_security_level(cc->profile)) {
		if (cc->security && strcmp(cc->security, cc->profile) != 0) {
			log_error("--profile %s and --security %s disagree", cc->profile, cc->security);
			return -1;
		}
		*level = cc->profile;
		r = sandbox_config_resolve(files, 2, NULL, cmd, ret, ret_profile, &err);
	}
	if (r < 0)
		log_error("%s", err.msg);
	return r;
}

/* Layers the config files and the flags into a->sb (see src/lib/sandbox/config.h). */
static int apply_settings(struct cli_sandbox_args *a, const struct config_choice *cc,
			  const struct sandbox_settings *flags)
{
	struct sandbox_config_file *files[2] = { NULL, NULL };
	struct hutch_err err = { 0 };
	const char *profile = NULL, *level = cc->security ? cc->security : "default";
	_cleanup_(sandbox_settings_release) struct sandbox_settings files_layer = { 0 };
	int r = load_files(cc, files);
	if (r == 0)
		r = resolve_profile(files, cc, a->argv[0], &files_layer, &profile, &level);
	/* The security level's preset first: config files and flags go over it. */
	if (r == 0 && (r = sandbox_settings_level(level, &effective, &err)) < 0)
		log_error("--security: %s", err.msg);
	if (r == 0 && (sandbox_settings_merge(&effective, &files_layer) < 0 ||
		       sandbox_settings_merge(&effective, flags) < 0 ||
		       sandbox_settings_to_opts(&effective, &a->sb, &a->timeout_ms) < 0)) {
		log_error("out of memory");
		r = -1;
	}
	if (r == 0 && cc->print) {
		print_config(files, 2, profile);
		config_files_free(files, 2);
		exit(0);
	}
	config_files_free(files, 2);
	return r;
}

/* --deny/--allow-* PATH → one rule; --rules FILE → each rule of the file, and its default. */
static int add_rule_flags(struct sandbox_settings *flags, int c, const char *arg)
{
	struct hutch_err err = { 0 };
	_cleanup_(rule_set_release) struct rule_set rs = { .default_access = RULE_ACCESS_LAYOUT };
	static const char *const names[] = { [OPT_DENY - OPT_DENY] = "--deny",
					     [OPT_ALLOW_VIEW - OPT_DENY] = "--allow-view",
					     [OPT_ALLOW_READ - OPT_DENY] = "--allow-read",
					     [OPT_ALLOW_WRITE - OPT_DENY] = "--allow-write" };
	int r = c == OPT_RULES ? rule_set_add_file(&rs, arg, &err)
			       : rule_set_add_flag(&rs, names[c - OPT_DENY], arg, &err);
	for (size_t i = 0; r >= 0 && i < rs.n; i++) {
		_cleanup_free_ char *text = rule_to_text(&rs.rules[i]);
		r = text ? sandbox_settings_set(flags, "rules", text, &err) : -ENOMEM;
	}
	if (r >= 0 && c == OPT_RULES && rs.default_access != RULE_ACCESS_LAYOUT)
		r = sandbox_settings_set(flags, "default_access",
					 rule_access_name(rs.default_access), &err);
	if (r < 0) {
		log_error("%s", err.msg[0] ? err.msg : "out of memory");
		return -1;
	}
	return 0;
}

static int parse_other(int c, const char *arg, struct cli_sandbox_args *a, struct config_choice *cc)
{
	switch (c) {
	case 't': a->tty = true; return 0;
	case 'i': a->interactive = true; return 0;
	case 'n': a->name = arg; return 0;
	case 'X': a->rm = true; return 0;
	case 'K': cc->file = arg; return 0;
	case 'Q': cc->profile = arg; return 0;
	case 'Z': cc->none = true; return 0;
	case 'Y': cc->print = true; return 0;
	case 'y': cc->security = arg; return 0;
	case 'q':
		log_error("--root is a global option: write it before the command (hutch --root DIR %s ...)",
			  "run");
		return -1;
	case 'l':
		if (!strchr(arg, '=') || arg[0] == '=') {
			log_error("--label: expected KEY=VALUE, got '%s'", arg);
			return -1;
		}
		if (strv_push(&a->labels, arg) < 0) {
			log_error("out of memory");
			return -1;
		}
		return 0;
	case 'L': {
		char *end;
		double d = strtod(arg, &end);
		if (end == arg || *end || d <= 0 || d > 1e9) {
			log_error("--ttl: invalid number of seconds '%s'", arg);
			return -1;
		}
		a->ttl_s = (int64_t)d;
		return 0;
	}
	}
	return -1;
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
		{ "config", required_argument, NULL, 'K' },  { "profile", required_argument, NULL, 'Q' },
		{ "no-config", no_argument, NULL, 'Z' },     { "print-config", no_argument, NULL, 'Y' },
		/* Exact names win over getopt's abbreviations: without this, "--root DIR" after
		 * the command would silently mean --rootfs. */
		{ "root", required_argument, NULL, 'q' },
		{ "security", required_argument, NULL, 'y' },
		{ "rootfs-size", required_argument, NULL, 'z' },
		{ "rootfs-changes", required_argument, NULL, 'j' },
		{ "deny", required_argument, NULL, OPT_DENY },
		{ "allow-view", required_argument, NULL, OPT_ALLOW_VIEW },
		{ "allow-read", required_argument, NULL, OPT_ALLOW_READ },
		{ "allow-write", required_argument, NULL, OPT_ALLOW_WRITE },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "rule", required_argument, NULL, OPT_RULE },
		{ "default-access", required_argument, NULL, OPT_DEFAULT_ACCESS },
		{ "workspace-quota", required_argument, NULL, OPT_WORKSPACE_QUOTA },
		{ "disk-reserve", required_argument, NULL, OPT_DISK_RESERVE },
		{ "help", no_argument, NULL, 'h' },          { 0 },
	};
	_cleanup_(sandbox_settings_release) struct sandbox_settings flags = { 0 };
	struct config_choice cc = { 0 };
	int c, r = 0;
	while (r == 0 && (c = getopt_long(argc, argv, "+e:u:w:m:tih", opts, NULL)) != -1) {
		const char *key = setting_key(c);
		if (key) {
			/* Messages name the long flag (also for -m, -e, ...). */
			const char *flag = key;
			for (size_t i = 0; opts[i].name; i++)
				if (opts[i].val == c)
					flag = opts[i].name;
			r = set_flag(&flags, flag, key, c == 'o' ? "true" : optarg);
		} else if (c >= OPT_DENY && c <= OPT_RULES) {
			r = add_rule_flags(&flags, c, optarg);
		} else if (c == 'h') {
			cli_sandbox_usage(stdout, argv[0]);
			exit(0);
		} else if (c == '?' || c == ':') {
			cli_sandbox_usage(stderr, argv[0]);
			return -1;
		} else {
			r = parse_other(c, optarg, a, &cc);
		}
	}
	if (r < 0)
		return -1;
	a->argv = argv + optind; /* may be empty for create: an idle sandbox */
	if (apply_settings(a, &cc, &flags) < 0)
		return -1;
	if (optind >= argc && strcmp(argv[0], "run") == 0) {
		log_error("run: a command is required (hutch run [options] -- CMD...)");
		return -1;
	}
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
	strv_free(a->sb.rules);
	strv_free(a->labels);
	sandbox_settings_release(&effective);
	*a = (struct cli_sandbox_args){ 0 };
}

void cli_warn_rules(const struct spec *spec)
{
	_cleanup_strv_ char **w = rules_plan_warnings(spec);
	for (size_t i = 0; w && w[i]; i++)
		log_warn("%s", w[i]);
}
