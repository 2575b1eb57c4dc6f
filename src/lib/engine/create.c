/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `create`: the runtime side. Loads and checks the bundle, makes the state dir and cgroup,
 * clones the container child with its namespaces, writes its id maps, places it in the
 * cgroup, runs the create hooks when the child asks, and waits until the child is set up and
 * blocked waiting for `start` (or, asked to start too, until it has exec'd). On any failure
 * everything made so far is removed again: the process, the cgroup and the state dir (mounts
 * die with the child's mount namespace).
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "engine/container.h"
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

/* Everything a create has made so far, so a failure can take it all back. */
struct create_run {
	const char *root;
	const char *id;
	const struct create_opts *opts;
	const struct spec *spec;
	struct spec *own_spec; /* what we loaded from the bundle, if not given */
	char *rootfs;
	struct seccomp_program *seccomp;
	struct cgroup *cgroup;
	int dirfd;
	int lockfd;
	int start_fd;
	int sync_fd;
	pid_t child; /* what we cloned */
	pid_t init;  /* the container init (the child, or its child) */
	int pty_master;
	int *source_fds; /* detached bind sources, with a user namespace */
	int overlay_lower_fd; /* idmapped rootfs for a copy-on-write root, or -1 */
	struct container_state state;
};

static void run_release(struct create_run *c)
{
	if (c->seccomp)
		seccomp_program_free(c->seccomp);
	if (c->cgroup)
		cgroup_free(c->cgroup);
	/* Before the spec: how many source fds there are is the spec's mount count (c->spec
	 * may be own_spec). */
	rootfs_source_fds_free(c->source_fds, c->spec ? c->spec->n_mounts : 0);
	if (c->own_spec)
		spec_free(c->own_spec);
	free(c->rootfs);
	safe_close(c->dirfd);
	safe_close(c->lockfd);
	safe_close(c->start_fd);
	safe_close(c->sync_fd);
	safe_close(c->pty_master);
	safe_close(c->overlay_lower_fd);
	container_state_release(&c->state);
}

/* Kills what was started, removes the cgroup and the state dir. */
static void run_undo(struct create_run *c)
{
	if (c->init > 0 && c->init != c->child)
		kill(c->init, SIGKILL);
	if (c->child > 0) {
		kill(c->child, SIGKILL);
		waitpid(c->child, NULL, 0);
	}
	if (c->init > 0 && c->init != c->child)
		waitpid(c->init, NULL, 0); /* we are its subreaper */
	if (c->cgroup)
		cgroup_destroy(c->cgroup, NULL);
	if (c->dirfd >= 0)
		state_dir_remove(c->root, c->id);
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], *r = NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&r, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
		return NULL;
	return r;
}

static char *owner_name(void)
{
	/* No NSS for the common case: loading it costs more than the rest of state.json. */
	if (geteuid() == 0)
		return strdup("root");
	/* /etc/passwd read directly (fgetpwent uses no NSS): the CLIs are linked statically. */
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	while (f && (pw = fgetpwent(f)))
		if (pw->pw_uid == geteuid())
			return strdup(pw->pw_name);
	return strdup("");
}

static int resolve_rootfs(struct create_run *c, struct hutch_err *err)
{
	const char *rp = c->spec->root_path;
	if (!rp)
		return err_set(err, EINVAL, "root.path is required");
	_cleanup_free_ char *joined = rp[0] == '/' ? strdup(rp) : path_join(c->opts->bundle, rp);
	if (!joined)
		return err_set(err, ENOMEM, "out of memory");
	c->rootfs = realpath(joined, NULL);
	if (!c->rootfs)
		return err_set_errno(err, errno, "rootfs '%s'", joined);
	struct stat st;
	if (stat(c->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "rootfs '%s' is not a directory", joined);
	return 0;
}

/*
 * The listening socket `start` connects to; it lives in the state dir, out of the container.
 * Bound through /proc/self/fd: state dirs can be longer than a socket path may be (Docker
 * passes --root <exec-root>/runtime-runc/moby and 64-hex ids).
 */
static int make_start_socket(struct create_run *c, struct hutch_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/start.sock", c->dirfd);
	c->start_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->start_fd < 0)
		return err_set_errno(err, errno, "socket");
	if (bind(c->start_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(c->start_fd, 4) < 0)
		return err_set_errno(err, errno, "bind '%s/%s/start.sock'", c->root, c->id);
	return 0;
}

static char *hook_state_json(struct create_run *c, const char *status)
{
	c->state.pid = c->init;
	return state_to_json(&c->state, strcmp(status, "created") == 0 ? STATUS_CREATED : STATUS_CREATING,
			     false);
}

static int run_create_hooks(struct create_run *c, struct hutch_err *err)
{
	_cleanup_free_ char *st = hook_state_json(c, "creating");
	if (!st)
		return err_set(err, ENOMEM, "out of memory");
	int r = hooks_run(c->spec, SPEC_HOOK_PRESTART, st, -1, err);
	if (r >= 0)
		r = hooks_run(c->spec, SPEC_HOOK_CREATE_RUNTIME, st, -1, err);
	if (r < 0 || !c->spec->hooks.n[SPEC_HOOK_CREATE_CONTAINER])
		return r;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)c->init);
	_cleanup_close_ int mntns = open(path, O_RDONLY | O_CLOEXEC);
	if (mntns < 0)
		return err_set_errno(err, errno, "open '%s'", path);
	return hooks_run(c->spec, SPEC_HOOK_CREATE_CONTAINER, st, mntns, err);
}

/* The grandchild init: the only child of our clone child, read from /proc. */
static int find_grandchild(struct create_run *c, struct hutch_err *err)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)c->child, (int)c->child);
	_cleanup_free_ char *buf = NULL;
	int r = read_file_at(AT_FDCWD, path, 4096, &buf, NULL);
	if (r < 0 || sscanf(buf, "%d", &c->init) != 1)
		return err_set(err, ESRCH, "container init did not start");
	return 0;
}

static int send_console(struct create_run *c, int master, struct hutch_err *err)
{
	if (c->opts->keep_pty) {
		c->pty_master = master;
		return 0;
	}
	_cleanup_close_ int m = master;
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(c->opts->console_socket) >= sizeof(sa.sun_path))
		return err_set(err, ENAMETOOLONG, "console socket path too long");
	strcpy(sa.sun_path, c->opts->console_socket);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_set_errno(err, errno, "connect to console socket '%s'", sa.sun_path);
	int r = send_fd(s, m, "/dev/ptmx", 9);
	if (r < 0)
		return err_set_errno(err, -r, "send pty to console socket");
	return 0;
}

/* The child's new user namespace gets its id maps, then the bind sources idmapped through
 * it (rootfs_idmap_sources): both from here, outside it. */
static int write_maps(struct create_run *c, pid_t child, struct hutch_err *err)
{
	int r = idmap_write(child, c->spec, err);
	return r < 0 ? r : rootfs_idmap_sources(c->spec, c->source_fds, child, err);
}

/* Serves the child's requests until it is READY (or fails). */
static int converse(struct create_run *c, struct hutch_err *err)
{
	for (;;) {
		struct sync_msg m;
		int fd = -1;
		int r = sync_recv(c->sync_fd, &m, &fd);
		if (r == -EPIPE)
			return err_set(err, EIO, "container init exited during setup");
		if (r < 0)
			return err_set_errno(err, -r, "sync with container init");
		switch (m.type) {
		case SYNC_ERROR:
			safe_close(fd);
			if (err)
				*err = m.err;
			return -(m.err.code > 0 ? m.err.code : EIO);
		case SYNC_READY:
			return 0;
		case SYNC_MAPS:
			if ((r = write_maps(c, c->child, err)) < 0)
				return r;
			sync_send(c->sync_fd, SYNC_MAPS_DONE, 0, NULL, -1);
			break;
		case SYNC_PID:
			if ((r = find_grandchild(c, err)) < 0)
				return r;
			sync_send(c->sync_fd, SYNC_GO, 0, NULL, -1);
			waitpid(c->child, NULL, 0);
			c->child = 0;
			break;
		case SYNC_HOOKS:
			if ((r = run_create_hooks(c, err)) < 0) {
				sync_send(c->sync_fd, SYNC_ERROR, 0, err, -1);
				return r;
			}
			sync_send(c->sync_fd, SYNC_HOOKS_DONE, 0, NULL, -1);
			break;
		case SYNC_PTY:
			if (fd < 0)
				return err_set(err, EPROTO, "pty message without a pty");
			if ((r = send_console(c, fd, err)) < 0)
				return r;
			break;
		default:
			safe_close(fd);
			return err_set(err, EPROTO, "unexpected sync message %u", m.type);
		}
	}
}

/*
 * Created and started in one step (opts->start): the init execs right after READY, while we
 * saved the state. Its exec closes the sync socket; a failure before it arrives as
 * SYNC_ERROR. An end of file without an exec (the init killed meanwhile) reads as started,
 * as with `start`, and shows as a stopped container.
 */
static int wait_started(struct create_run *c, struct hutch_err *err)
{
	struct sync_msg m;
	int fd = -1;
	int r = sync_recv(c->sync_fd, &m, &fd);
	safe_close(fd);
	if (r == -EPIPE)
		return container_poststart(c->spec, &c->state, err);
	if (r < 0)
		return err_set_errno(err, -r, "sync with container init");
	if (m.type != SYNC_ERROR)
		return err_set(err, EPROTO, "unexpected sync message %u", m.type);
	if (err)
		*err = m.err;
	return -(m.err.code > 0 ? m.err.code : EIO);
}

static int write_pid_file(const char *path, pid_t pid, struct hutch_err *err)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	int r = write_file_atomic(path, buf, (size_t)n, 0644);
	return r < 0 ? err_set_errno(err, -r, "write pid file '%s'", path) : 0;
}

/* USERNS_OWNER_ANNOTATION's uid when it applies (a new user namespace, and we are root). */
static long userns_owner(const struct spec *s)
{
	const char *v = spec_annotation(s, USERNS_OWNER_ANNOTATION);
	const struct spec_namespace *u = spec_find_namespace(s, CLONE_NEWUSER);
	if (!v || !u || u->path || geteuid() != 0)
		return -1;
	char *end;
	errno = 0;
	unsigned long uid = strtoul(v, &end, 10);
	if (errno || end == v || *end || uid == 0 || uid >= UINT32_MAX)
		return -1;
	return (long)uid;
}

static int spawn_init(struct create_run *c, struct hutch_err *err)
{
	const struct spec *s = c->spec;
	int new_flags = ns_new_flags(s), join_flags = ns_join_flags(s);
	/* Fast path: one clone makes every namespace; the cgroup one must wait until we have
	 * placed the child in its cgroup, and time offsets must be written before entering. */
	int clone_flags = 0;
	if (join_flags == 0)
		clone_flags = new_flags & ~(CLONE_NEWCGROUP | CLONE_NEWTIME);
	/* A time namespace means a second fork (offsets are written before anyone enters):
	 * the pid namespace must then be made with it, or its init would be the one leaving. */
	if (new_flags & CLONE_NEWTIME)
		clone_flags &= ~CLONE_NEWPID;
	/*
	 * A user namespace with another owner: we clone as that owner (this thread only, for
	 * the moment of the clone), so one clone still makes every namespace. Not when the child
	 * is to be born in a cgroup2 directory, which takes root's rights: then the child makes
	 * the namespaces itself after becoming the owner (its maps are a round trip more, and
	 * the pid namespace a fork more).
	 */
	long owner = userns_owner(s);
	bool owner_clone = owner >= 0 && clone_flags &&
			   !(c->cgroup && cgroup_unified_fd(c->cgroup) >= 0);
	if (owner >= 0 && !owner_clone)
		clone_flags = 0;
	if (join_flags & CLONE_NEWPID) {
		/* pid_for_children only: the runtime itself stays where it is. */
		int r = ns_join_path(spec_find_namespace(s, CLONE_NEWPID)->path, CLONE_NEWPID, err);
		if (r < 0)
			return r;
	}
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return err_set_errno(err, errno, "socketpair");
	/* The child moves itself into the v1 hierarchies and is born in the v2 one: see
	 * cgroup.h for why (the kernel's global attach lock costs milliseconds). */
	int join_fds[16];
	size_t n_join = 0;
	int r;
	if (c->cgroup &&
	    (r = cgroup_self_join_prepare(c->cgroup, join_fds, ARRAY_SIZE(join_fds), &n_join, err)) < 0) {
		close(sp[0]);
		close(sp[1]);
		return r;
	}
	/* A grandchild init must be reparented to us, so `run` can wait for it. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	bool in_v2 = false;
	struct thread_identity runtime_ids;
	if (owner_clone && (r = thread_identity_become((uid_t)owner, &runtime_ids, err)) < 0) {
		close(sp[0]);
		close(sp[1]);
		return r;
	}
	pid_t pid = clone_into(clone_flags, c->cgroup ? cgroup_unified_fd(c->cgroup) : -1, &in_v2);
	if (owner_clone && pid != 0) {
		int e = errno;
		if ((r = thread_identity_restore(&runtime_ids)) < 0) {
			if (pid > 0) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
			}
			close(sp[0]);
			close(sp[1]);
			return err_set_errno(err, -r, "regain the runtime's ids after the clone");
		}
		errno = e;
	}
	if (pid < 0) {
		int e = errno;
		close(sp[0]);
		close(sp[1]);
		for (size_t i = 0; i < n_join; i++)
			close(join_fds[i]);
		return err_set_errno(err, e, "clone container process");
	}
	if (pid == 0) {
		close(sp[0]);
		/* flock belongs to the open file: our copy would keep the container locked. */
		c->lockfd = safe_close(c->lockfd);
		c->dirfd = safe_close(c->dirfd);
		struct init_ctx ic = {
			.id = c->id, .bundle = c->opts->bundle, .spec = s, .opts = c->opts,
			.rootfs = c->rootfs, .cgroup = c->cgroup, .seccomp = c->seccomp,
			.sync_fd = sp[1], .start_fd = c->start_fd, .clone_flags = clone_flags,
			.new_flags = new_flags, .join_flags = join_flags,
			.source_fds = c->source_fds,
			.cgroup_join_fds = join_fds, .n_cgroup_join_fds = n_join,
			.overlay_lower_fd = c->overlay_lower_fd,
			.userns_owner = owner,
		};
		init_main(&ic);
	}
	for (size_t i = 0; i < n_join; i++)
		close(join_fds[i]);
	close(sp[1]);
	c->sync_fd = sp[0];
	c->child = c->init = pid;
	if ((clone_flags & CLONE_NEWUSER) && (r = write_maps(c, pid, err)) < 0)
		return r;
	if (c->cgroup && !in_v2 && (r = cgroup_enter_v2(c->cgroup, pid, err)) < 0)
		return r;
	if ((r = sync_send(c->sync_fd, SYNC_GO, 0, NULL, -1)) < 0)
		return err_set_errno(err, -r, "sync");
	return converse(c, err);
}

/*
 * The device cgroup rules: the spec's own, then (as runc does) the devices every container
 * needs — null, zero, full, tty, random, urandom, the pty ones, and mknod of anything (the
 * node is useless without r/w access) — then every linux.devices entry. Later rules win.
 */
static struct spec_device_rule *device_rules(const struct spec *s, size_t *ret_n)
{
	static const struct spec_device_rule defaults[] = {
		{ true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },
		{ true, 'c', 1, 3, "rwm" },  { true, 'c', 1, 5, "rwm" },
		{ true, 'c', 1, 7, "rwm" },  { true, 'c', 5, 0, "rwm" },
		{ true, 'c', 1, 8, "rwm" },  { true, 'c', 1, 9, "rwm" },
		{ true, 'c', 136, -1, "rwm" }, { true, 'c', 5, 2, "rwm" },
		{ true, 'c', 5, 1, "rwm" },
	};
	const struct spec_resources *res = &s->linux.resources;
	size_t n = res->n_devices + ARRAY_SIZE(defaults) + s->linux.n_devices;
	struct spec_device_rule *rules = calloc(n, sizeof(*rules));
	if (!rules)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < res->n_devices; i++)
		rules[o++] = res->devices[i];
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		rules[o++] = defaults[i];
	for (size_t i = 0; i < s->linux.n_devices; i++) {
		const struct spec_device *d = &s->linux.devices[i];
		if (d->type == 'p')
			continue; /* fifos are not governed by the device cgroup */
		rules[o++] = (struct spec_device_rule){ true, d->type == 'b' ? 'b' : 'c', d->major,
							d->minor, "rwm" };
	}
	*ret_n = o;
	return rules;
}

static int make_cgroup(struct create_run *c, struct hutch_err *err)
{
	const struct spec_linux *l = &c->spec->linux;
	struct spec_resources res = l->resources; /* shallow: only .devices is replaced */
	_cleanup_free_ struct spec_device_rule *rules = device_rules(c->spec, &res.n_devices);
	if (!rules)
		return err_set(err, ENOMEM, "out of memory");
	res.devices = rules;
	const char *only = spec_annotation(c->spec, CGROUP_CONTROLLERS_ANNOTATION);
	int r = cgroup_create_some(c->opts->sysfs_cgroup, l->cgroups_path, c->id, &res, only,
				   &c->cgroup, err);
	if (r >= 0)
		return 0;
	/* Rootless without delegated cgroups: runc carries on when no limit was asked for. */
	bool denied = r == -EACCES || r == -EPERM || r == -EROFS;
	if (geteuid() != 0 && denied && (!l->has_resources || c->opts->cgroup_best_effort)) {
		c->cgroup = NULL;
		err_clear(err);
		return 0;
	}
	return r;
}

static int create_locked(struct create_run *c, struct hutch_err *err)
{
	int r;
	c->state.id = strdup(c->id);
	c->state.bundle = strdup(c->opts->bundle);
	c->state.rootfs = strdup(c->rootfs);
	c->state.created = now_rfc3339();
	c->state.owner = owner_name();
	c->state.has_userns = spec_find_namespace(c->spec, CLONE_NEWUSER) != NULL;
	if (c->spec->linux.cgroups_path)
		c->state.cgroups_path = strdup(c->spec->linux.cgroups_path);
	for (size_t i = 0; i < c->spec->n_annotations; i++) {
		char *kv = NULL;
		if (asprintf(&kv, "%s=%s", c->spec->annotations[i].key, c->spec->annotations[i].value) >= 0)
			strv_consume(&c->state.annotations, kv);
	}
	/* Saved first with pid 0: a crash from here on leaves a dir that reads "creating". */
	if ((r = state_save(c->dirfd, &c->state, err)) < 0)
		return r;
	if ((r = make_cgroup(c, err)) < 0)
		return r;
	if (!c->opts->start && (r = make_start_socket(c, err)) < 0)
		return r;
	if (chdir(c->opts->bundle) < 0)
		return err_set_errno(err, errno, "chdir to bundle '%s'", c->opts->bundle);
	/*
	 * In a user namespace the child may not reach the sources (it is no longer the host's
	 * root): we open them for it. Unprivileged, we cannot (open_tree needs CAP_SYS_ADMIN)
	 * and need not (the child has our own access rights).
	 */
	if (geteuid() == 0 && spec_find_namespace(c->spec, CLONE_NEWUSER) &&
	    (r = rootfs_open_sources(c->spec, &c->source_fds, err)) < 0)
		return r;
	/* Likewise a copy-on-write root's lower layer, idmapped so the container's root owns
	 * what the host's root owns there (only the host's root can make idmapped mounts). */
	if (geteuid() == 0 && spec_find_namespace(c->spec, CLONE_NEWUSER) &&
	    spec_annotation(c->spec, ROOTFS_OVERLAY_ANNOTATION) &&
	    (c->overlay_lower_fd = rootfs_open_idmapped(c->spec, c->rootfs, err)) < 0)
		return c->overlay_lower_fd;
	if ((r = spawn_init(c, err)) < 0)
		return r;
	c->state.pid = c->init;
	c->state.pid_start = pid_start_time(c->init);
	c->state.started = c->opts->start;
	if ((r = state_save(c->dirfd, &c->state, err)) < 0)
		return r;
	if (c->opts->pid_file && (r = write_pid_file(c->opts->pid_file, c->init, err)) < 0)
		return r;
	return c->opts->start ? wait_started(c, err) : 0;
}

static int check_bundle(struct create_run *c, struct hutch_err *err)
{
	int r = 0;
	if (c->opts->spec) {
		c->spec = c->opts->spec;
		r = spec_validate(c->spec, err);
	} else {
		r = spec_load_bundle(c->opts->bundle, &c->own_spec, err);
		c->spec = c->own_spec;
	}
	if (r < 0)
		return r;
	if (!c->spec->has_process)
		return err_set(err, EINVAL, "process is required to create a container");
	if (c->spec->process.terminal && !c->opts->console_socket && !c->opts->keep_pty)
		return err_set(err, EINVAL, "process.terminal needs --console-socket when detached");
	if ((r = resolve_rootfs(c, err)) < 0)
		return r;
	if (c->spec->has_linux && c->spec->linux.seccomp &&
	    (r = seccomp_compile_cached(c->spec->linux.seccomp, seccomp_cache_dir(), &c->seccomp, err)) < 0)
		return r;
	return 0;
}

int container_create(const char *root, const char *id, const struct create_opts *o,
		     struct created *ret, struct hutch_err *err)
{
	struct create_run c = { .root = root, .id = id, .opts = o, .dirfd = -1, .lockfd = -1,
				.start_fd = -1, .sync_fd = -1, .pty_master = -1,
				.overlay_lower_fd = -1 };
	int r = check_bundle(&c, err);
	if (r >= 0)
		r = state_dir_create(root, id, &c.dirfd, err);
	if (r >= 0 && (c.lockfd = state_lock(c.dirfd, err)) < 0)
		r = c.lockfd;
	if (r >= 0)
		r = create_locked(&c, err);
	if (r < 0) {
		run_undo(&c);
		run_release(&c);
		return err_prefix(err, "container '%s'", id);
	}
	*ret = (struct created){ .pid = c.init, .pty_master = TAKE_FD(c.pty_master), .is_child = true,
				 .no_cgroup = !c.cgroup };
	run_release(&c);
	return 0;
}
