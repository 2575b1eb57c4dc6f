/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container child. Runs with the runtime's privileges until identity_apply(); every step
 * here is ordered so that a failure is reported to the parent (over the sync socket before
 * READY, over the start connection after it) with the step and object named, and so that
 * nothing the workload controls is trusted before the filesystem view is in place. Created
 * with `start` (create_opts), the sync socket carries the failures after READY too.
 */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <linux/close_range.h>

#include "cgroup/cgroup.h"
#include "engine/hooks.h"
#include "engine/init.h"
#include "engine/ns.h"
#include "engine/sync.h"
#include "err.h"
#include "fileio.h"
#include "fs/rootfs.h"
#include "path.h"
#include "security/security.h"
#include "strv.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int find_executable(const char *argv0, char *const *env, char **ret)
{
	if (!argv0 || !*argv0)
		return -ENOENT;
	if (strchr(argv0, '/')) {
		if (!is_executable_file(argv0))
			return access(argv0, F_OK) == 0 ? -EACCES : -ENOENT;
		*ret = strdup(argv0);
		return *ret ? 0 : -ENOMEM;
	}
	const char *path = strv_env_get(env, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	for (const char *p = path;;) {
		const char *e = strchrnul(p, ':');
		_cleanup_free_ char *dir = strndup(p, (size_t)(e - p));
		_cleanup_free_ char *full = dir ? path_join(*dir ? dir : ".", argv0) : NULL;
		if (!full)
			return -ENOMEM;
		if (is_executable_file(full)) {
			*ret = TAKE_PTR(full);
			return 0;
		}
		if (!*e)
			return -ENOENT;
		p = e + 1;
	}
}

/* Joins the namespaces given by path, user namespace first (then we act inside it). */
static int join_namespaces(struct init_ctx *c, struct hutch_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_join_order); i++) {
		int t = ns_join_order[i];
		if (!(c->join_flags & t) || t == CLONE_NEWPID)
			continue;
		const struct spec_namespace *n = spec_find_namespace(c->spec, t);
		int r = ns_join_path(n->path, t, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Gives up the host's root for the uid that will own the user namespace (see
 * USERNS_OWNER_ANNOTATION). Everything that needs the host's root was done before: the
 * cgroup join, and the runtime opened the mount sources. Dumpable again afterwards, so our
 * /proc files stay ours (the uid change cleared it; nothing else runs as this uid).
 */
static int become_owner(long owner, struct hutch_err *err)
{
	uid_t u = (uid_t)owner;
	if (setgroups(0, NULL) < 0 || setresgid(u, u, u) < 0 || setresuid(u, u, u) < 0)
		return err_set_errno(err, errno, "become user namespace owner %ld", owner);
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return err_set_errno(err, errno, "set dumpable");
	return 0;
}

/* A user namespace made by us (not by clone) needs its maps written by the parent. */
static int make_userns(struct init_ctx *c, struct hutch_err *err)
{
	if (unshare(CLONE_NEWUSER) < 0)
		return err_set_errno(err, errno, "create user namespace");
	struct sync_msg m;
	int r = sync_send(c->sync_fd, SYNC_MAPS, 0, NULL, -1);
	if (r < 0)
		return err_set_errno(err, -r, "sync");
	return sync_expect(c->sync_fd, SYNC_MAPS_DONE, &m, err);
}

static int write_time_offsets(const struct spec *s, struct hutch_err *err)
{
	char buf[128];
	size_t o = 0;
	if (s->linux.time_monotonic.present)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "monotonic %lld %u\n",
				      (long long)s->linux.time_monotonic.secs,
				      s->linux.time_monotonic.nanosecs);
	if (s->linux.time_boottime.present)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "boottime %lld %u\n",
				      (long long)s->linux.time_boottime.secs,
				      s->linux.time_boottime.nanosecs);
	if (o == 0)
		return 0;
	int r = write_string_at(AT_FDCWD, "/proc/self/timens_offsets", buf);
	return r < 0 ? err_set_errno(err, -r, "write time namespace offsets") : 0;
}

/*
 * Namespaces a clone cannot make in one go: pid and time apply to children only, so we
 * unshare them and fork once more; the grandchild becomes the container's init and this
 * process reports it and exits (the parent finds its pid in /proc/<us>/task/<us>/children).
 */
static int make_late_namespaces(struct init_ctx *c, struct hutch_err *err)
{
	int late = c->new_flags & ~c->clone_flags;
	if ((late & CLONE_NEWUSER) && c->userns_owner >= 0 && become_owner(c->userns_owner, err) < 0)
		return -EPERM;
	if ((late & CLONE_NEWUSER) && make_userns(c, err) < 0)
		return -EPERM;
	int simple = late & ~(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWTIME | CLONE_NEWCGROUP);
	if (simple && unshare(simple) < 0)
		return err_set_errno(err, errno, "create namespaces");
	int fork_ns = late & (CLONE_NEWPID | CLONE_NEWTIME);
	if (!fork_ns)
		return 0;
	if (unshare(fork_ns) < 0)
		return err_set_errno(err, errno, "create pid/time namespace");
	if ((fork_ns & CLONE_NEWTIME) && write_time_offsets(c->spec, err) < 0)
		return -EPERM;
	/*
	 * Both of us share the sync socket with the runtime. The runtime must read our SYNC_PID
	 * (and learn the init's pid) before anything the init sends: without this gate, a busy
	 * machine could schedule the init's SYNC_READY first, the runtime would take us for the
	 * init, and our exit would then reach the real init as its parent-death signal. The
	 * init waits until we are gone (our end of the pipe closes when we exit).
	 */
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) < 0)
		return err_set_errno(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(gate[0]);
		close(gate[1]);
		return err_set_errno(err, e, "fork container init");
	}
	if (pid > 0) {
		struct sync_msg m;
		close(gate[0]);
		sync_send(c->sync_fd, SYNC_PID, 0, NULL, -1);
		sync_recv(c->sync_fd, &m, NULL); /* the parent has read our children: done */
		_exit(0);
	}
	close(gate[1]);
	char b;
	while (read(gate[0], &b, 1) < 0 && errno == EINTR)
		;
	close(gate[0]);
	return 0;
}

/* The id to act as in a fresh user namespace: 0 if mapped, else the first mapped one. */
static int mapped_id(const struct spec_id_map *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].container_id == 0)
			return 0;
	return n ? (int)m[0].container_id : -1;
}

/* Becomes a mapped uid/gid of a fresh user namespace, so files we create have an owner. */
static void become_ns_root(const struct spec *s)
{
	int gid = mapped_id(s->linux.gid_mappings, s->linux.n_gid_mappings);
	int uid = mapped_id(s->linux.uid_mappings, s->linux.n_uid_mappings);
	if (gid >= 0)
		(void)!setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid);
	if (uid >= 0)
		(void)!setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid);
}

static int set_names(const struct spec *s, struct hutch_err *err)
{
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return err_set_errno(err, errno, "set hostname '%s'", s->hostname);
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return err_set_errno(err, errno, "set domainname '%s'", s->domainname);
	return 0;
}

static int request_create_hooks(void *userdata, struct hutch_err *err)
{
	struct init_ctx *c = userdata;
	const struct spec_hooks *h = &c->spec->hooks;
	if (!h->n[SPEC_HOOK_PRESTART] && !h->n[SPEC_HOOK_CREATE_RUNTIME] &&
	    !h->n[SPEC_HOOK_CREATE_CONTAINER])
		return 0;
	struct sync_msg m;
	int r = sync_send(c->sync_fd, SYNC_HOOKS, 0, NULL, -1);
	if (r < 0)
		return err_set_errno(err, -r, "sync");
	return sync_expect(c->sync_fd, SYNC_HOOKS_DONE, &m, err);
}

int console_setup(int sync_fd, const struct spec_process *p, bool bind_console,
		  struct hutch_err *err)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return err_set_errno(err, errno, "open '/dev/ptmx'");
	if (unlockpt(master) < 0)
		return err_set_errno(err, errno, "unlock pty");
	if (p->has_console_size) {
		struct winsize ws = { .ws_row = (unsigned short)p->console_height,
				      .ws_col = (unsigned short)p->console_width };
		ioctl(master, TIOCSWINSZ, &ws);
	}
	_cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return err_set_errno(err, errno, "open pty peer");
	/* /dev/console shows the same pty, as runc does; best effort if /dev is read-only. */
	char slave_path[64];
	snprintf(slave_path, sizeof(slave_path), "/proc/self/fd/%d", slave);
	int cfd = bind_console ? open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600) : -1;
	if (cfd >= 0) {
		close(cfd);
		(void)mount(slave_path, "/dev/console", NULL, MS_BIND, NULL);
	}
	int r = sync_send(sync_fd, SYNC_PTY, 0, NULL, master);
	if (r < 0)
		return err_set_errno(err, -r, "send pty master");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return err_set_errno(err, errno, "set controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return err_set_errno(err, errno, "dup pty onto fd %d", fd);
	return 0;
}

/* Everything up to READY: after this only start, hooks, seccomp, identity and exec remain. */
static int prepare(struct init_ctx *c, char **ret_exe, struct hutch_err *err)
{
	const struct spec *s = c->spec;
	struct sync_msg m;
	int r = sync_expect(c->sync_fd, SYNC_GO, &m, err);
	if (r < 0)
		return r;
	/* Cloned as the user namespace's owner: the uid change made us non-dumpable, which
	 * would give our /proc files to the host's root (see become_owner). */
	if (c->userns_owner >= 0 && (c->clone_flags & CLONE_NEWUSER) &&
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return err_set_errno(err, errno, "set dumpable");
	/* First, before any fork: every descendant must start inside the container's cgroup. */
	if ((r = cgroup_self_join(c->cgroup_join_fds, c->n_cgroup_join_fds)) < 0)
		return err_set_errno(err, -r, "join the container's cgroup");
	for (size_t i = 0; i < c->n_cgroup_join_fds; i++)
		close(c->cgroup_join_fds[i]);
	if ((r = join_namespaces(c, err)) < 0 || (r = make_late_namespaces(c, err)) < 0)
		return r;
	if (c->new_flags & CLONE_NEWUSER)
		become_ns_root(s);
	if ((c->new_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		return err_set_errno(err, errno, "create cgroup namespace");
	if ((c->new_flags | c->join_flags) & CLONE_NEWUTS && (r = set_names(s, err)) < 0)
		return r;
	const char *lo = spec_annotation(s, LOOPBACK_ANNOTATION);
	if ((c->new_flags & CLONE_NEWNET) && lo && strcmp(lo, "up") == 0 &&
	    (r = ns_loopback_up(err)) < 0)
		return r;
	struct rootfs_ctx rc = {
		.spec = s,
		.rootfs = c->rootfs,
		.cgroup = c->cgroup,
		.in_userns = (c->new_flags | c->join_flags) & CLONE_NEWUSER,
		.no_pivot = c->opts->no_pivot,
		.before_pivot = request_create_hooks,
		.userdata = c,
		.source_fds = c->source_fds,
		.overlay = spec_annotation(s, ROOTFS_OVERLAY_ANNOTATION),
		.overlay_lower_fd = c->overlay_lower_fd,
	};
	if ((c->new_flags | c->join_flags) & CLONE_NEWNS) {
		if ((r = rootfs_setup(&rc, err)) < 0)
			return r;
	} else if ((r = request_create_hooks(c, err)) < 0) {
		return r;
	}
	if (setsid() < 0)
		return err_set_errno(err, errno, "setsid");
	if (s->process.terminal && (r = console_setup(c->sync_fd, &s->process, true, err)) < 0)
		return r;
	return process_prepare(&s->process, c->opts->preserve_fds, ret_exe, err);
}

int process_prepare(const struct spec_process *p, unsigned preserve_fds, char **ret_exe,
		    struct hutch_err *err)
{
	int r;
	if (chdir(p->cwd) < 0)
		return err_set_errno(err, errno, "chdir to cwd '%s'", p->cwd);
	if ((r = rlimits_apply(p, err)) < 0 || (r = oom_score_adj_apply(p, err)) < 0)
		return r;
	r = find_executable(p->args[0], p->env, ret_exe);
	if (r == -ENOENT)
		return err_set(err, ENOENT, "exec: '%s': executable file not found in $PATH",
			       p->args[0]);
	if (r < 0)
		return err_set_errno(err, -r, "exec: '%s'", p->args[0]);
	if (p->no_new_privileges) {
		if ((r = identity_apply(p, err)) < 0)
			return r;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return err_set_errno(err, errno, "set no_new_privs");
	}
	/* Nothing of the runtime's leaks into the container: only 0..2 and the preserved fds. */
	syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
	return 0;
}

/* After start: the last privileged steps, then exec. Errors go to `start` over conn. */
static int finish(struct init_ctx *c, const char *exe, struct hutch_err *err)
{
	const struct spec *s = c->spec;
	int r;
	if (s->hooks.n[SPEC_HOOK_START_CONTAINER]) {
		char state[512];
		snprintf(state, sizeof(state),
			 "{\"ociVersion\":\"1.2.0\",\"id\":\"%s\",\"status\":\"created\",\"pid\":%d}",
			 c->id, (int)getpid());
		if ((r = hooks_run(s, SPEC_HOOK_START_CONTAINER, state, -1, err)) < 0)
			return r;
	}
	int runtime = c->opts->start ? c->sync_fd : -1; /* closed already without start */
	return exec_process(&s->process, c->seccomp, exe, c->opts->die_with_parent, runtime, err);
}

/* Whether the peer of a socket is gone: its end closed, as when the runtime died. */
static bool peer_gone(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLRDHUP };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP));
}

/*
 * PR_SET_PDEATHSIG, after the last credential change (which clears it). A runtime that died
 * before (while we set up) sent no signal: its end of the sync socket tells, and we do not
 * exec, or the sandbox would start with nobody to remove it.
 */
static int die_with_runtime(int runtime_sock, struct hutch_err *err)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return err_set_errno(err, errno, "set parent death signal");
	if (runtime_sock >= 0 && peer_gone(runtime_sock))
		return err_set(err, ECANCELED, "the runtime is gone: not starting");
	return 0;
}

int exec_process(const struct spec_process *p, const struct seccomp_program *seccomp,
		 const char *exe, bool die_with_parent, int runtime_sock, struct hutch_err *err)
{
	int r;
	/* Should the filter leave us no way to exit (see exit_after_exec_failure), the trap that
	 * ends us must not write a core of the runtime's memory, and must end us: no handler
	 * (a sanitizer's would retry the refused syscalls), not blocked. The exec resets both. */
	if (seccomp) {
		sigset_t ill;
		sigemptyset(&ill);
		sigaddset(&ill, SIGILL);
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || signal(SIGILL, SIG_DFL) == SIG_ERR ||
		    sigprocmask(SIG_UNBLOCK, &ill, NULL) < 0)
			return err_set_errno(err, errno, "prepare for the seccomp filter");
	}
	/*
	 * Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it before giving up
	 * privileges (the profile must then allow the identity syscalls, as runc requires).
	 * With no_new_privs the identity was applied earlier, during setup, and the filter is
	 * the last thing before the exec: nothing of ours runs under it.
	 */
	if (!p->no_new_privileges) {
		if (seccomp && (r = seccomp_program_load(seccomp, err)) < 0)
			return r;
		if ((r = identity_apply(p, err)) < 0)
			return r;
	}
	if (die_with_parent && (r = die_with_runtime(runtime_sock, err)) < 0)
		return r;
	if (p->no_new_privileges && seccomp && (r = seccomp_program_load(seccomp, err)) < 0)
		return r;
	char *const empty[] = { NULL };
	execve(exe, p->args, p->env ? p->env : empty);
	return err_set_errno(err, errno, "exec '%s'", exe);
}

_Noreturn void exit_after_exec_failure(int code)
{
	syscall(SYS_exit_group, code);
	syscall(SYS_exit, code);
	__builtin_trap();
}

static int wait_for_start(int start_fd)
{
	for (;;) {
		int conn = accept4(start_fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		char b;
		ssize_t n = read(conn, &b, 1);
		if (n == 1)
			return conn;
		close(conn); /* a connection that said nothing is not a start: keep waiting */
	}
}

_Noreturn void init_main(struct init_ctx *c)
{
	struct hutch_err err = { 0 };
	_cleanup_free_ char *exe = NULL;
	if (prepare(c, &exe, &err) < 0) {
		sync_send(c->sync_fd, SYNC_ERROR, 0, &err, -1);
		_exit(1);
	}
	sync_send(c->sync_fd, SYNC_READY, 0, NULL, -1);
	if (c->opts->start) {
		/* Created and started in one step: nobody will connect. The exec closes the sync
		 * socket (close-on-exec), which tells the runtime it happened. */
		finish(c, exe, &err);
		sync_send(c->sync_fd, SYNC_ERROR, 0, &err, -1);
		exit_after_exec_failure(127);
	}
	close(c->sync_fd);
	int conn = wait_for_start(c->start_fd);
	if (conn < 0)
		_exit(1);
	close(c->start_fd);
	finish(c, exe, &err);
	(void)write_full(conn, &err, sizeof(err));
	exit_after_exec_failure(127);
}
