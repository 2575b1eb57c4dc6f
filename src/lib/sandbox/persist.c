/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Persistent sandboxes: making, stopping and removing them (see persist.h). */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/container.h"
#include "err.h"
#include "path.h"
#include "sandbox/mountpoints.h"
#include "sandbox/persist.h"
#include "sandbox/store.h"

const char *sandbox_status_name(enum sandbox_status st)
{
	static const char *const names[] = { "creating", "running", "paused", "stopped" };
	return names[st];
}

char *sandbox_engine_root(const char *root, const char *id)
{
	char *p = NULL;
	return asprintf(&p, "%s/%s/engine", root, id) < 0 ? NULL : p;
}

int sandbox_lock(const char *root, const char *id, int *ret_dirfd, int *ret_lockfd,
		 struct hutch_err *err)
{
	_cleanup_free_ char *p = path_join(root, id);
	if (!p)
		return err_set(err, ENOMEM, "out of memory");
	_cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? err_set(err, ENOENT, "sandbox '%s' does not exist", id)
				       : err_set_errno(err, errno, "open '%s'", p);
	int lock = state_lock(fd, err);
	if (lock < 0)
		return lock;
	*ret_dirfd = TAKE_FD(fd);
	*ret_lockfd = lock;
	return 0;
}

enum sandbox_status sandbox_live_status(const char *root, const char *id)
{
	_cleanup_free_ char *eroot = sandbox_engine_root(root, id);
	struct container_state st;
	enum container_status cs;
	if (!eroot || container_load(eroot, id, &st, &cs, NULL) < 0)
		return SANDBOX_STOPPED;
	container_state_release(&st);
	switch (cs) {
	case STATUS_RUNNING:
	case STATUS_CREATED:
		return SANDBOX_RUNNING;
	case STATUS_PAUSED:
		return SANDBOX_PAUSED;
	default:
		return SANDBOX_STOPPED; /* the agent died: only leftovers to clean */
	}
}

/* <root>/agents/<id>.sock -> <engine root>/agents/<id>.sock, for sandbox_connect(). */
static int link_socket(const char *root, const char *eroot, const char *id, struct hutch_err *err)
{
	_cleanup_free_ char *dir = path_join(root, "agents");
	_cleanup_free_ char *link = sandbox_agent_socket(root, id);
	_cleanup_free_ char *target = sandbox_agent_socket(eroot, id);
	if (!dir || !link || !target)
		return err_set(err, ENOMEM, "out of memory");
	int r = mkdir_p(dir, 0700);
	if (r < 0)
		return err_set_errno(err, -r, "create '%s'", dir);
	unlink(link);
	if (symlink(target, link) < 0)
		return err_set_errno(err, errno, "link agent socket '%s'", link);
	return 0;
}

static void unlink_engine_dirs(const char *root, const char *id)
{
	_cleanup_free_ char *eroot = sandbox_engine_root(root, id);
	_cleanup_free_ char *link = sandbox_agent_socket(root, id);
	_cleanup_free_ char *sock = eroot ? sandbox_agent_socket(eroot, id) : NULL;
	_cleanup_free_ char *agents = eroot ? path_join(eroot, "agents") : NULL;
	if (link)
		unlink(link);
	if (sock)
		unlink(sock);
	if (agents)
		rmdir(agents);
	if (eroot)
		rmdir(eroot);
}

static int spawn_main(struct hutch_agent *a, const struct sandbox_meta *m,
		      const struct sandbox_opts *o, uint32_t *ret_id, struct hutch_err *err)
{
	const char *cwd = o->cwd ? o->cwd : (o->workspace && !*o->workspace ? "/" : "/work");
	struct hutch_spawn_opts so = {
		.argv = (const char *const *)m->argv,
		.env = (const char *const *)m->env,
		.env_clear = 1,
		.cwd = cwd,
		.stdio = { HUTCH_STDIO_NULL, HUTCH_STDIO_PIPE, HUTCH_STDIO_PIPE },
		.tag = "main",
		.detached = 1,
		/* As much as the log keeps: a follower that lags (a burst of output) still gets
		 * every byte up to the log's cap. The agent grows its buffer only as needed. */
		.output_cap = SANDBOX_LOG_MAX,
		.timeout_ms = m->timeout_ms,
	};
	return hutch_agent_spawn(a, &so, ret_id, NULL, err);
}

static int up(const char *root, const char *eroot, const char *id, const struct sandbox_meta *m,
	      struct sandbox_up_result *ret, struct hutch_err *err)
{
	_cleanup_(sandbox_opts_release) struct sandbox_opts o;
	_cleanup_spec_ struct spec *spec = NULL;
	int r = sandbox_opts_from_json(m->opts, &o, err);
	if (r < 0 || (r = sandbox_build_spec(&o, &spec, err)) < 0)
		return r;
	if (mkdir(eroot, 0700) < 0 && errno != EEXIST)
		return err_set_errno(err, errno, "create '%s'", eroot);
	struct sandbox_started started;
	if ((r = sandbox_start(eroot, id, spec, false, NULL, NULL, &started, err)) < 0)
		return r;
	struct hutch_agent *a = started.agent;
	ret->no_limits = started.no_limits;
	r = link_socket(root, eroot, id, err);
	if (r >= 0 && m->argv && m->argv[0]) {
		r = spawn_main(a, m, &o, &ret->main_id, err);
		ret->main_not_found = r == -ENOENT;
	}
	hutch_agent_close(a);
	if (r < 0)
		sandbox_cleanup(eroot, id);
	return r;
}

int sandbox_up(const char *root, const char *id, const struct sandbox_meta *m,
	       struct sandbox_up_result *ret, struct hutch_err *err)
{
	*ret = (struct sandbox_up_result){ 0 };
	_cleanup_free_ char *eroot = sandbox_engine_root(root, id);
	if (!eroot)
		return err_set(err, ENOMEM, "out of memory");
	/* Leftovers of a container that died on its own (agent killed) go first. */
	container_delete(eroot, id, true, NULL);
	int r = up(root, eroot, id, m, ret, err);
	if (r < 0)
		unlink_engine_dirs(root, id);
	return r;
}

/* Waits (bounded) for a process that is not our child to exit. */
static void wait_pid_gone(pid_t pid, uint64_t start, int timeout_ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0 && pid_start_time(pid) == start) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		poll(&p, 1, timeout_ms);
	}
	safe_close(pidfd);
}

int sandbox_down(const char *root, const char *id, uint32_t grace_ms, struct hutch_err *err)
{
	_cleanup_free_ char *eroot = sandbox_engine_root(root, id);
	if (!eroot)
		return err_set(err, ENOMEM, "out of memory");
	struct container_state st;
	enum container_status cs;
	if (container_load(eroot, id, &st, &cs, NULL) < 0) {
		unlink_engine_dirs(root, id);
		return 0; /* no container: already stopped */
	}
	_cleanup_free_ char *sock = sandbox_agent_socket(eroot, id);
	struct hutch_agent *a = NULL;
	/* The agent stops its processes itself (TERM, then KILL after the grace) and exits;
	 * as PID 1 its exit takes the rest of the pid namespace with it. */
	if (grace_ms && (cs == STATUS_RUNNING || cs == STATUS_CREATED) && sock &&
	    hutch_agent_connect(sock, NULL, &a, NULL) >= 0) {
		if (hutch_agent_shutdown(a, grace_ms, NULL) >= 0)
			wait_pid_gone(st.pid, st.pid_start, (int)grace_ms + 2000);
		hutch_agent_close(a);
	}
	container_state_release(&st);
	int r = container_delete(eroot, id, true, err);
	unlink_engine_dirs(root, id);
	return r < 0 ? err_prefix(err, "sandbox '%s'", id) : 0;
}

void sandbox_helper_kill(const struct sandbox_helper *h)
{
	if (h->pid > 0 && h->pid != getpid() && h->start && pid_start_time(h->pid) == h->start)
		kill(h->pid, SIGKILL);
}

void sandbox_helper_wait(const struct sandbox_helper *h, int timeout_ms)
{
	if (h->pid > 0 && h->pid != getpid() && h->start)
		wait_pid_gone(h->pid, h->start, timeout_ms);
}

/* The directory holds only files we put there (and the engine dir, gone by now). */
static void remove_dir(const char *root, const char *id)
{
	_cleanup_free_ char *p = path_join(root, id);
	DIR *d = p ? opendir(p) : NULL;
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(p);
}

void sandbox_destroy(const char *root, const char *id, const struct sandbox_meta *m)
{
	sandbox_down(root, id, 0, NULL);
	if (m) {
		sandbox_helper_kill(&m->logger);
		sandbox_helper_kill(&m->reaper);
		if (m->name)
			sandbox_name_release(root, m->name, id);
	}
	remove_dir(root, id);
	if (m) {
		sandbox_mountpoints_remove(m->mp_workspace, m->mp_paths);
		sandbox_helper_wait(&m->logger, 2000);
		sandbox_helper_wait(&m->reaper, 2000);
	}
}

/* ---- names ---- */

static int names_lock(const char *root, struct hutch_err *err)
{
	_cleanup_free_ char *dir = path_join(root, "names");
	int r = dir ? mkdir_p(dir, 0700) : -ENOMEM;
	if (r < 0)
		return err_set_errno(err, -r, "create names directory in '%s'", root);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return err_set_errno(err, errno, "open '%s'", dir);
	return state_lock(dfd, err);
}

static bool sandbox_exists(const char *root, const char *id)
{
	char p[4096];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", root, id);
	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int sandbox_name_claim(const char *root, const char *name, const char *id, struct hutch_err *err)
{
	if (!container_id_valid(name) || strlen(name) > 128 || strncmp(name, "sb-", 3) == 0 ||
	    strcmp(name, "lock") == 0)
		return err_set(err, EINVAL, "invalid name '%s' (1-128 of [A-Za-z0-9_+.-], not starting with 'sb-')", name);
	_cleanup_close_ int lock = names_lock(root, err);
	if (lock < 0)
		return lock;
	char p[4096], cur[SANDBOX_ID_MAX];
	snprintf(p, sizeof(p), "%s/names/%s", root, name);
	ssize_t n = readlink(p, cur, sizeof(cur) - 1);
	if (n > 0) {
		cur[n] = '\0';
		if (sandbox_exists(root, cur))
			return err_set(err, EEXIST, "name '%s' is already in use by sandbox '%s'", name, cur);
		unlink(p); /* left by a sandbox that is gone */
	}
	if (symlink(id, p) < 0)
		return err_set_errno(err, errno, "claim name '%s'", name);
	return 0;
}

char *sandbox_name_of(const char *root, const char *id)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/names", root);
	DIR *d = opendir(p);
	if (!d)
		return NULL;
	char *found = NULL;
	struct dirent *de;
	while (!found && (de = readdir(d)))
		if (de->d_name[0] != '.' && sandbox_name_is(root, de->d_name, id))
			found = strdup(de->d_name);
	closedir(d);
	return found;
}

bool sandbox_name_is(const char *root, const char *name, const char *id)
{
	char p[4096], cur[SANDBOX_ID_MAX];
	snprintf(p, sizeof(p), "%s/names/%s", root, name);
	ssize_t n = readlink(p, cur, sizeof(cur) - 1);
	return n > 0 && (cur[n] = '\0', strcmp(cur, id) == 0);
}

void sandbox_name_release(const char *root, const char *name, const char *id)
{
	_cleanup_close_ int lock = names_lock(root, NULL); /* held until we return */
	(void)lock;
	char p[4096];
	snprintf(p, sizeof(p), "%s/names/%s", root, name);
	if (sandbox_name_is(root, name, id))
		unlink(p);
}
