/* attack: setns into namespaces through /proc/self/ns, /proc/1/ns and a pidfd */
#include "attack.h"
#include <sched.h>
int main(void)
{
	const char *ns[] = { "user", "mnt", "net", "pid", "uts", "ipc", "cgroup", "time" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(*ns); i++) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/1/ns/%s", ns[i]);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		MUST_FAIL(p, setns(fd, 0));
		close(fd);
		snprintf(p, sizeof(p), "/proc/self/ns/%s", ns[i]);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			MUST_FAIL(p, setns(fd, 0));
	}
	int pfd = (int)syscall(SYS_pidfd_open, 1, 0);
	if (pfd >= 0)
		MUST_FAIL("setns(pidfd of 1)", setns(pfd, CLONE_NEWNS | CLONE_NEWUSER));
	return ATTACK_HELD;
}
