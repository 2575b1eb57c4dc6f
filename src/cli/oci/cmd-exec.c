/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exec: a new process in a running container. Without --process, the container's own
 * process settings (env, user, capabilities, rlimits...) are the template, as in runc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>

#include "engine/container.h"
#include "fileio.h"
#include "oci.h"
#include "security/security.h"
#include "strv.h"

struct exec_args {
	struct exec_opts o;
	const char *process_file;
	const char *cwd;
	const char *user;
	char **env;
	char **caps;
	bool tty, detach, no_new_privs;
};

static void exec_usage(FILE *f)
{
	fprintf(f, "usage: hutch-oci exec [options] ID [COMMAND [ARG...]]\n\n"
		   "  -p, --process FILE        process.json to run (instead of COMMAND)\n"
		   "  -d, --detach              do not wait for the process\n"
		   "      --pid-file FILE       write the process's pid to FILE\n"
		   "  -t, --tty                 allocate a pseudo-terminal\n"
		   "      --console-socket PATH send the pty master there\n"
		   "  -e, --env KEY=VALUE       add to the environment (repeatable)\n"
		   "      --cwd DIR             working directory\n"
		   "  -u, --user UID[:GID]      run as this user\n"
		   "  -c, --cap CAP             add a capability (repeatable)\n"
		   "      --no-new-privs        set no_new_privs\n"
		   "      --preserve-fds N      pass fds 3..3+N-1\n");
}

static int parse_exec(int argc, char **argv, struct exec_args *a)
{
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "tty", no_argument, NULL, 't' },
		{ "console-socket", required_argument, NULL, 'S' },
		{ "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, 'C' },
		{ "user", required_argument, NULL, 'u' },
		{ "cap", required_argument, NULL, 'c' },
		{ "no-new-privs", no_argument, NULL, 'N' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "process-label", required_argument, NULL, 'L' },
		{ "apparmor", required_argument, NULL, 'A' },
		{ "ignore-paused", no_argument, NULL, 'I' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "+p:dte:u:c:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a->process_file = optarg; break;
		case 'd': a->detach = true; break;
		case 'P': a->o.pid_file = optarg; break;
		case 't': a->tty = true; break;
		case 'S': a->o.console_socket = optarg; break;
		case 'e':
			if (!strchr(optarg, '='))
				return oci_failf("--env: expected KEY=VALUE, got '%s'", optarg);
			strv_push(&a->env, optarg);
			break;
		case 'C': a->cwd = optarg; break;
		case 'u': a->user = optarg; break;
		case 'c': strv_push(&a->caps, optarg); break;
		case 'N': a->no_new_privs = true; break;
		case 'F': a->o.preserve_fds = (unsigned)atoi(optarg); break;
		case 'g': case 'L': case 'A': case 'I': case 'G': break;
		case 'h': exec_usage(stdout); exit(0);
		default: exec_usage(stderr); return 1;
		}
	}
	if (optind >= argc)
		return oci_failf("exec: a container id is required");
	if (!a->process_file && optind + 1 >= argc)
		return oci_failf("exec: a command (or --process FILE) is required");
	return 0;
}

static int parse_user(const char *s, struct spec_user *u)
{
	char *end;
	unsigned long uid = strtoul(s, &end, 10);
	if (end == s || (*end && *end != ':') || uid > UINT32_MAX)
		return -EINVAL;
	u->uid = (uint32_t)uid;
	if (*end == ':') {
		const char *g = end + 1;
		unsigned long gid = strtoul(g, &end, 10);
		if (end == g || *end || gid > UINT32_MAX)
			return -EINVAL;
		u->gid = (uint32_t)gid;
	}
	return 0;
}

/* The process to run: process.json, or the container's process with the CLI's changes. */
static int build_process(struct exec_args *a, struct spec *s, int argc, char **argv,
			 struct spec_process *from_file, const struct spec_process **ret)
{
	struct hutch_err err = { 0 };
	if (a->process_file) {
		_cleanup_free_ char *buf = NULL;
		size_t len;
		int r = read_file_at(AT_FDCWD, a->process_file, SPEC_MAX_FILE_SIZE, &buf, &len);
		if (r < 0)
			return oci_failf("process file '%s': %s", a->process_file, strerror(-r));
		if (spec_process_parse(buf, len, from_file, &err) < 0)
			return oci_failf("process file '%s': %s", a->process_file, err.msg);
		*ret = from_file;
		return 0;
	}
	struct spec_process *p = &s->process;
	strv_free(p->args);
	p->args = strv_copy(argv + optind + 1);
	p->terminal = a->tty;
	p->has_console_size = false;
	for (size_t i = 0; a->env && a->env[i]; i++)
		strv_env_set(&p->env, a->env[i]);
	if (a->cwd) {
		free(p->cwd);
		p->cwd = strdup(a->cwd);
	}
	if (a->user && parse_user(a->user, &p->user) < 0)
		return oci_failf("--user: expected UID[:GID], got '%s'", a->user);
	if (a->no_new_privs)
		p->no_new_privileges = true;
	for (size_t i = 0; a->caps && a->caps[i]; i++) {
		int cap = cap_from_spec_name(a->caps[i]);
		if (cap < 0)
			return oci_failf("--cap: unknown capability '%s'", a->caps[i]);
		uint64_t bit = 1ULL << cap;
		p->has_caps = true;
		p->caps.bounding |= bit;
		p->caps.effective |= bit;
		p->caps.permitted |= bit;
	}
	*ret = p;
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	struct exec_args a = { 0 };
	int rc = parse_exec(argc, argv, &a);
	_cleanup_strv_ char **env = a.env; /* own them: freed on return */
	_cleanup_strv_ char **caps = a.caps;
	(void)env;
	(void)caps;
	if (rc)
		return rc;
	const char *id = argv[optind];
	struct hutch_err err = { 0 };
	struct container_state st;
	enum container_status status;
	if (container_load(oci.root, id, &st, &status, &err) < 0)
		return oci_fail(&err);
	_cleanup_spec_ struct spec *s = NULL;
	int r = spec_load_bundle(st.bundle, &s, &err);
	container_state_release(&st);
	if (r < 0)
		return oci_fail(&err);
	struct spec_process from_file = { 0 };
	const struct spec_process *p;
	if (build_process(&a, s, argc, argv, &from_file, &p))
		return 1;
	a.o.process = p;
	a.o.keep_pty = p->terminal && !a.detach && !a.o.console_socket;
	struct created cr;
	r = container_exec(oci.root, id, &a.o, &cr, &err);
	if (r < 0) {
		spec_process_release(&from_file);
		return oci_fail(&err);
	}
	spec_process_release(&from_file);
	if (a.detach)
		return 0;
	int code = oci_wait_forward(cr.pid, cr.pty_master);
	safe_close(cr.pty_master);
	return code;
}
