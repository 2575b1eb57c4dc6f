/* attack: fork bomb (the pids limit stops it; the host stays responsive; all die with the sandbox) */
#include "attack.h"
#include <signal.h>
#include <time.h>
int main(void)
{
	int n = 0;
	for (;;) {
		pid_t p = fork();
		if (p == 0) {
			/* Children keep forking too, as a real bomb does, then sleep forever. */
			for (int i = 0; i < 4; i++)
				if (fork() < 0)
					break;
			for (;;)
				pause();
		}
		if (p < 0)
			break;
		if (++n > 5000)
			break;
	}
	nanosleep(&(struct timespec){ 1, 0 }, NULL);
	char buf[64];
	long cur = -1;
	if (slurp("/sys/fs/cgroup/pids/pids.current", buf, sizeof(buf)) > 0)
		cur = atol(buf);
	if (n > 5000)
		harm("forked over 5000 processes, no limit");
	char c1[256];
	if (slurp("/proc/1/cmdline", c1, sizeof(c1)) <= 0 || !strstr(c1, "hutch-agent"))
		harm("the agent died during the bomb");
	note("fork failed after %d direct children (pids.current %ld)", n, cur);
	/* Exit with the whole tree still alive: the sandbox must kill it on the way out. */
	return ATTACK_HELD;
}
