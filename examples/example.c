/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small libhutch client: connects to a hutch-agent socket, runs one command with its output
 * captured, then runs two commands in a session to show that the working directory persists.
 *
 * Build (against an installed libhutch):
 *   cc example.c $(pkg-config --cflags --libs hutch) -o example
 * Run, e.g. against a standalone agent:
 *   hutch-agent --listen /tmp/agent.sock &
 *   ./example /tmp/agent.sock
 * With a token (hutch-agent --listen PATH --token-stdin), pass it in $HUTCH_TOKEN.
 */
#include <stdio.h>
#include <stdlib.h>

#include <hutch/hutch.h>

/* Every libhutch call returns < 0 on failure and fills a struct hutch_err with the reason. */
static int fail(const char *what, const struct hutch_err *err)
{
	fprintf(stderr, "example: %s: %s\n", what, hutch_err_message(err));
	return 1;
}

/* Runs one command and prints what it wrote and how it ended. */
static int run_once(struct hutch_agent *agent)
{
	struct hutch_err err = { 0 };
	const char *argv[] = { "sh", "-c", "echo hello from $(uname -s); echo oops >&2; exit 3", NULL };
	/* Zero-initialised options are the defaults: the agent's environment and cwd. */
	struct hutch_spawn_opts opts = { .argv = argv };
	struct hutch_output out = { 0 };
	/* No stdin (NULL), output capped at 64 KiB per stream. */
	if (hutch_agent_run(agent, &opts, NULL, 0, 64 * 1024, &out, &err) < 0)
		return fail("run", &err);
	printf("stdout: %s", out.out);
	printf("stderr: %s", out.err);
	if (out.exit.exited)
		printf("exit code: %d\n", out.exit.code);
	else
		printf("killed by signal %d\n", out.exit.signal);
	hutch_output_release(&out);
	return 0;
}

/* A session is one persistent shell: `cd` in the first command holds for the second. */
static int run_session(struct hutch_agent *agent)
{
	struct hutch_err err = { 0 };
	uint32_t sid;
	if (hutch_agent_session_new(agent, NULL, &sid, &err) < 0)
		return fail("session", &err);
	const char *commands[] = { "cd /tmp && export GREETING=hi", "echo \"$GREETING from $(pwd)\"" };
	for (size_t i = 0; i < 2; i++) {
		struct hutch_output out = { 0 };
		/* 5 s timeout per command; 0 for the default output cap */
		if (hutch_agent_session_exec(agent, sid, commands[i], 5000, 0, &out, &err) < 0)
			return fail("session exec", &err);
		printf("session[%zu] exit %d: %s", i, out.exit.code, out.out);
		hutch_output_release(&out);
	}
	if (hutch_agent_session_close(agent, sid, &err) < 0)
		return fail("session close", &err);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s AGENT_SOCKET\n", argv[0]);
		return 2;
	}
	printf("libhutch %s\n", hutch_version());
	struct hutch_err err = { 0 };
	struct hutch_agent *agent = NULL;
	/* The token is NULL unless the agent was started with --token-stdin. */
	if (hutch_agent_connect(argv[1], getenv("HUTCH_TOKEN"), &agent, &err) < 0)
		return fail("connect", &err);
	int r = run_once(agent);
	if (r == 0)
		r = run_session(agent);
	/* Closing the connection also ends any process it started that is still running. */
	hutch_agent_close(agent);
	return r;
}
