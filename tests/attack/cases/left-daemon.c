/* attack: leave a daemon running after the sandbox ends (double fork, setsid, ignore SIGHUP/SIGTERM) */
#include "attack.h"
#include <signal.h>
int main(void)
{
	if (fork() == 0) {
		setsid();
		if (fork() == 0) {
			signal(SIGHUP, SIG_IGN);
			signal(SIGTERM, SIG_IGN);
			close(0);
			close(1);
			close(2);
			execl("/bin/sleep", "sleep", "987654", NULL);
			_exit(0);
		}
		_exit(0);
	}
	wait(NULL);
	note("daemon started; the host checks it is gone");
	return ATTACK_HELD;
}
