/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * start, state, kill, delete, pause/resume, ps, update, list: each opens the container's
 * state dir, takes its lock, and derives the live status before acting.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "engine/container.h"
#include "engine/hooks.h"
#include "err.h"
#include "fileio.h"
#include "path.h"
#include "strv.h"

/* An open, locked, loaded container. */
struct handle {
	int dirfd;
	int lockfd;
	struct container_state st;
	enum container_status status;
};

static void handle_release(struct handle *h)
{
	safe_close(h->dirfd);
	safe_close(h->lockfd);
	container_state_release(&h->st);
}
#define _cleanup_handle_ __attribute__((cleanup(handle_release)))

/* exact: tell paused from running (asks the cgroup freezer). */
static int handle_open_status(const char *root, const char *id, bool exact, struct handle *h,
			      struct hutch_err *err)
{
	*h = (struct handle){ .dirfd = -1, .lockfd = -1 };
	int r = state_dir_open(root, id, &h->dirfd, err);
	if (r < 0)
		return r;
	if ((h->lockfd = state_lock(h->dirfd, err)) < 0)
		return h->lockfd;
	if ((r = state_load(h->dirfd, id, &h->st, err)) < 0)
		return r;
	h->status = exact ? state_status(&h->st) : state_status_unpaused(&h->st);
	return 0;
}

static int handle_open(const char *root, const char *id, struct handle *h, struct hutch_err *err)
{
	return handle_open_status(root, id, true, h, err);
}

int container_load(const char *root, const char *id, struct container_state *ret,
		   enum container_status *ret_status, struct hutch_err *err)
{
	_cleanup_handle_ struct handle h;
	int r = handle_open(root, id, &h, err);
	if (r < 0)
		return r;
	*ret_status = h.status;
	*ret = h.st;
	h.st = (struct container_state){ 0 };
	return 0;
}

static int load_spec(const struct container_state *st, struct spec **ret, struct hutch_err *err)
{
	if (!st->bundle)
		return err_set(err, ENOENT, "bundle unknown");
	return spec_load_bundle(st->bundle, ret, err);
}

/* Connects to the waiting init; it closes the connection on exec, or sends an error. */
static int release_init(int dirfd, struct hutch_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/start.sock", dirfd);
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_set_errno(err, errno, "connect to container init");
	if (write(s, "s", 1) != 1)
		return err_set_errno(err, errno, "release container init");
	struct hutch_err child_err;
	ssize_t n = read_full(s, &child_err, sizeof(child_err));
	if (n == (ssize_t)sizeof(child_err)) {
		child_err.msg[sizeof(child_err.msg) - 1] = '\0';
		if (err)
			*err = child_err;
		return -(child_err.code > 0 ? child_err.code : EIO);
	}
	return 0;
}

static int do_start(const char *root, const char *id, struct hutch_err *err)
{
	_cleanup_handle_ struct handle h;
	int r = handle_open(root, id, &h, err);
	if (r < 0)
		return r;
	if (h.status != STATUS_CREATED)
		return err_set(err, EINVAL, "cannot start a container that is %s",
			       container_status_name(h.status));
	if ((r = release_init(h.dirfd, err)) < 0)
		return r;
	unlinkat(h.dirfd, "start.sock", 0);
	h.st.started = true;
	if ((r = state_save(h.dirfd, &h.st, err)) < 0)
		return r;
	_cleanup_spec_ struct spec *s = NULL;
	if (load_spec(&h.st, &s, NULL) < 0)
		return 0;
	return container_poststart(s, &h.st, err);
}

int container_poststart(const struct spec *s, const struct container_state *st,
			struct hutch_err *err)
{
	if (!s->hooks.n[SPEC_HOOK_POSTSTART])
		return 0;
	_cleanup_free_ char *json = state_to_json(st, STATUS_RUNNING, false);
	if (json && hooks_run(s, SPEC_HOOK_POSTSTART, json, -1, err) < 0) {
		/* The spec says: a failing poststart hook is logged, the container keeps running;
		 * runc reports it as an error and kills. We follow runc, as containerd expects. */
		kill(st->pid, SIGKILL);
		return -EIO;
	}
	return 0;
}

int container_start(const char *root, const char *id, struct hutch_err *err)
{
	int r = do_start(root, id, err);
	return r < 0 ? err_prefix(err, "container '%s'", id) : 0;
}

static int open_cgroup(const struct container_state *st, struct cgroup **ret, struct hutch_err *err)
{
	return cgroup_open(NULL, st->cgroups_path, st->id, ret, err);
}

int container_kill(const char *root, const char *id, int sig, bool all, struct hutch_err *err)
{
	_cleanup_handle_ struct handle h;
	int r = handle_open(root, id, &h, err);
	if (r < 0)
		return err_prefix(err, "container '%s'", id);
	if (h.status == STATUS_STOPPED || h.status == STATUS_CREATING) {
		if (all)
			return 0; /* runc: kill --all of a stopped container is fine */
		return err_set(err, ESRCH, "container '%s' is not running", id);
	}
	if (all) {
		_cleanup_cgroup_ struct cgroup *cg = NULL;
		if (open_cgroup(&h.st, &cg, NULL) >= 0)
			return cgroup_kill_all(cg, sig);
	}
	if (kill(h.st.pid, sig) < 0)
		return err_set_errno(err, errno, "container '%s': kill %d", id, sig);
	/* A signal the paused init cannot act on would wait forever: SIGKILL thaws first. */
	if (sig == SIGKILL && h.status == STATUS_PAUSED) {
		_cleanup_cgroup_ struct cgroup *cg = NULL;
		if (open_cgroup(&h.st, &cg, NULL) >= 0)
			cgroup_freeze(cg, false, NULL);
	}
	return 0;
}

/* Waits (bounded) for a process that is not our child to go away. */
static void wait_gone(const struct container_state *st, int timeout_ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		poll(&p, 1, timeout_ms);
		close(pidfd);
		/* Reap it if it happens to be ours (run, or a test harness). */
		waitpid(st->pid, NULL, WNOHANG);
		return;
	}
	for (int i = 0; i < timeout_ms / 10 && state_pid_alive(st); i++)
		usleep(10000);
}

/* True when pid is PID 1 of a pid namespace of its own (the last NSpid field is 1). */
static bool is_pidns_init(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	_cleanup_free_ char *text = NULL;
	if (read_file_at(AT_FDCWD, path, 1 << 16, &text, NULL) < 0)
		return false;
	const char *line = strstr(text, "\nNSpid:");
	if (!line)
		return false;
	const char *end = strchr(line + 1, '\n');
	size_t len = end ? (size_t)(end - line) : strlen(line);
	const char *last = line + len;
	while (last > line && (last[-1] == ' ' || last[-1] == '\t'))
		last--;
	const char *start = last;
	while (start > line && start[-1] >= '0' && start[-1] <= '9')
		start--;
	/* "NSpid:\t1234" alone is the host's own namespace: not ours to call an init. */
	return last - start == 1 && *start == '1' && strchr(line + 1, '\t') < start - 1;
}

/*
 * Kills the container's processes. The init of a pid namespace of its own takes every process
 * of the namespace with it, so it goes first: the cgroup is then usually empty and needs no
 * freezing (which, on v1, patches kernel code each time the first freezer comes into use).
 * Without one, the cgroup's processes are killed first, then the init.
 */
static void kill_container(const struct container_state *st, struct cgroup *cg)
{
	bool ns_init = is_pidns_init(st->pid);
	if (ns_init) {
		kill(st->pid, SIGKILL);
		wait_gone(st, 5000);
	}
	/* With a pid namespace, only what joined the cgroup from outside can be left:
	 * cgroup_destroy finds it (its rmdir fails) and kills it. */
	if (cg && !ns_init)
		cgroup_kill_all(cg, SIGKILL);
	if (!ns_init) {
		kill(st->pid, SIGKILL);
		wait_gone(st, 5000);
	}
}

static int do_delete(const char *root, const char *id, bool force, struct hutch_err *err)
{
	_cleanup_handle_ struct handle h;
	/* Running or paused, it is live: no need to ask the freezer which. */
	int r = handle_open_status(root, id, false, &h, err);
	if (r < 0)
		return r;
	bool live = h.status == STATUS_RUNNING || h.status == STATUS_PAUSED ||
		    (h.status == STATUS_CREATED && h.st.started);
	if (live && !force)
		return err_set(err, EBUSY, "cannot delete a %s container without --force",
			       container_status_name(state_status(&h.st)));
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	open_cgroup(&h.st, &cg, NULL);
	if (h.status != STATUS_STOPPED && h.st.pid > 0 && state_pid_alive(&h.st))
		kill_container(&h.st, cg);
	if (cg && (r = cgroup_destroy(cg, err)) < 0)
		return r;
	_cleanup_spec_ struct spec *s = NULL;
	if (load_spec(&h.st, &s, NULL) >= 0 && s->hooks.n[SPEC_HOOK_POSTSTOP]) {
		_cleanup_free_ char *json = state_to_json(&h.st, STATUS_STOPPED, false);
		/* poststop failures are reported but do not stop the delete (spec: warn). */
		if (json)
			hooks_run(s, SPEC_HOOK_POSTSTOP, json, -1, NULL);
	}
	state_dir_remove(root, id);
	return 0;
}

int container_delete(const char *root, const char *id, bool force, struct hutch_err *err)
{
	int r = do_delete(root, id, force, err);
	return r < 0 ? err_prefix(err, "container '%s'", id) : 0;
}

int container_pause(const char *root, const char *id, bool pause, struct hutch_err *err)
{
	_cleanup_handle_ struct handle h;
	int r = handle_open(root, id, &h, err);
	if (r < 0)
		return err_prefix(err, "container '%s'", id);
	enum container_status need = pause ? STATUS_RUNNING : STATUS_PAUSED;
	if (h.status != need)
		return err_set(err, EINVAL, "container '%s' is %s, not %s", id,
			       container_status_name(h.status), container_status_name(need));
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	if ((r = open_cgroup(&h.st, &cg, err)) < 0 || (r = cgroup_freeze(cg, pause, err)) < 0)
		return err_prefix(err, "container '%s'", id);
	return 0;
}

int container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n,
		   struct hutch_err *err)
{
	_cleanup_handle_ struct handle h;
	int r = handle_open(root, id, &h, err);
	if (r < 0)
		return err_prefix(err, "container '%s'", id);
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	if (open_cgroup(&h.st, &cg, NULL) < 0) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	r = cgroup_pids(cg, ret, ret_n);
	return r < 0 ? err_set_errno(err, -r, "container '%s': list processes", id) : 0;
}

int container_update(const char *root, const char *id, const struct spec_resources *res,
		     struct hutch_err *err)
{
	_cleanup_handle_ struct handle h;
	int r = handle_open(root, id, &h, err);
	if (r < 0)
		return err_prefix(err, "container '%s'", id);
	if (h.status == STATUS_STOPPED)
		return err_set(err, EINVAL, "container '%s' is stopped", id);
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	if ((r = open_cgroup(&h.st, &cg, err)) < 0 || (r = cgroup_apply(cg, res, err)) < 0)
		return err_prefix(err, "container '%s'", id);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int container_list(const char *root, char ***ret, struct hutch_err *err)
{
	char **ids = calloc(1, sizeof(char *));
	if (!ids)
		return err_set(err, ENOMEM, "out of memory");
	DIR *d = opendir(root);
	if (!d) {
		*ret = ids;
		return errno == ENOENT ? 0 : err_set_errno(err, errno, "open state root '%s'", root);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type == DT_DIR && container_id_valid(de->d_name) &&
		    strv_push(&ids, de->d_name) < 0) {
			closedir(d);
			strv_free(ids);
			return err_set(err, ENOMEM, "out of memory");
		}
	}
	closedir(d);
	qsort(ids, strv_length(ids), sizeof(char *), cmp_str);
	*ret = ids;
	return 0;
}

int wait_exit_code(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 255;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int container_stats(const char *root, const char *id, struct cgroup_stats *ret,
		    enum container_status *ret_status, struct hutch_err *err)
{
	_cleanup_handle_ struct handle h;
	int r = handle_open(root, id, &h, err);
	if (r < 0)
		return err_prefix(err, "container '%s'", id);
	*ret_status = h.status;
	if (h.status == STATUS_STOPPED)
		return err_set(err, ESRCH, "container '%s' is stopped", id);
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	if ((r = open_cgroup(&h.st, &cg, err)) < 0 || (r = cgroup_stats(cg, ret, err)) < 0)
		return err_prefix(err, "container '%s'", id);
	return 0;
}
