/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `exec`: a new process in a running container. The runtime joins the container's pid (and
 * time) namespace for its children only, places the clone in the container's cgroup, and the
 * clone joins the rest (user first, mount last), then sets up the process like init does.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>

#include "cgroup/cgroup.h"
#include "engine/container.h"
#include "engine/init.h"
#include "engine/ns.h"
#include "engine/sync.h"
#include "err.h"
#include "fileio.h"
#include "security/security.h"

struct exec_run {
	const struct exec_opts *opts;
	struct spec *spec;
	struct seccomp_program *seccomp;
	struct cgroup *cgroup;
	struct container_state st;
	int ns_fds[8]; /* indexed like ns_join_order; -1 = not joined */
	int sync_fd;
	int pty_master;
	/* Unprivileged with a user namespace: the pid and time namespaces can only be joined
	 * from inside the container's user namespace, so the clone joins them and forks once
	 * more (its child is the exec'd process). */
	bool late_join;
	pid_t child;
	int cgroup_join_fds[16]; /* see cgroup_self_join_prepare() */
	size_t n_cgroup_join_fds;
};

static void exec_release(struct exec_run *x)
{
	if (x->spec)
		spec_free(x->spec);
	if (x->seccomp)
		seccomp_program_free(x->seccomp);
	if (x->cgroup)
		cgroup_free(x->cgroup);
	container_state_release(&x->st);
	for (size_t i = 0; i < ARRAY_SIZE(x->ns_fds); i++)
		safe_close(x->ns_fds[i]);
	safe_close(x->sync_fd);
	safe_close(x->pty_master);
	for (size_t i = 0; i < x->n_cgroup_join_fds; i++)
		safe_close(x->cgroup_join_fds[i]);
}

/* Opens /proc/<init>/ns/<type> for every namespace the container has of its own. */
static int open_namespaces(struct exec_run *x, struct hutch_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_join_order); i++) {
		int t = ns_join_order[i];
		if (!spec_find_namespace(x->spec, t))
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)x->st.pid, ns_proc_name(t));
		x->ns_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (x->ns_fds[i] < 0)
			return err_set_errno(err, errno, "open '%s'", path);
	}
	return 0;
}

static int join_in_child(struct exec_run *x, int sync_fd, struct hutch_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_join_order); i++) {
		int t = ns_join_order[i];
		bool for_children = t == CLONE_NEWPID || t == CLONE_NEWTIME;
		if (x->ns_fds[i] < 0 || (for_children && !x->late_join))
			continue;
		if (setns(x->ns_fds[i], t) < 0)
			return err_set_errno(err, errno, "join %s namespace", ns_proc_name(t));
	}
	if (!x->late_join)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return err_set_errno(err, errno, "fork into the pid namespace");
	if (pid > 0) {
		struct sync_msg m;
		sync_send(sync_fd, SYNC_PID, 0, NULL, -1);
		sync_recv(sync_fd, &m, NULL); /* the parent has found our child */
		_exit(0);
	}
	return 0;
}

_Noreturn static void exec_child(struct exec_run *x, int sync_fd)
{
	struct hutch_err err = { 0 };
	struct sync_msg m;
	_cleanup_free_ char *exe = NULL;
	const struct spec_process *p = x->opts->process;
	int r = sync_expect(sync_fd, SYNC_GO, &m, &err);
	if (r >= 0 && (r = cgroup_self_join(x->cgroup_join_fds, x->n_cgroup_join_fds)) < 0)
		r = err_set_errno(&err, -r, "join the container's cgroup");
	if (r >= 0)
		r = join_in_child(x, sync_fd, &err);
	if (r >= 0 && setsid() < 0)
		r = err_set_errno(&err, errno, "setsid");
	if (r >= 0 && p->terminal)
		r = console_setup(sync_fd, p, false, &err);
	if (r >= 0)
		r = process_prepare(p, x->opts->preserve_fds, &exe, &err);
	if (r >= 0)
		exec_process(p, x->seccomp, exe, false, -1, &err);
	sync_send(sync_fd, SYNC_ERROR, 0, &err, -1);
	exit_after_exec_failure(127);
}

static int send_pty(struct exec_run *x, int master, struct hutch_err *err)
{
	if (x->opts->keep_pty) {
		x->pty_master = master;
		return 0;
	}
	_cleanup_close_ int m = master;
	if (!x->opts->console_socket)
		return err_set(err, EINVAL, "terminal needs --console-socket when detached");
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", x->opts->console_socket);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_set_errno(err, errno, "connect to console socket '%s'", sa.sun_path);
	int r = send_fd(s, m, "/dev/ptmx", 9);
	return r < 0 ? err_set_errno(err, -r, "send pty to console socket") : 0;
}

/* The process that will exec: the only child of our clone (late_join). */
static int find_late_child(struct exec_run *x, struct hutch_err *err)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)x->child, (int)x->child);
	_cleanup_free_ char *buf = NULL;
	pid_t pid;
	if (read_file_at(AT_FDCWD, path, 4096, &buf, NULL) < 0 || sscanf(buf, "%d", &pid) != 1)
		return err_set(err, ESRCH, "exec process did not start");
	sync_send(x->sync_fd, SYNC_GO, 0, NULL, -1);
	waitpid(x->child, NULL, 0);
	x->child = pid;
	return 0;
}

/* Until the child execs (EOF on the CLOEXEC sync socket) or reports an error. */
static int exec_converse(struct exec_run *x, struct hutch_err *err)
{
	for (;;) {
		struct sync_msg m;
		int fd = -1;
		int r = sync_recv(x->sync_fd, &m, &fd);
		if (r == -EPIPE)
			return 0;
		if (r < 0)
			return err_set_errno(err, -r, "sync with exec process");
		if (m.type == SYNC_ERROR) {
			safe_close(fd);
			if (err)
				*err = m.err;
			return -(m.err.code > 0 ? m.err.code : EIO);
		}
		if (m.type == SYNC_PID) {
			if ((r = find_late_child(x, err)) < 0)
				return r;
			continue;
		}
		if (m.type != SYNC_PTY || fd < 0) {
			safe_close(fd);
			return err_set(err, EPROTO, "unexpected sync message %u", m.type);
		}
		if ((r = send_pty(x, fd, err)) < 0)
			return r;
	}
}

static int spawn_exec(struct exec_run *x, pid_t *ret_pid, struct hutch_err *err)
{
	int r;
	for (size_t i = 0; i < ARRAY_SIZE(ns_join_order); i++) {
		int t = ns_join_order[i];
		/* pid and time namespaces apply to our children: join them here. */
		if (!x->late_join && x->ns_fds[i] >= 0 && (t == CLONE_NEWPID || t == CLONE_NEWTIME) &&
		    setns(x->ns_fds[i], t) < 0)
			return err_set_errno(err, errno, "join %s namespace", ns_proc_name(t));
	}
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return err_set_errno(err, errno, "socketpair");
	/* With late_join our grandchild is the process: it must come back to us to be waited. */
	if (x->late_join)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	bool in_v2 = false;
	pid_t pid = clone_into(0, x->cgroup ? cgroup_unified_fd(x->cgroup) : -1, &in_v2);
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return err_set_errno(err, errno, "fork");
	}
	if (pid == 0) {
		close(sp[0]);
		exec_child(x, sp[1]);
	}
	close(sp[1]);
	x->sync_fd = sp[0];
	x->child = pid;
	*ret_pid = pid;
	if (x->cgroup && !in_v2 && (r = cgroup_enter_v2(x->cgroup, pid, err)) < 0)
		return r;
	if ((r = sync_send(x->sync_fd, SYNC_GO, 0, NULL, -1)) < 0)
		return err_set_errno(err, -r, "sync");
	r = exec_converse(x, err);
	*ret_pid = x->child;
	return r;
}

static int write_pid_file(const char *path, pid_t pid, struct hutch_err *err)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	int r = write_file_atomic(path, buf, (size_t)n, 0644);
	return r < 0 ? err_set_errno(err, -r, "write pid file '%s'", path) : 0;
}

static int do_exec(const char *root, const char *id, struct exec_run *x, struct created *ret,
		   struct hutch_err *err)
{
	enum container_status status;
	int r = container_load(root, id, &x->st, &status, err);
	if (r < 0)
		return r;
	if (status != STATUS_RUNNING && status != STATUS_CREATED)
		return err_set(err, EINVAL, "cannot exec in a %s container",
			       container_status_name(status));
	if ((r = spec_load_bundle(x->st.bundle, &x->spec, err)) < 0)
		return r;
	if (x->spec->linux.seccomp &&
	    (r = seccomp_compile_cached(x->spec->linux.seccomp, seccomp_cache_dir(), &x->seccomp, err)) < 0)
		return r;
	if ((r = open_namespaces(x, err)) < 0)
		return r;
	x->late_join = geteuid() != 0 && spec_find_namespace(x->spec, CLONE_NEWUSER);
	if (cgroup_open(NULL, x->st.cgroups_path, x->st.id, &x->cgroup, NULL) >= 0 &&
	    (r = cgroup_self_join_prepare(x->cgroup, x->cgroup_join_fds,
					  ARRAY_SIZE(x->cgroup_join_fds), &x->n_cgroup_join_fds,
					  err)) < 0)
		return r;
	pid_t pid = 0;
	r = spawn_exec(x, &pid, err);
	if (r < 0) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return r;
	}
	if (x->opts->pid_file && (r = write_pid_file(x->opts->pid_file, pid, err)) < 0)
		return r;
	*ret = (struct created){ .pid = pid, .pty_master = TAKE_FD(x->pty_master), .is_child = true };
	return 0;
}

int container_exec(const char *root, const char *id, const struct exec_opts *o,
		   struct created *ret, struct hutch_err *err)
{
	struct exec_run x = { .opts = o, .sync_fd = -1, .pty_master = -1 };
	for (size_t i = 0; i < ARRAY_SIZE(x.ns_fds); i++)
		x.ns_fds[i] = -1;
	int r = do_exec(root, id, &x, ret, err);
	exec_release(&x);
	return r < 0 ? err_prefix(err, "container '%s'", id) : 0;
}
