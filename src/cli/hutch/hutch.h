/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hutch: the sandbox command line. One file per command, table in main.c. */
#pragma once

#include <getopt.h>
#include <stdbool.h>

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

int cmd_run(int argc, char **argv);
