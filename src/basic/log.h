/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging, for main() programs only: the library never logs. Text goes to stderr (or a file);
 * the json format writes one object per line, as containerd expects from a runc-like runtime:
 *   {"level":"error","msg":"...","time":"2026-01-01T00:00:00Z"}
 */
#pragma once

#include <stdbool.h>
#include "macro.h"

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Opens path for appending (NULL: stderr). json selects the JSON-lines format. */
int log_open(const char *path, bool json);
void log_set_level(enum log_level level);
void log_set_prefix(const char *prefix);
/* Also echo errors to stderr when logging to a file (the CLI user should see them). */
void log_set_echo_errors(bool echo);
void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
