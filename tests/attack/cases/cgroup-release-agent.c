/* attack: the release_agent escape (mount a cgroup v1 hierarchy, set release_agent, notify_on_release) */
#include "attack.h"
#include <sys/mount.h>
int main(void)
{
	mkdir("/tmp/cg", 0755);
	MUST_FAIL("mount cgroup v1 (memory)", mount("cgroup", "/tmp/cg", "cgroup", 0, "memory"));
	MUST_FAIL("mount cgroup v1 (rdma)", mount("cgroup", "/tmp/cg", "cgroup", 0, "rdma"));
	MUST_FAIL("mount cgroup v1 (none,name=x)", mount("cgroup", "/tmp/cg", "cgroup", 0, "none,name=x"));
	MUST_FAIL("mount cgroup2", mount("cgroup2", "/tmp/cg", "cgroup2", 0, NULL));
	const char *ctl[] = { "memory", "pids", "cpu", "systemd", "freezer", "devices", "blkio" };
	for (size_t i = 0; i < sizeof(ctl) / sizeof(*ctl); i++) {
		char p[256];
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/release_agent", ctl[i]);
		if (access(p, F_OK) == 0)
			MUST_FAIL(p, open(p, O_WRONLY | O_CLOEXEC));
		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/notify_on_release", ctl[i]);
		if (access(p, F_OK) == 0)
			MUST_FAIL(p, open(p, O_WRONLY | O_CLOEXEC));
	}
	return ATTACK_HELD;
}
