/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hutch: the sandbox command line. One file per command, table in main.c. */
#pragma once

#include <getopt.h>
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

int cmd_run(int argc, char **argv);
/* lifecycle commands */
/* interaction commands */
