/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch prune, the ttl reaper, and the detached helper processes of persistent sandboxes.
 * A helper outlives the command that made it: double fork and setsid, so it is nobody's
 * child and has no terminal; stdio on /dev/null and every other fd closed, so it keeps no
 * pipe of the caller open (`$(hutch create)` returns at once) and no lock.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "engine/container.h"
#include "err.h"
#include "hutch.h"
#include "sandbox/persist.h"
#include "sandbox/store.h"
#include "strv.h"

static void become_detached(void)
{
	int null = open("/dev/null", O_RDWR);
	for (int i = 0; i < 3; i++)
		dup2(null, i);
	close_range(3, ~0u, 0);
	if (chdir("/") < 0)
		_exit(1);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
}

int lc_spawn_helper(void (*fn)(void *), void *arg, struct sandbox_helper *ret)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t c = fork();
	if (c < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (c == 0) {
		setsid();
		pid_t gc = fork();
		if (gc != 0)
			_exit(gc < 0);
		pid_t me = getpid();
		(void)!write(p[1], &me, sizeof(me));
		become_detached();
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	int st;
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	pid_t pid = 0;
	ssize_t n = read(p[0], &pid, sizeof(pid));
	close(p[0]);
	if (n != sizeof(pid) || pid <= 0)
		return -ECHILD;
	ret->pid = pid;
	ret->start = pid_start_time(pid);
	return 0;
}

/* ---- ttl ---- */

struct reaper_args {
	char id[SANDBOX_ID_MAX];
	int64_t expires;
};

/* Sleeps until the sandbox expires, then removes it (rm kills us if it comes first). */
static void reaper_main(void *p)
{
	struct reaper_args *a = p;
	struct timespec ts = { .tv_sec = a->expires };
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	lc_remove(a->id, true, NULL);
}

int lc_spawn_reaper(const char *id, int64_t expires, struct sandbox_helper *ret)
{
	struct reaper_args a = { .expires = expires };
	snprintf(a.id, sizeof(a.id), "%s", id);
	return lc_spawn_helper(reaper_main, &a, ret);
}

/* ---- prune ---- */

struct prune_opts {
	char **filters; /* "K=V" or "K" */
	bool all;       /* running ones too */
};

/* A persistent sandbox: stopped, expired, or (--all) any; with filters, labelled ones. */
static bool prune_one(const char *id, const struct prune_opts *o)
{
	_cleanup_meta_ struct sandbox_meta m = { 0 };
	_cleanup_close_ int dirfd = -1, lockfd = -1;
	if (sandbox_lock(g.root, id, &dirfd, &lockfd, NULL) < 0)
		return false;
	int r = sandbox_meta_load(dirfd, &m, NULL);
	if (r == -ENOENT)
		return false; /* removed while we waited for the lock */
	if (r < 0) { /* a corrupt record: nothing can use it, and no label filter matches it */
		if (o->filters)
			return false;
		sandbox_destroy(g.root, id, NULL);
		return true;
	}
	if (!sandbox_meta_match(&m, o->filters))
		return false;
	bool expired = m.ttl && m.created + m.ttl <= time(NULL);
	if (!o->all && !expired && sandbox_live_status(g.root, id) != SANDBOX_STOPPED)
		return false;
	sandbox_destroy(g.root, id, &m);
	return true;
}

/* A `hutch run` sandbox whose processes are gone (its CLI was killed). A live one belongs
 * to its running CLI, which removes it: even --all leaves it alone. */
static bool prune_run_dir(const char *id, const struct prune_opts *o)
{
	struct container_state st;
	enum container_status cs;
	if (o->filters || container_load(g.root, id, &st, &cs, NULL) < 0)
		return false;
	container_state_release(&st);
	if (cs != STATUS_STOPPED && cs != STATUS_CREATING)
		return false;
	/* "creating" is also a run that has made its directory but not yet locked it. */
	char p[PATH_MAX];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/%s", g.root, id);
	if (cs == STATUS_CREATING && (stat(p, &sb) < 0 || sb.st_mtime > time(NULL) - 60))
		return false;
	sandbox_cleanup(g.root, id);
	return true;
}

/*
 * A create that died before renaming its directory into place: nobody holds its lock, and
 * it is older than any create takes (a young one may not have made its lock file yet).
 */
static void prune_tmp_dir(const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", g.root, name);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_mtime > time(NULL) - 60)
		return;
	_cleanup_close_ int lock = openat(fd, "lock", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) < 0)
		return;
	unlinkat(fd, SANDBOX_META_FILE, 0);
	unlinkat(fd, "lock", 0);
	rmdir(p);
}

/* Names whose sandbox is gone. */
static void prune_names(void)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/names", g.root);
	DIR *d = opendir(p);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char target[SANDBOX_ID_MAX], dir[PATH_MAX];
		ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		snprintf(dir, sizeof(dir), "%s/%s", g.root, target);
		if (access(dir, F_OK) < 0)
			sandbox_name_release(g.root, de->d_name, target);
	}
	closedir(d);
}

static int prune_all(const struct prune_opts *o, bool quiet)
{
	_cleanup_strv_ char **ids = NULL;
	DIR *d = opendir(g.root);
	if (!d)
		return 0; /* nothing was ever made */
	struct dirent *de;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "sb-", 3) || !strncmp(de->d_name, ".new-sb-", 8))
			strv_push(&ids, de->d_name);
	closedir(d);
	for (size_t i = 0; ids && ids[i]; i++) {
		const char *id = ids[i];
		char rec[PATH_MAX];
		if (id[0] == '.') {
			prune_tmp_dir(id);
			continue;
		}
		snprintf(rec, sizeof(rec), "%s/%s/%s", g.root, id, SANDBOX_META_FILE);
		bool mine = access(rec, F_OK) == 0;
		if ((mine ? prune_one(id, o) : prune_run_dir(id, o)) && !quiet)
			printf("%s\n", id);
	}
	prune_names();
	return 0;
}

static const char prune_usage[] =
	"usage: hutch prune [--filter label=K[=V]]... [--all] [-q]\n\n"
	"Removes stopped sandboxes, expired ones (past --ttl), and what a killed `hutch run` or\n"
	"create left behind (state, cgroups, sockets, names), printing each removed id.\n"
	"  --filter label=K[=V]  only sandboxes with that label (repeatable: all must match)\n"
	"  --all                 running sandboxes too (not those of a running `hutch run`)\n"
	"  -q, --quiet           print nothing\n"
	"Exit codes: 0, 2 usage.\n";

int cmd_prune(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "filter", required_argument, NULL, 'f' }, { "all", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },        { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_strv_ char **filters = NULL;
	struct prune_opts o = { 0 };
	bool quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "+aqh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(prune_usage, stdout);
			return 0;
		} else if (c == 'a') {
			o.all = true;
		} else if (c == 'q') {
			quiet = true;
		} else if (c == 'f' && !strncmp(optarg, "label=", 6) && optarg[6] && optarg[6] != '=') {
			strv_push(&filters, optarg + 6);
		} else {
			if (c == 'f')
				log_error("prune: --filter: expected label=KEY[=VALUE], got '%s'", optarg);
			fputs(prune_usage, stderr);
			return HUTCH_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fputs(prune_usage, stderr);
		return HUTCH_EXIT_USAGE;
	}
	o.filters = filters;
	return prune_all(&o, quiet);
}
