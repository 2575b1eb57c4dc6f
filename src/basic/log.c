/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int log_fd = STDERR_FILENO;
static bool log_json;
static bool log_echo_errors;
static enum log_level log_min = LOG_LEVEL_WARN;
static const char *log_prefix = "hutch";
static const char *const level_names[] = { "debug", "info", "warning", "error" };

int log_open(const char *path, bool json)
{
	log_json = json;
	if (!path)
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return negative_errno();
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void log_set_level(enum log_level level)
{
	log_min = level;
}

void log_set_prefix(const char *prefix)
{
	log_prefix = prefix;
}

void log_set_echo_errors(bool echo)
{
	log_echo_errors = echo;
}

/* Escapes msg as a JSON string body into out (always NUL-terminated). */
static void json_escape(const char *msg, char *out, size_t size)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)msg; *p && o + 7 < size; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p < 0x20) {
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
}

static void emit(int fd, bool json, enum log_level level, const char *msg)
{
	char line[2048];
	int n;
	if (json) {
		char esc[1600], ts[40];
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_escape(msg, esc, sizeof(esc));
		n = snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
			     level_names[level], esc, ts);
	} else {
		n = snprintf(line, sizeof(line), "%s: %s%s\n", log_prefix,
			     level == LOG_LEVEL_ERROR ? "" : level == LOG_LEVEL_WARN ? "warning: " : "",
			     msg);
	}
	if (n > 0) {
		ssize_t _unused_ w = write(fd, line, MIN((size_t)n, sizeof(line) - 1));
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < log_min)
		return;
	int saved = errno;
	char msg[1500];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(log_fd, log_json, level, msg);
	if (level == LOG_LEVEL_ERROR && log_echo_errors && log_fd != STDERR_FILENO)
		emit(STDERR_FILENO, false, level, msg);
	errno = saved;
}
