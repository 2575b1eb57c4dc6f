/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Starting the pathfs servers of a sandbox's rules plan (see rules-plan.h, pathfs.h).
 *
 * For each server: the FUSE device is opened and mounted on a private staging directory
 * of the host (root only, 0700, under the runtime dir), a server process is started that
 * owns nothing but that device, an fd of the tree it serves and a control socket, and
 * confines itself (pathfs-confine.c); the anchor's mount in the spec is pointed at the
 * staging directory. The engine clones that mount into the sandbox while it is created;
 * then the servers are sent the sandbox's cgroup files and join its cgroups, and the
 * staging mount is detached, so the host keeps no trace of it. A server ends with the
 * sandbox: killed with its cgroup, or when the sandbox's mount namespace goes and the
 * kernel ends the FUSE connection.
 *
 * The rules' bind sources are opened here too (rules-source.c): the spec mounts the
 * checked fds, so nothing the sandbox did to the workspace since can redirect them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "err.h"
#include "fs/rootfs.h"
#include "path.h"
#include "pathfs/pathfs.h"
#include "sandbox/pathfs-launch.h"
#include "sandbox/rules-plan.h"
#include "strv.h"

/* The tree a server passes through: the host path, seen through the region's id mapping
 * when it has one (the workspace), exactly as the sandbox would see it without rules. */
static int open_base(const struct rules_server *sv, struct hutch_err *err)
{
	_cleanup_close_ int fd = rules_open_source(sv->base, sv->rel, sv->host_root, err);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "'%s' is not a directory", sv->source);
	if (!sv->idmap)
		return TAKE_FD(fd);
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	struct spec_id_map um = sv->idmap_uid, gm = sv->idmap_gid;
	char *opts[] = { (char *)"rbind", (char *)"idmap", NULL };
	struct spec_mount m = { .destination = (char *)"/", .type = (char *)"bind",
				.source = self, .options = opts, .uid_mappings = &um,
				.n_uid_mappings = 1, .gid_mappings = &gm, .n_gid_mappings = 1 };
	struct spec tmp = { .mounts = &m, .n_mounts = 1 };
	int *fds = NULL;
	int r = rootfs_open_sources(&tmp, &fds, err);
	if (r < 0)
		return r;
	int mapped = fds[0];
	fds[0] = -1;
	rootfs_source_fds_free(fds, 1);
	return mapped;
}

static int make_staging(char **ret, struct hutch_err *err)
{
	_cleanup_free_ char *dir = runtime_dir("pathfs");
	if (!dir)
		return err_set(err, ENOMEM, "out of memory");
	int r = mkdir_p(dir, 0700);
	if (r < 0)
		return err_set_errno(err, -r, "create '%s'", dir);
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (uint32_t)getpid();
	if (asprintf(ret, "%s/%d-%08x", dir, (int)getpid(), rnd) < 0)
		return err_set(err, ENOMEM, "out of memory");
	if (mkdir(*ret, 0700) < 0) {
		r = err_set_errno(err, errno, "create '%s'", *ret);
		free(*ret);
		*ret = NULL;
		return r;
	}
	return 0;
}

static int mount_fuse(int fuse_fd, const char *at, struct hutch_err *err)
{
	char opts[160];
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions", fuse_fd);
	if (mount("hutch-pathfs", at, "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		if (errno == EPERM)
			return err_set(err, EPERM, "path rules that need FUSE (none, view, globs) "
				       "need hutch to run as root");
		return err_set_errno(err, errno, "mount FUSE on '%s'", at);
	}
	return 0;
}

/* Moves fds[] to 3, 4, ... (in order) and closes every other fd above 2. */
static int keep_only(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int d = fcntl(fds[i], F_DUPFD_CLOEXEC, 100); /* out of the way first */
		if (d < 0)
			return -errno;
		fds[i] = d;
	}
	for (size_t i = 0; i < n; i++) {
		if (dup3(fds[i], 3 + (int)i, O_CLOEXEC) < 0)
			return -errno;
		fds[i] = 3 + (int)i;
	}
	close_range(3 + (unsigned)n, ~0U, 0);
	return 0;
}

/*
 * The server process: detached from the caller (own session, so a ^C meant for hutch does
 * not end it; a grandchild, so nobody has to reap it), holding only the FUSE device, the
 * tree it serves and its control socket.
 */
static void run_server(int fuse_fd, int base_fd, int ctl_fd, const struct rules_server *sv,
		       const struct rules_plan *plan, uid_t uid, gid_t gid)
{
	setsid();
	if (fork() != 0)
		_exit(0);
	prctl(PR_SET_NAME, "hutch-pathfs");
	prctl(PR_SET_DUMPABLE, 0);
	signal(SIGPIPE, SIG_IGN);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3 && null >= 0; i++)
		dup2(null, i);
	int keep[3] = { fuse_fd, base_fd, ctl_fd };
	if (keep_only(keep, 3) < 0 || chdir("/") < 0 || pathfs_confine(uid, gid) < 0)
		_exit(1);
	struct pathfs_config c = { .anchor = sv->anchor, .base_fd = keep[1],
				   .fallback = sv->fallback, .rules = &plan->rules,
				   .quota_bytes = sv->quota_bytes, .ctl_fd = keep[2] };
	_exit(pathfs_serve(keep[0], &c, NULL) < 0 ? 1 : 0);
}

static int start_one(const struct rules_server *sv, const struct rules_plan *plan, uid_t uid,
		     gid_t gid, char **ret_staging, int *ret_ctl, struct hutch_err *err)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return err_set_errno(err, errno, "path rules at '%s': socketpair", sv->anchor);
	_cleanup_close_ int ours = pair[0], theirs = pair[1];
	_cleanup_close_ int base = open_base(sv, err);
	if (base < 0)
		return err_prefix(err, "path rules at '%s'", sv->anchor);
	_cleanup_close_ int fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fuse < 0 && (errno == EACCES || errno == EPERM) && geteuid() != 0)
		return err_set(err, EPERM, "path rules at '%s': rules that need FUSE (none, view, "
			       "globs, paths not there yet, --workspace-quota) need hutch to run "
			       "as root", sv->anchor);
	if (fuse < 0)
		return err_set_errno(err, errno, "path rules at '%s': open /dev/fuse", sv->anchor);
	_cleanup_free_ char *staging = NULL;
	int r = make_staging(&staging, err);
	if (r < 0)
		return r;
	if ((r = mount_fuse(fuse, staging, err)) < 0) {
		rmdir(staging);
		return err_prefix(err, "path rules at '%s'", sv->anchor);
	}
	pid_t pid = fork();
	if (pid == 0)
		run_server(fuse, base, theirs, sv, plan, uid, gid);
	if (pid < 0) {
		r = err_set_errno(err, errno, "path rules at '%s': fork", sv->anchor);
		umount2(staging, MNT_DETACH);
		rmdir(staging);
		return r;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*ret_staging = TAKE_PTR(staging);
	*ret_ctl = TAKE_FD(ours);
	return 0;
}

/* Points "<prefix><i>" mount sources at what[i]. */
static int point_mounts(struct spec *spec, const char *prefix, char *const *what, size_t n)
{
	size_t plen = strlen(prefix);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		struct spec_mount *m = &spec->mounts[i];
		if (!m->source || strncmp(m->source, prefix, plen) != 0)
			continue;
		size_t idx = strtoul(m->source + plen, NULL, 10);
		if (idx >= n)
			return -EBADMSG;
		char *c = strdup(what[idx]);
		if (!c)
			return -ENOMEM;
		free(m->source);
		m->source = c;
	}
	return 0;
}

/* The rules' bind sources, opened safely; the spec mounts them as /proc/self/fd/N. */
static int open_binds(struct spec *spec, const struct rules_plan *plan, struct sandbox_rules_run *run,
		      struct hutch_err *err)
{
	if (!plan->n_binds)
		return 0;
	run->bind_fds = malloc(plan->n_binds * sizeof(int));
	_cleanup_strv_ char **paths = calloc(plan->n_binds + 1, sizeof(char *));
	if (!run->bind_fds || !paths)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->n_binds; i++) {
		const struct rules_bind *b = &plan->binds[i];
		int fd = rules_open_source(b->base, b->rel, b->host_root, err);
		if (fd < 0)
			return err_prefix(err, "path rules");
		run->bind_fds[run->n_bind_fds++] = fd;
		if (asprintf(&paths[i], "/proc/self/fd/%d", fd) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	if (point_mounts(spec, RULES_BIND_SOURCE, paths, plan->n_binds) < 0)
		return err_set(err, EBADMSG, "path rules: the spec's mounts do not match its plan");
	return 0;
}

int sandbox_rules_prepare(struct spec *spec, struct sandbox_rules_run *run, struct hutch_err *err)
{
	*run = (struct sandbox_rules_run){ 0 };
	_cleanup_(rules_plan_release) struct rules_plan plan;
	int r = rules_plan_from_spec(spec, &plan, err);
	if (r < 0 || (r = open_binds(spec, &plan, run, err)) < 0 || !plan.n_servers)
		return r;
	run->staging = calloc(plan.n_servers + 1, sizeof(char *));
	run->ctl_fds = calloc(plan.n_servers, sizeof(int));
	if (!run->staging || !run->ctl_fds)
		return err_set(err, ENOMEM, "out of memory");
	/* The servers act as the sandbox's own host identity (pathfs-confine.c). */
	if (!spec->linux.n_uid_mappings || !spec->linux.n_gid_mappings)
		return err_set(err, EINVAL, "path rules: the sandbox has no user mapping");
	uid_t uid = spec->linux.uid_mappings[0].host_id;
	gid_t gid = spec->linux.gid_mappings[0].host_id;
	for (size_t i = 0; r >= 0 && i < plan.n_servers; i++)
		if ((r = start_one(&plan.servers[i], &plan, uid, gid, &run->staging[i],
				   &run->ctl_fds[i], err)) >= 0)
			run->n_ctl = i + 1;
	if (r >= 0 && point_mounts(spec, RULES_PATHFS_SOURCE, run->staging, plan.n_servers) < 0)
		r = err_set(err, EBADMSG, "path rules: the spec's FUSE mounts do not match its plan");
	return r;
}

void sandbox_rules_done(struct sandbox_rules_run *run)
{
	for (size_t i = 0; run->staging && run->staging[i]; i++) {
		umount2(run->staging[i], MNT_DETACH);
		rmdir(run->staging[i]);
	}
	strv_free(run->staging);
	for (size_t i = 0; i < run->n_bind_fds; i++)
		safe_close(run->bind_fds[i]);
	free(run->bind_fds);
	for (size_t i = 0; i < run->n_ctl; i++)
		safe_close(run->ctl_fds[i]);
	free(run->ctl_fds);
	*run = (struct sandbox_rules_run){ 0 };
}

/* Sends each server the files to join the sandbox's cgroups with (see pathfs.h): v1 tasks
 * files, or v2's cgroup.procs where there is no v1 hierarchy. Best effort: without it the
 * server still works, charged to the caller's cgroup. */
void sandbox_rules_join_cgroups(struct sandbox_rules_run *run, const struct spec *spec,
				const char *id)
{
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	if (!run->n_ctl || cgroup_open(NULL, spec->linux.cgroups_path, id, &cg, NULL) < 0)
		return;
	int fds[PATHFS_JOIN_FDS];
	size_t n = 0;
	if (cgroup_self_join_prepare(cg, fds, PATHFS_JOIN_FDS, &n, NULL) < 0)
		return;
	int v2 = cgroup_unified_fd(cg);
	if (n == 0 && v2 >= 0 && (fds[0] = openat(v2, "cgroup.procs", O_WRONLY | O_CLOEXEC)) >= 0)
		n = 1;
	union {
		char buf[CMSG_SPACE(PATHFS_JOIN_FDS * sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	for (size_t i = 0; n && i < run->n_ctl; i++) {
		char byte = 'j';
		struct iovec iov = { &byte, 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				      .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n * sizeof(int));
		(void)sendmsg(run->ctl_fds[i], &msg, MSG_NOSIGNAL);
	}
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}
