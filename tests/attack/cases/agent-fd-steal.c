/* attack: steal the agent's listening socket with pidfd_getfd or /proc/1/fd */
#include "attack.h"
int main(void)
{
	int pfd = (int)syscall(SYS_pidfd_open, 1, 0);
	if (pfd >= 0) {
		for (int fd = 0; fd < 16; fd++)
			MUST_FAIL("pidfd_getfd(agent)", syscall(SYS_pidfd_getfd, pfd, fd, 0));
	}
	for (int fd = 0; fd < 16; fd++) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/1/fd/%d", fd);
		int r = open(p, O_RDWR | O_CLOEXEC);
		if (r >= 0)
			harm("opened %s", p);
	}
	note("no agent fd reachable");
	return ATTACK_HELD;
}
