/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <net/if.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "engine/ns.h"
#include "err.h"
#include "fileio.h"

const int ns_join_order[8] = { CLONE_NEWUSER, CLONE_NEWIPC,    CLONE_NEWUTS, CLONE_NEWNET,
			       CLONE_NEWPID,  CLONE_NEWCGROUP, CLONE_NEWTIME, CLONE_NEWNS };

const char *ns_proc_name(int type)
{
	switch (type) {
	case CLONE_NEWUSER:
		return "user";
	case CLONE_NEWNS:
		return "mnt";
	case CLONE_NEWPID:
		return "pid";
	case CLONE_NEWIPC:
		return "ipc";
	case CLONE_NEWUTS:
		return "uts";
	case CLONE_NEWNET:
		return "net";
	case CLONE_NEWCGROUP:
		return "cgroup";
	case CLONE_NEWTIME:
		return "time";
	default:
		return "unknown";
	}
}

int ns_join_path(const char *path, int type, struct hutch_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set_errno(err, errno, "open %s namespace '%s'", ns_proc_name(type), path);
	if (setns(fd, type) < 0)
		return err_set_errno(err, errno, "join %s namespace '%s'", ns_proc_name(type), path);
	return 0;
}

int ns_loopback_up(struct hutch_err *err)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set_errno(err, errno, "loopback: socket");
	struct ifreq ifr = { .ifr_name = "lo" };
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return err_set_errno(err, errno, "loopback: get flags");
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return err_set_errno(err, errno, "loopback: bring up");
	return 0;
}

int ns_new_flags(const struct spec *s)
{
	int flags = 0;
	for (size_t i = 0; i < s->linux.n_namespaces; i++)
		if (!s->linux.namespaces[i].path)
			flags |= s->linux.namespaces[i].type;
	return flags;
}

int ns_join_flags(const struct spec *s)
{
	int flags = 0;
	for (size_t i = 0; i < s->linux.n_namespaces; i++)
		if (s->linux.namespaces[i].path)
			flags |= s->linux.namespaces[i].type;
	return flags;
}

static int format_map(const struct spec_id_map *m, size_t n, char *buf, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + o, size - o, "%u %u %u\n", m[i].container_id, m[i].host_id,
				 m[i].size);
		if (w < 0 || (size_t)w >= size - o)
			return -E2BIG;
		o += (size_t)w;
	}
	return 0;
}

/* Runs newuidmap/newgidmap PID ctr host size ... and waits for it. */
static int run_map_helper(const char *helper, pid_t pid, const struct spec_id_map *m, size_t n)
{
	char *argv[2 + 3 * 340 + 1];
	char nums[3 * 340][12];
	if (n > 340)
		return -E2BIG;
	char pidbuf[16];
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	size_t a = 0;
	argv[a++] = (char *)helper;
	argv[a++] = pidbuf;
	for (size_t i = 0; i < n; i++) {
		uint32_t v[3] = { m[i].container_id, m[i].host_id, m[i].size };
		for (int j = 0; j < 3; j++) {
			snprintf(nums[3 * i + j], sizeof(nums[0]), "%u", v[j]);
			argv[a++] = nums[3 * i + j];
		}
	}
	argv[a] = NULL;
	pid_t child = fork();
	if (child < 0)
		return negative_errno();
	if (child == 0) {
		execvp(helper, argv);
		_exit(127);
	}
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return negative_errno();
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

static bool is_own_single_map(const struct spec_id_map *m, size_t n, uint32_t own)
{
	return n == 1 && m[0].size == 1 && m[0].host_id == own;
}

static int write_map(pid_t pid, const char *file, const char *helper,
		     const struct spec_id_map *m, size_t n, bool direct, struct hutch_err *err)
{
	if (n == 0)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (!direct) {
		int r = run_map_helper(helper, pid, m, n);
		if (r == -ENOENT)
			return err_set(err, ENOENT, "write %s: '%s' is not installed (package uidmap)",
				       file, helper);
		if (r < 0)
			return err_set_errno(err, -r, "write %s with '%s'", file, helper);
		return 0;
	}
	char buf[8192];
	if (format_map(m, n, buf, sizeof(buf)) < 0)
		return err_set(err, E2BIG, "write %s: too many mappings", file);
	int r = write_string_at(AT_FDCWD, path, buf);
	if (r < 0)
		return err_set_errno(err, -r, "write %s", file);
	return 0;
}

int idmap_write(pid_t pid, const struct spec *s, struct hutch_err *err)
{
	bool root = geteuid() == 0;
	const struct spec_linux *l = &s->linux;
	bool uid_direct = root || is_own_single_map(l->uid_mappings, l->n_uid_mappings, geteuid());
	bool gid_direct = root || is_own_single_map(l->gid_mappings, l->n_gid_mappings, getegid());
	int r = write_map(pid, "uid_map", "newuidmap", l->uid_mappings, l->n_uid_mappings,
			  uid_direct, err);
	if (r < 0)
		return r;
	if (!root && gid_direct && l->n_gid_mappings > 0) {
		/* An unprivileged writer must give up setgroups() before writing gid_map. */
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		r = write_string_at(AT_FDCWD, path, "deny");
		if (r < 0)
			return err_set_errno(err, -r, "write setgroups");
	}
	return write_map(pid, "gid_map", "newgidmap", l->gid_mappings, l->n_gid_mappings,
			 gid_direct, err);
}

/* clone3 where available (fork semantics, stack 0), clone otherwise. cgroup_fd >= 0 asks for
 * CLONE_INTO_CGROUP; *ret_in_cgroup says whether the child was born there. */
pid_t clone_into(int flags, int cgroup_fd, bool *ret_in_cgroup)
{
	struct clone_args a = { .flags = (uint64_t)flags, .exit_signal = SIGCHLD };
	*ret_in_cgroup = false;
	if (cgroup_fd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)cgroup_fd;
		pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
		if (pid >= 0) {
			*ret_in_cgroup = true;
			return pid;
		}
		if (errno != ENOSYS && errno != EINVAL && errno != E2BIG && errno != EOPNOTSUPP)
			return pid;
		a.flags &= ~(uint64_t)CLONE_INTO_CGROUP; /* an older kernel: join it the slow way */
		a.cgroup = 0;
	}
	pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	if (pid < 0 && errno == ENOSYS)
		pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	return pid;
}

