/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch create, start, stop, rm: persistent sandboxes. A sandbox's directory and record
 * (sandbox.json) are made complete in a temporary directory and renamed into place, so
 * no other command ever sees a half-made one; every later change holds its lock.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/container.h"
#include "err.h"
#include "hutch.h"
#include "path.h"
#include "sandbox/mountpoints.h"
#include "sandbox/persist.h"
#include "sandbox/store.h"
#include "strv.h"

extern char **environ;

int lc_exit_code(int r, const struct hutch_err *err, int fallback)
{
	log_error("%s", err->msg[0] ? err->msg : strerror(-r));
	switch (r) {
	case -ENOENT: return HUTCH_EXIT_NO_SANDBOX;
	case -EEXIST: return HUTCH_EXIT_USAGE; /* an ambiguous id prefix */
	case -EINVAL: return HUTCH_EXIT_USAGE;
	case -EBUSY: case -EALREADY: case -ENOMSG: return HUTCH_EXIT_WRONG_STATE;
	default: return fallback;
	}
}

/* fds kept across sandbox_start() must not be at 3, which it takes for the agent socket. */
static int high_fd(int fd)
{
	if (fd < 0 || fd >= 64)
		return fd;
	int h = fcntl(fd, F_DUPFD_CLOEXEC, 64);
	close(fd);
	return h;
}

/*
 * The agent inherits our stdio; pointing it at /dev/null for the start keeps a caller's
 * pipe (`id=$(hutch create ...)`) from staying open for the sandbox's lifetime.
 */
static int stdio_to_null(int saved[3])
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	for (int i = 0; i < 3; i++) {
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 64);
		dup2(null, i);
	}
	close(null);
	return 0;
}

static void stdio_restore(int saved[3])
{
	for (int i = 0; i < 3; i++)
		if (saved[i] >= 0) {
			dup2(saved[i], i);
			close(saved[i]);
		}
}

/* Starts the container and the helpers of a locked sandbox; saves the record. A failure
 * because the main command does not exist sets *ret_main_not_found. */
static int bring_up(int dirfd, struct sandbox_meta *m, bool *ret_main_not_found,
		    struct hutch_err *err)
{
	int saved[3] = { -1, -1, -1 };
	struct sandbox_up_result up;
	stdio_to_null(saved);
	m->generation++;
	m->has_exit = false;
	int r = sandbox_up(g.root, m->id, m, &up, err);
	stdio_restore(saved);
	*ret_main_not_found = r < 0 && up.main_not_found;
	if (r < 0)
		return r;
	m->main_id = up.main_id;
	if (up.no_limits)
		log_warn("cgroups are not delegated to this user: memory, pids and CPU limits are not enforced");
	if (m->main_id && lc_spawn_logger(m->id, m->generation, m->main_id, &m->logger) < 0)
		log_warn("sandbox '%s': cannot start the log follower", m->id);
	bool reaper_alive = m->reaper.pid > 0 && pid_start_time(m->reaper.pid) == m->reaper.start;
	if (m->ttl && !reaper_alive &&
	    lc_spawn_reaper(m->id, m->created + m->ttl, &m->reaper) < 0)
		log_warn("sandbox '%s': cannot start the ttl reaper", m->id);
	return sandbox_meta_save(dirfd, m, err);
}

static int up_exit_code(int r, bool main_not_found, const struct hutch_err *err,
			const struct sandbox_meta *m)
{
	/* Only this flag says "not found": an errno would be ambiguous (an agent that
	 * cannot be exec'd fails with ENOEXEC, for one). */
	if (main_not_found) {
		log_error("%s: command not found in the sandbox", m->argv[0]);
		return HUTCH_EXIT_NOT_FOUND;
	}
	log_error("%s", err->msg);
	/* The agent refused the main command: a file system is below its disk reserve. */
	return r == -ENOSPC ? HUTCH_EXIT_DISK_RESERVE : HUTCH_EXIT_SANDBOX;
}

/* ---- create ---- */

/* The record from the options; the workspace made absolute so `start` works anywhere. */
static int meta_from_args(struct cli_sandbox_args *a, const char *id, struct sandbox_meta *m,
			  struct hutch_err *err)
{
	/* What a record may hold (meta.c refuses to load more). */
	if (strv_length(a->labels) > 256 || strv_length(a->argv) > 4096)
		return err_set(err, E2BIG, "too many labels (at most 256) or arguments (at most 4096)");
	const char *ws = a->sb.workspace ? a->sb.workspace : ".";
	_cleanup_free_ char *abs = *ws ? realpath(ws, NULL) : strdup("");
	if (!abs)
		return err_set_errno(err, errno, "workspace '%s'", ws);
	const char *given = a->sb.workspace;
	a->sb.workspace = abs;
	m->opts = sandbox_opts_to_json(&a->sb);
	a->sb.workspace = given;
	m->id = strdup(id);
	m->name = a->name ? strdup(a->name) : NULL;
	m->labels = strv_copy(a->labels);
	m->argv = a->argv && a->argv[0] ? strv_copy(a->argv) : NULL;
	m->created = time(NULL);
	m->ttl = a->ttl_s;
	m->rm = a->rm;
	m->timeout_ms = a->timeout_ms;
	if (!m->opts || !m->id || (a->labels && !m->labels) || (a->argv[0] && !m->argv))
		return err_set(err, ENOMEM, "out of memory");
	return sandbox_filter_env(&a->sb, environ, &m->env, err);
}

static void discard_tmp(const char *tmp)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof(p), "%s/%s", tmp, SANDBOX_META_FILE);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock", tmp);
	unlink(p);
	rmdir(tmp);
}

/*
 * A new id's directory, complete with its record, renamed into place (RENAME_NOREPLACE: an
 * id already taken gets a new one). Returns it locked.
 */
static int make_dir(struct sandbox_meta *m, int *ret_dirfd, int *ret_lockfd, struct hutch_err *err)
{
	int r = mkdir_p(g.root, 0700);
	if (r < 0)
		return err_set_errno(err, -r, "create state root '%s'", g.root);
	for (int tries = 0; tries < 8; tries++) {
		char tmp[PATH_MAX], dst[PATH_MAX], id[SANDBOX_ID_MAX];
		sandbox_new_id(id);
		snprintf(tmp, sizeof(tmp), "%s/.new-%s", g.root, id);
		snprintf(dst, sizeof(dst), "%s/%s", g.root, id);
		if (mkdir(tmp, 0700) < 0)
			return err_set_errno(err, errno, "create '%s'", tmp);
		free(m->id);
		m->id = strdup(id);
		int dfd = high_fd(open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
		int lfd = dfd >= 0 ? high_fd(state_lock(dfd, err)) : -1;
		r = lfd < 0 ? -EIO : sandbox_meta_save(dfd, m, err);
		if (r >= 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) == 0) {
			*ret_dirfd = dfd;
			*ret_lockfd = lfd;
			return 0;
		}
		int e = r < 0 ? -r : errno;
		safe_close(dfd);
		safe_close(lfd);
		discard_tmp(tmp);
		if (r < 0 || e != EEXIST)
			return err->code ? -err->code : err_set_errno(err, e, "create sandbox directory");
	}
	return err_set(err, EEXIST, "no free sandbox id");
}

/* Undoes a create that failed after its directory was in place. */
static void undo_create(int *dirfd, int *lockfd, struct sandbox_meta *m)
{
	sandbox_destroy(g.root, m->id, m);
	*dirfd = safe_close(*dirfd);
	*lockfd = safe_close(*lockfd);
}

static int create_locked(struct sandbox_meta *m, int *dirfd, int *lockfd)
{
	struct hutch_err err = { 0 };
	int r = make_dir(m, dirfd, lockfd, &err);
	if (r < 0) {
		log_error("%s", err.msg);
		return HUTCH_EXIT_SANDBOX;
	}
	if (m->name && (r = sandbox_name_claim(g.root, m->name, m->id, &err)) < 0) {
		char *name = m->name;
		m->name = NULL; /* not ours: keep it */
		undo_create(dirfd, lockfd, m);
		m->name = name;
		log_error("%s", err.msg);
		return r == -EEXIST ? HUTCH_EXIT_NAME_IN_USE : HUTCH_EXIT_USAGE;
	}
	bool not_found;
	if ((r = bring_up(*dirfd, m, &not_found, &err)) < 0) {
		int code = up_exit_code(r, not_found, &err, m);
		undo_create(dirfd, lockfd, m);
		return code;
	}
	return 0;
}

static const char create_help[] =
	"\nWhen the main process ends, the sandbox stops (its output stays: see logs, wait);\n"
	"without CMD the sandbox idles until stop or rm. A stopped one can be started again.\n"
	"Exit codes: 0 ok (the id is printed), 2 usage, 6 name already in use, 125 the\n"
	"sandbox could not be made, 127 the main command was not found (nothing is left behind\n"
	"on failure). With --rm the sandbox is removed when its main process ends or it stops;\n"
	"with --ttl SECS it is stopped and removed SECS after creation, whatever runs.\n";

int cmd_create(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cli_sandbox_usage(stdout, "create");
			fputs(create_help, stdout);
			return 0;
		}
	_cleanup_(cli_sandbox_args_release) struct cli_sandbox_args a = { 0 };
	if (cli_parse_sandbox_args(argc, argv, &a) < 0)
		return HUTCH_EXIT_USAGE;
	if (a.tty)
		log_warn("create: -t is ignored (the main process's output goes to the log)");
	if (!(a.sb.agent = hutch_agent_binary())) {
		log_error("cannot find hutch-agent (set HUTCH_AGENT to its path)");
		return HUTCH_EXIT_SANDBOX;
	}
	struct hutch_err err = { 0 };
	_cleanup_meta_ struct sandbox_meta m = { 0 };
	_cleanup_spec_ struct spec *spec = NULL;
	/* Bad options fail here, before anything exists. */
	if (meta_from_args(&a, "", &m, &err) < 0 || sandbox_build_spec(&a.sb, &spec, &err) < 0) {
		log_error("%s", err.msg);
		return HUTCH_EXIT_USAGE;
	}
	cli_warn_rules(spec);
	/* Before anything is made: what is missing now is ours to remove (rm, prune, --rm). */
	if (sandbox_mountpoints_plan(spec, &m.mp_workspace, &m.mp_paths) < 0) {
		log_error("out of memory");
		return HUTCH_EXIT_SANDBOX;
	}
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	int code = create_locked(&m, &dirfd, &lockfd);
	if (code == 0)
		printf("%s\n", m.id);
	return code;
}

/* ---- start, stop, rm ---- */

/* Parses "[-h] ID..." style arguments with extra short options; returns optind or -1. */
static int simple_args(int argc, char **argv, const char *usage, const char *shortopts,
		       const struct option *longopts, int (*opt)(int c, const char *arg))
{
	int c;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			exit(0);
		}
		if (c == '?' || !opt || opt(c, optarg) < 0) {
			fputs(usage, stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		log_error("%s: a sandbox id or name is required", argv[0]);
		return -1;
	}
	return optind;
}

static const struct option help_only[] = { { "help", no_argument, NULL, 'h' }, { 0 } };

/* A sandbox made by `hutch run` has no record: the engine's state is at the top. */
static bool has_record(const char *id)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s/%s", g.root, id, SANDBOX_META_FILE);
	return access(p, F_OK) == 0;
}

/* Resolves, locks and loads a persistent sandbox. */
static int open_locked(const char *arg, int *dirfd, int *lockfd, struct sandbox_meta *m,
		       struct hutch_err *err)
{
	char id[SANDBOX_ID_MAX];
	int r = sandbox_resolve(g.root, arg, id, err);
	if (r < 0)
		return r;
	if (!has_record(id))
		return err_set(err, ENOMSG, "sandbox '%s' was made by `hutch run`: only rm and prune apply", arg);
	if ((r = sandbox_lock(g.root, id, dirfd, lockfd, err)) < 0)
		return r;
	*dirfd = high_fd(*dirfd);
	*lockfd = high_fd(*lockfd);
	if ((r = sandbox_meta_load(*dirfd, m, err)) < 0)
		return r == -ENOENT ? err_set(err, ENOENT, "sandbox '%s' does not exist", arg) : r;
	return 0;
}

static const char start_usage[] =
	"usage: hutch start ID...\n\n"
	"Starts stopped sandboxes again from their saved settings, with their main command.\n"
	"Exit codes: 0, 1 no such sandbox, 2 usage, 7 already running, 125 could not be\n"
	"started, 127 main command not found.\n";

int cmd_start(int argc, char **argv)
{
	int i = simple_args(argc, argv, start_usage, "+h", help_only, NULL), code = 0;
	for (; i > 0 && i < argc; i++) {
		struct hutch_err err = { 0 };
		_cleanup_meta_ struct sandbox_meta m = { 0 };
		_cleanup_close_ int dirfd = -1, lockfd = -1;
		int r = open_locked(argv[i], &dirfd, &lockfd, &m, &err);
		if (r >= 0 && sandbox_live_status(g.root, m.id) != SANDBOX_STOPPED)
			r = err_set(&err, EBUSY, "sandbox '%s' is already running", argv[i]);
		if (r < 0) {
			code = code ? code : lc_exit_code(r, &err, HUTCH_EXIT_SANDBOX);
			continue;
		}
		bool not_found;
		if ((r = bring_up(dirfd, &m, &not_found, &err)) < 0) {
			code = code ? code : up_exit_code(r, not_found, &err, &m);
			continue;
		}
		printf("%s\n", m.id);
	}
	return i < 0 ? HUTCH_EXIT_USAGE : code;
}

static uint32_t stop_grace_ms = 10000;

static int stop_opt(int c, const char *arg)
{
	char *end;
	double d = strtod(arg, &end);
	if (c != 't' || end == arg || *end || d < 0 || d > 86400) {
		log_error("stop: -t: invalid number of seconds '%s'", arg);
		return -1;
	}
	stop_grace_ms = d == 0 ? 1 : (uint32_t)(d * 1000);
	return 0;
}

static const char stop_usage[] =
	"usage: hutch stop [-t SECS] ID...\n\n"
	"Stops sandboxes: SIGTERM to every process, SIGKILL after SECS (default 10). The\n"
	"sandbox stays (status stopped) until rm, unless it was made with --rm.\n"
	"Exit codes: 0 (also for a stopped one), 1 no such sandbox, 2 usage, 8 failed.\n";

/*
 * A main process still running when the agent's grace period ran out dies with the agent's
 * SIGKILL, which the agent no longer reports: record it as such so `wait` has an answer.
 */
static void record_killed(const char *id, uint32_t generation)
{
	_cleanup_meta_ struct sandbox_meta m = { 0 };
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	if (sandbox_lock(g.root, id, &dirfd, &lockfd, NULL) < 0 ||
	    sandbox_meta_load(dirfd, &m, NULL) < 0 || m.generation != generation ||
	    !m.main_id || m.has_exit)
		return;
	m.has_exit = true;
	m.exit_code = 128 + SIGKILL;
	m.finished = time(NULL);
	sandbox_meta_save(dirfd, &m, NULL);
}

static int stop_one(const char *arg, struct hutch_err *err)
{
	_cleanup_meta_ struct sandbox_meta m = { 0 };
	int dirfd = -1, lockfd = -1;
	int r = open_locked(arg, &dirfd, &lockfd, &m, err);
	if (r >= 0)
		r = sandbox_down(g.root, m.id, stop_grace_ms, err);
	safe_close(dirfd);
	safe_close(lockfd);
	if (r < 0)
		return r;
	/* The log follower records the main process's exit; let it finish before we return. */
	sandbox_helper_wait(&m.logger, 3000);
	record_killed(m.id, m.generation);
	if (m.rm && (r = lc_remove(m.id, true, err)) == -ENOENT)
		r = 0;
	return r;
}

int cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = { { "time", required_argument, NULL, 't' },
					      { "help", no_argument, NULL, 'h' }, { 0 } };
	int i = simple_args(argc, argv, stop_usage, "+t:h", opts, stop_opt), code = 0;
	for (; i > 0 && i < argc; i++) {
		struct hutch_err err = { 0 };
		int r = stop_one(argv[i], &err);
		if (r < 0)
			code = code ? code : lc_exit_code(r, &err, HUTCH_EXIT_FAILED);
	}
	return i < 0 ? HUTCH_EXIT_USAGE : code;
}

/* A `hutch run` sandbox: only the engine knows it (and holds its lock). */
static int remove_run_dir(const char *id, bool force, struct hutch_err *err)
{
	struct container_state st;
	enum container_status cs;
	if (container_load(g.root, id, &st, &cs, NULL) >= 0) {
		container_state_release(&st);
		if ((cs == STATUS_RUNNING || cs == STATUS_PAUSED) && !force)
			return err_set(err, EBUSY, "sandbox '%s' is running (use rm -f)", id);
	}
	sandbox_cleanup(g.root, id);
	return 0;
}

int lc_remove(const char *arg, bool force, struct hutch_err *err)
{
	char id[SANDBOX_ID_MAX];
	int r = sandbox_resolve(g.root, arg, id, err);
	if (r < 0)
		return r;
	if (!has_record(id))
		return remove_run_dir(id, force, err);
	_cleanup_meta_ struct sandbox_meta m = { 0 };
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	if ((r = sandbox_lock(g.root, id, &dirfd, &lockfd, err)) < 0)
		return r;
	r = sandbox_meta_load(dirfd, &m, NULL);
	if (r == -ENOENT)
		return err_set(err, ENOENT, "sandbox '%s' does not exist", arg);
	enum sandbox_status st = sandbox_live_status(g.root, id);
	if (!force && (st == SANDBOX_RUNNING || st == SANDBOX_PAUSED))
		return err_set(err, EBUSY, "sandbox '%s' is running (stop it first, or rm -f)", arg);
	sandbox_destroy(g.root, id, r < 0 ? NULL : &m);
	return 0;
}

static bool rm_force;

static int rm_opt(int c, const char *arg)
{
	(void)arg;
	rm_force = c == 'f';
	return rm_force ? 0 : -1;
}

static const char rm_usage[] =
	"usage: hutch rm [-f] ID...\n\n"
	"Removes sandboxes: record, name, log, cgroups, agent socket. A running one is refused\n"
	"unless -f (--force), which kills it first.\n"
	"Exit codes: 0, 1 no such sandbox, 2 usage, 7 running (without -f).\n";

int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' }, { 0 } };
	int i = simple_args(argc, argv, rm_usage, "+fh", opts, rm_opt), code = 0;
	for (; i > 0 && i < argc; i++) {
		struct hutch_err err = { 0 };
		int r = lc_remove(argv[i], rm_force, &err);
		if (r < 0)
			code = code ? code : lc_exit_code(r, &err, HUTCH_EXIT_FAILED);
	}
	return i < 0 ? HUTCH_EXIT_USAGE : code;
}
