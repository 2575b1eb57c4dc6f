/* attack: move into the host's root cgroup, raise the limits, or mkdir a cgroup (cgroup.procs) */
#include "attack.h"
#include <dirent.h>
int main(void)
{
	char before[4096], after[4096], pid[32];
	if (slurp("/proc/self/cgroup", before, sizeof(before)) <= 0)
		return 2;
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		const char *files[] = { "cgroup.procs", "tasks", "memory.limit_in_bytes", "pids.max",
					"cpu.cfs_quota_us", "memory.max", "cgroup.subtree_control" };
		for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
			char p[512];
			snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/%s", e->d_name, files[i]);
			int fd = open(p, O_WRONLY | O_CLOEXEC);
			if (fd >= 0 && write(fd, pid, strlen(pid)) > 0)
				harm("wrote %s", p);
			if (fd >= 0)
				close(fd);
		}
		char p[512];
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/hutch-attack", e->d_name);
		MUST_FAIL(p, mkdir(p, 0755));
	}
	if (slurp("/proc/self/cgroup", after, sizeof(after)) <= 0 || strcmp(before, after))
		harm("cgroup changed:\n%s", after);
	return ATTACK_HELD;
}
