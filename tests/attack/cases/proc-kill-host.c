/* attack: signal a host process by its host pid, and everything with kill(-1) */
#include "attack.h"
#include <signal.h>
int main(void)
{
	const char *s = getenv("ATK_HOST_PID");
	if (!s)
		return 2;
	pid_t pid = atoi(s);
	MUST_FAIL("kill(host pid, SIGKILL)", kill(pid, SIGKILL));
	MUST_FAIL("pidfd_open(host pid)", syscall(SYS_pidfd_open, pid, 0));
	/* Reaches only this pid namespace; the host checks its process survived. */
	kill(-1, SIGKILL);
	return ATTACK_HELD;
}
