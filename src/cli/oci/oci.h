/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hutch-oci: runc's command line over libhutch's engine. One file per command. */
#pragma once

#include <stdbool.h>
#include <getopt.h>

#include "hutch/hutch.h"
#include "log.h"

struct oci_globals {
	const char *root; /* state root (--root) */
	bool systemd_cgroup;
	bool debug;
};

extern struct oci_globals oci;

struct oci_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Reports err (to the log file in JSON if asked, and to stderr) and returns exit code 1. */
int oci_fail(const struct hutch_err *err);
/* Reports a usage or input error and returns 1. */
int oci_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exactly one positional container id after the options, or a usage error. */
int oci_need_id(int argc, char **argv, const char *cmd, const char **ret_id);
/* Parses "SIGTERM", "TERM", "term" or "15". -1 if unknown. */
int oci_parse_signal(const char *s);

/*
 * Waits for our child pid while forwarding signals to it; relays a pty master to our stdio
 * if pty >= 0 (raw mode on our terminal). Returns the exit code (128+N for a signal).
 */
int oci_wait_forward(int pid, int pty);

int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_spec(int argc, char **argv);
int cmd_features(int argc, char **argv);
