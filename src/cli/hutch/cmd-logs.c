/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch logs and wait, and the log follower: a detached helper that attaches to the main
 * process (whose output the agent keeps in its buffer), appends it to <dir>/main.log up to
 * SANDBOX_LOG_MAX bytes (then a marker, and the rest is dropped), and when the main process
 * ends records its exit code and stops the sandbox (or removes it, with --rm).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/state.h"
#include "err.h"
#include "fileio.h"
#include "hutch.h"
#include "sandbox/persist.h"
#include "sandbox/store.h"

#define TRUNCATED_MARK "\n[hutch: log truncated: output beyond 8 MiB was dropped]\n"

struct logger_args {
	char id[SANDBOX_ID_MAX];
	uint32_t generation, main_id;
};

struct log_sink {
	int fd;
	uint64_t size;
	bool marked; /* the truncation marker is written */
};

/* Appends up to the cap; the first byte past it (in this chunk or a later one) writes the
 * marker, once. */
static void log_write(struct log_sink *s, const void *data, size_t len)
{
	size_t room = s->size < SANDBOX_LOG_MAX ? SANDBOX_LOG_MAX - s->size : 0;
	size_t keep = MIN(len, room);
	if (keep) {
		write_full(s->fd, data, keep);
		s->size += keep;
	}
	if (len > keep && !s->marked) {
		write_full(s->fd, TRUNCATED_MARK, strlen(TRUNCATED_MARK));
		s->marked = true;
	}
}

static void on_output(void *p, int stream, const void *data, size_t len, uint64_t dropped)
{
	(void)stream;
	if (dropped) {
		char mark[96];
		int n = snprintf(mark, sizeof(mark), "\n[hutch: %llu bytes of output were lost]\n",
				 (unsigned long long)dropped);
		log_write(p, mark, (size_t)n);
	}
	log_write(p, data, len);
}

/* Records how the main process ended, then stops (or removes) the sandbox. */
static void main_ended(const struct logger_args *a, const struct hutch_exit *ex)
{
	_cleanup_meta_ struct sandbox_meta m = { 0 };
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	if (sandbox_lock(g.root, a->id, &dirfd, &lockfd, NULL) < 0 ||
	    sandbox_meta_load(dirfd, &m, NULL) < 0 || m.generation != a->generation)
		return; /* removed, or started again meanwhile: not ours to touch */
	m.has_exit = true;
	m.exit_code = sandbox_exit_code(ex);
	m.finished = time(NULL);
	sandbox_meta_save(dirfd, &m, NULL);
	if (m.rm)
		sandbox_destroy(g.root, a->id, &m);
	else if (sandbox_live_status(g.root, a->id) != SANDBOX_STOPPED)
		sandbox_down(g.root, a->id, 3000, NULL);
}

static void logger_main(void *p)
{
	struct logger_args *a = p;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s/%s", g.root, a->id, SANDBOX_LOG_FILE);
	struct log_sink s = { .fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600) };
	struct stat st;
	if (s.fd < 0 || fstat(s.fd, &st) < 0)
		return;
	s.size = (uint64_t)st.st_size;
	s.marked = s.size > SANDBOX_LOG_MAX; /* a log from before a restart may hold it already */
	struct hutch_agent *agent = NULL;
	if (sandbox_connect(g.root, a->id, &agent, NULL, NULL) < 0)
		return;
	uint64_t cursor[2] = { 0, 0 };
	struct hutch_exit ex = { 0 };
	int r = hutch_agent_attach(agent, a->main_id, cursor, 1, on_output, &s, &ex, NULL);
	hutch_agent_close(agent);
	close(s.fd);
	if (r == 1)
		main_ended(a, &ex);
}

int lc_spawn_logger(const char *id, uint32_t generation, uint32_t main_id, struct sandbox_helper *ret)
{
	struct logger_args a = { .generation = generation, .main_id = main_id };
	snprintf(a.id, sizeof(a.id), "%s", id);
	return lc_spawn_helper(logger_main, &a, ret);
}

/* ---- logs ---- */

/* Loads the record of a persistent sandbox, without its lock (records are replaced by
 * rename, so a read never sees half of one). */
static int load_record(const char *arg, char id[SANDBOX_ID_MAX], struct sandbox_meta *m,
		       struct hutch_err *err)
{
	int r = sandbox_resolve(g.root, arg, id, err);
	if (r < 0)
		return r;
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", g.root, id);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || sandbox_meta_load(fd, m, NULL) < 0)
		return err_set(err, ENOENT, "sandbox '%s' does not exist (or was made by `hutch run`)", arg);
	if (!m->argv)
		return err_set(err, ENOMSG, "sandbox '%s' has no main process", arg);
	return 0;
}

/* Whether the main process of this run of the sandbox is done (its output complete). */
static bool main_done(const char *id, uint32_t generation)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", g.root, id);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_meta_ struct sandbox_meta m = { 0 };
	if (fd < 0 || sandbox_meta_load(fd, &m, NULL) < 0)
		return true; /* removed */
	return m.generation != generation || m.has_exit ||
	       sandbox_live_status(g.root, id) == SANDBOX_STOPPED;
}

static int copy_new(int fd)
{
	char buf[65536];
	ssize_t n;
	int total = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (write_full(STDOUT_FILENO, buf, (size_t)n) < 0)
			return -EPIPE;
		total += (int)n;
	}
	return total;
}

static int show_log(const char *id, uint32_t generation, bool follow)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s/%s", g.root, id, SANDBOX_LOG_FILE);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	for (;;) {
		if (fd < 0)
			fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 && copy_new(fd) < 0)
			return 0;
		if (!follow)
			return 0;
		if (main_done(id, generation)) {
			if (fd >= 0)
				copy_new(fd); /* what came after our last read */
			return 0;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
}

static const char logs_usage[] =
	"usage: hutch logs [-f] ID\n\n"
	"Prints the output (stdout and stderr, merged) of the sandbox's main process, also\n"
	"after it ended. At most 8 MiB is kept; a marker line says where the rest was dropped.\n"
	"  -f, --follow   keep printing until the main process ends\n"
	"Exit codes: 0, 1 no such sandbox, 2 usage, 7 no main process.\n";

int cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = { { "follow", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' }, { 0 } };
	bool follow = false;
	int c;
	while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(logs_usage, stdout);
			return 0;
		}
		if (c != 'f') {
			fputs(logs_usage, stderr);
			return HUTCH_EXIT_USAGE;
		}
		follow = true;
	}
	if (optind != argc - 1) {
		fputs(logs_usage, stderr);
		return HUTCH_EXIT_USAGE;
	}
	struct hutch_err err = { 0 };
	_cleanup_meta_ struct sandbox_meta m = { 0 };
	char id[SANDBOX_ID_MAX];
	int r = load_record(argv[optind], id, &m, &err);
	if (r < 0)
		return lc_exit_code(r, &err, HUTCH_EXIT_FAILED);
	return show_log(id, m.generation, follow);
}

/* ---- wait ---- */

/* Asks the agent directly: the exit code arrives even if --rm removes the sandbox then. */
static int wait_agent(const char *id, uint32_t main_id)
{
	struct hutch_agent *a = NULL;
	struct hutch_exit ex;
	if (sandbox_connect(g.root, id, &a, NULL, NULL) < 0)
		return -1;
	int r = hutch_agent_wait(a, main_id, &ex, NULL);
	hutch_agent_close(a);
	return r < 0 ? -1 : sandbox_exit_code(&ex);
}

/* After the agent said the main process ended, gives the log follower time to write its
 * last output and the exit, so `hutch wait; hutch logs` shows everything. */
static void settle_logger(const char *id, uint32_t generation, const struct sandbox_helper *h)
{
	for (int i = 0; i < 100 && h->pid > 0 && pid_start_time(h->pid) == h->start; i++) {
		if (main_done(id, generation))
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	}
}

static const char wait_usage[] =
	"usage: hutch wait ID\n\n"
	"Waits for the sandbox's main process to end and exits with its exit code (128+N if\n"
	"killed by signal N, 124 on its --timeout).\n"
	"Exit codes of hutch's own errors: 1 no such sandbox, 2 usage, 7 no main process,\n"
	"125 the sandbox stopped without reporting an exit code.\n";

int cmd_wait(int argc, char **argv)
{
	int c;
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		fputs(wait_usage, c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : HUTCH_EXIT_USAGE;
	}
	if (optind != argc - 1) {
		fputs(wait_usage, stderr);
		return HUTCH_EXIT_USAGE;
	}
	struct hutch_err err = { 0 };
	char id[SANDBOX_ID_MAX];
	for (int stopped_polls = 0;;) {
		_cleanup_meta_ struct sandbox_meta m = { 0 };
		int r = load_record(argv[optind], id, &m, &err);
		if (r < 0)
			return lc_exit_code(r, &err, HUTCH_EXIT_SANDBOX);
		if (m.has_exit)
			return m.exit_code;
		if (sandbox_live_status(g.root, id) == SANDBOX_RUNNING && (r = wait_agent(id, m.main_id)) >= 0) {
			settle_logger(id, m.generation, &m.logger);
			return r;
		}
		/* Stopped without a recorded exit: the follower may be about to write it. */
		if (sandbox_live_status(g.root, id) == SANDBOX_STOPPED && ++stopped_polls > 30) {
			log_error("sandbox '%s' stopped without an exit code for its main process", argv[optind]);
			return HUTCH_EXIT_SANDBOX;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
}
