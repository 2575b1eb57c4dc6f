/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agentctl: a small test client for hutch-agent, built only on the public libhutch API
 * (plus raw sockets for the misbehaving-client tests). Used by tests/integration/agent.sh.
 *
 *   agentctl [--token T] SOCK COMMAND [ARGS...]
 *
 * Captured output goes raw to stdout/stderr; facts the test checks (exit status, cursors,
 * ids) go to stdout as KEY=VALUE lines or to the file given with --status.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hutch/hutch.h"

static struct hutch_err err;
static const char *status_file;

_Noreturn static void die(const char *what, int r)
{
	fprintf(stderr, "agentctl: %s: %s (%d)\n", what, err.msg[0] ? err.msg : strerror(-r), -r);
	exit(r == -EBUSY ? 16 : 100);
}

static int exit_status(const struct hutch_exit *x)
{
	return x->exited ? x->code : 128 + x->signal;
}

static void write_status(const struct hutch_exit *x)
{
	if (!status_file)
		return;
	FILE *f = fopen(status_file, "we");
	if (!f)
		return;
	fprintf(f, "exited=%d code=%d signal=%d timed_out=%d wall_ns=%" PRIu64 "\n", x->exited,
		x->code, x->signal, x->timed_out, x->wall_ns);
	fclose(f);
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void on_output(void *ud, int stream, const void *data, size_t len, uint64_t dropped)
{
	uint64_t *dropped_total = ud;
	if (dropped_total)
		*dropped_total += dropped;
	write_all(stream == 1 ? 1 : 2, data, len);
}

/* Parses leading --opt VALUE pairs; returns the index of the first argument after "--". */
static int parse_opts(int argc, char **argv, int i, struct hutch_spawn_opts *o, const char **stdin_s,
		      size_t *max)
{
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(a, "--")) {
			o->argv = (const char *const *)argv + i + 1;
			return i + 1;
		} else if (!strcmp(a, "--stdin") && stdin_s) {
			*stdin_s = v, i++;
		} else if (!strcmp(a, "--max") && max) {
			*max = strtoul(v, NULL, 0), i++;
		} else if (!strcmp(a, "--timeout")) {
			o->timeout_ms = (uint32_t)strtoul(v, NULL, 0), i++;
		} else if (!strcmp(a, "--tag")) {
			o->tag = v, i++;
		} else if (!strcmp(a, "--cap")) {
			o->output_cap = (uint32_t)strtoul(v, NULL, 0), i++;
		} else if (!strcmp(a, "--cwd")) {
			o->cwd = v, i++;
		} else if (!strcmp(a, "--user")) {
			o->set_user = 1;
			o->uid = o->gid = (uint32_t)strtoul(v, NULL, 0), i++;
		} else if (!strcmp(a, "--status")) {
			status_file = v, i++;
		} else if (!strcmp(a, "--pty")) {
			o->stdio[0] = o->stdio[1] = o->stdio[2] = HUTCH_STDIO_PTY;
		} else if (!strcmp(a, "--attached")) {
			o->detached = 0;
		} else {
			fprintf(stderr, "agentctl: unknown option '%s'\n", a);
			exit(2);
		}
	}
	fprintf(stderr, "agentctl: missing '-- COMMAND'\n");
	exit(2);
}

static int cmd_exec(struct hutch_agent *a, int argc, char **argv)
{
	struct hutch_spawn_opts o = { 0 };
	for (int i = 0; i < 3; i++) {
		o.stdio[i] = HUTCH_STDIO_FD;
		o.stdio_fd[i] = i;
	}
	if (argc > 0 && !strcmp(argv[0], "--print-own-fd1")) {
		/* What our stdout is, for the zero-copy check: the child must see the same. */
		char buf[256] = "";
		ssize_t n = readlink("/proc/self/fd/1", buf, sizeof(buf) - 1);
		fprintf(stderr, "%s\n", n > 0 ? buf : "?");
		argc--, argv++;
	}
	parse_opts(argc, argv, 0, &o, NULL, NULL);
	struct hutch_exit x;
	int r = hutch_agent_exec(a, &o, &x, &err);
	if (r < 0)
		die("exec", r);
	write_status(&x);
	return exit_status(&x);
}

static int cmd_run(struct hutch_agent *a, int argc, char **argv)
{
	struct hutch_spawn_opts o = { 0 };
	const char *in = NULL;
	size_t max = 0;
	parse_opts(argc, argv, 0, &o, &in, &max);
	struct hutch_output out;
	int r = hutch_agent_run(a, &o, in, in ? strlen(in) : 0, max, &out, &err);
	if (r < 0)
		die("run", r);
	write_all(1, out.out, out.out_len);
	write_all(2, out.err, out.err_len);
	write_status(&out.exit);
	if (out.out_truncated || out.err_truncated)
		fprintf(stderr, "[truncated]\n");
	r = exit_status(&out.exit);
	hutch_output_release(&out);
	return r;
}

static int cmd_stream(struct hutch_agent *a, int argc, char **argv)
{
	struct hutch_spawn_opts o = { 0 };
	const char *in = NULL;
	parse_opts(argc, argv, 0, &o, &in, NULL);
	struct hutch_exit x;
	int r = hutch_agent_run_stream(a, &o, in, in ? strlen(in) : 0, on_output, NULL, &x, &err);
	if (r < 0)
		die("run", r);
	write_status(&x);
	return exit_status(&x);
}

static int cmd_spawn(struct hutch_agent *a, int argc, char **argv)
{
	struct hutch_spawn_opts o = { .detached = 1 };
	o.stdio[0] = o.stdio[1] = o.stdio[2] = HUTCH_STDIO_PIPE;
	parse_opts(argc, argv, 0, &o, NULL, NULL);
	uint32_t id;
	int r = hutch_agent_spawn(a, &o, &id, NULL, &err);
	if (r < 0)
		die("spawn", r);
	printf("%u\n", id);
	return 0;
}

static int cmd_list(struct hutch_agent *a)
{
	struct hutch_proc_info *v;
	size_t n;
	int r = hutch_agent_list(a, &v, &n, &err);
	if (r < 0)
		die("list", r);
	for (size_t i = 0; i < n; i++)
		printf("id=%u pid=%u running=%d detached=%d tag=%s out=%" PRIu64 " err=%" PRIu64
		       " status=%d\n",
		       v[i].id, v[i].pid, v[i].running, v[i].detached, v[i].tag ? v[i].tag : "-",
		       v[i].cursor_out, v[i].cursor_err, v[i].running ? -1 : exit_status(&v[i].exit));
	hutch_proc_info_free(v, n);
	return 0;
}

static int cmd_attach(struct hutch_agent *a, int argc, char **argv)
{
	if (argc < 1)
		return 2;
	uint32_t id = (uint32_t)strtoul(argv[0], NULL, 0);
	uint64_t cur[2] = { 0, 0 }, dropped = 0;
	int follow = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--follow"))
			follow = 1;
		else if (!strcmp(argv[i], "--from") && i + 2 < argc) {
			cur[0] = strtoull(argv[i + 1], NULL, 0);
			cur[1] = strtoull(argv[i + 2], NULL, 0);
			i += 2;
		} else if (!strcmp(argv[i], "--status") && i + 1 < argc)
			status_file = argv[++i];
	}
	struct hutch_exit x = { 0 };
	int r = hutch_agent_attach(a, id, cur, follow, on_output, &dropped, &x, &err);
	if (r < 0)
		die("attach", r);
	if (status_file) {
		FILE *f = fopen(status_file, "we");
		if (f) {
			fprintf(f, "running=%d cursor_out=%" PRIu64 " cursor_err=%" PRIu64
				   " dropped=%" PRIu64 " code=%d\n",
				r == 0, cur[0], cur[1], dropped, r == 1 ? exit_status(&x) : -1);
			fclose(f);
		}
	}
	return 0;
}

static int cmd_simple(struct hutch_agent *a, const char *cmd, int argc, char **argv)
{
	uint32_t id = argc > 0 ? (uint32_t)strtoul(argv[0], NULL, 0) : 0;
	int r;
	if (!strcmp(cmd, "wait")) {
		struct hutch_exit x;
		if (argc > 2 && !strcmp(argv[1], "--status"))
			status_file = argv[2];
		r = hutch_agent_wait(a, id, &x, &err);
		if (r < 0)
			die("wait", r);
		write_status(&x);
		return exit_status(&x);
	}
	if (!strcmp(cmd, "signal")) {
		int sig = argc > 1 ? atoi(argv[1]) : SIGTERM;
		enum hutch_signal_scope sc = HUTCH_SIGNAL_PROCESS;
		if (argc > 2)
			sc = !strcmp(argv[2], "group") ? HUTCH_SIGNAL_GROUP : HUTCH_SIGNAL_TREE;
		r = hutch_agent_signal(a, id, sig, sc, &err);
	} else if (!strcmp(cmd, "stdin")) {
		r = hutch_agent_stdin_write(a, id, argc > 1 ? argv[1] : "",
					    argc > 1 ? strlen(argv[1]) : 0, &err);
		if (r >= 0 && argc > 2 && !strcmp(argv[2], "--close"))
			r = hutch_agent_stdin_close(a, id, &err);
	} else if (!strcmp(cmd, "release")) {
		r = hutch_agent_release(a, id, &err);
	} else if (!strcmp(cmd, "resize")) {
		r = hutch_agent_resize(a, id, argc > 1 ? (unsigned)atoi(argv[1]) : 24,
				       argc > 2 ? (unsigned)atoi(argv[2]) : 80, &err);
	} else if (!strcmp(cmd, "session-close")) {
		r = hutch_agent_session_close(a, id, &err);
	} else if (!strcmp(cmd, "shutdown")) {
		r = hutch_agent_shutdown(a, id, &err);
	} else {
		fprintf(stderr, "agentctl: unknown command '%s'\n", cmd);
		return 2;
	}
	if (r < 0)
		die(cmd, r);
	return 0;
}

static int cmd_session_new(struct hutch_agent *a, int argc, char **argv)
{
	struct hutch_spawn_opts o = { .detached = 1 };
	for (int i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--cwd"))
			o.cwd = argv[++i];
	uint32_t id;
	int r = hutch_agent_session_new(a, &o, &id, &err);
	if (r < 0)
		die("session-new", r);
	printf("%u\n", id);
	return 0;
}

static int cmd_session_exec(struct hutch_agent *a, int argc, char **argv)
{
	if (argc < 2)
		return 2;
	uint32_t id = (uint32_t)strtoul(argv[0], NULL, 0), timeout = 0;
	for (int i = 2; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--timeout"))
			timeout = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--status"))
			status_file = argv[++i];
	}
	struct hutch_output out;
	int r = hutch_agent_session_exec(a, id, argv[1], timeout, 0, &out, &err);
	if (r < 0)
		die("session-exec", r);
	write_all(1, out.out, out.out_len);
	write_all(2, out.err, out.err_len);
	write_status(&out.exit);
	r = out.exit.code;
	hutch_output_release(&out);
	return r;
}

#include "agentctl-files.c"

static int connect_raw(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("agentctl: connect");
		exit(100);
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *token = NULL;
	int i = 1;
	if (argc > 2 && !strcmp(argv[1], "--token")) {
		token = argv[2];
		i = 3;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: agentctl [--token T] SOCK COMMAND [ARGS...]\n");
		return 2;
	}
	const char *sock = argv[i], *cmd = argv[i + 1];
	int n = argc - i - 2;
	char **args = argv + i + 2;
	if (!strncmp(cmd, "raw-", 4))
		return cmd_raw(connect_raw(sock), cmd, n, args);
	struct hutch_agent *a;
	int r = hutch_agent_connect(sock, token, &a, &err);
	if (r < 0)
		die("connect", r);
	if (!strcmp(cmd, "exec"))
		r = cmd_exec(a, n, args);
	else if (!strcmp(cmd, "run"))
		r = cmd_run(a, n, args);
	else if (!strcmp(cmd, "stream"))
		r = cmd_stream(a, n, args);
	else if (!strcmp(cmd, "spawn"))
		r = cmd_spawn(a, n, args);
	else if (!strcmp(cmd, "list"))
		r = cmd_list(a);
	else if (!strcmp(cmd, "attach"))
		r = cmd_attach(a, n, args);
	else if (!strcmp(cmd, "session-new"))
		r = cmd_session_new(a, n, args);
	else if (!strcmp(cmd, "session-exec"))
		r = cmd_session_exec(a, n, args);
	else if (!strcmp(cmd, "session-busy"))
		r = cmd_session_busy(a, sock, token);
	else if (!strcmp(cmd, "session-owned"))
		r = cmd_session_owned(a);
	else if (!strcmp(cmd, "pty"))
		r = cmd_pty(a);
	else if (!strcmp(cmd, "hold"))
		r = cmd_hold(a, n, args);
	else if (is_file_cmd(cmd))
		r = cmd_file(a, cmd, n, args);
	else
		r = cmd_simple(a, cmd, n, args);
	hutch_agent_close(a);
	return r;
}
