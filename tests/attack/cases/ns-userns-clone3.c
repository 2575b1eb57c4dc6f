/* attack: clone3() with CLONE_NEWUSER, whose flags hide in memory out of seccomp's sight */
#include "attack.h"
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
int main(void)
{
	struct clone_args a = { .flags = CLONE_NEWUSER | CLONE_NEWNS, .exit_signal = SIGCHLD };
	long r = syscall(SYS_clone3, &a, sizeof(a));
	if (r == 0)
		_exit(0);
	if (r > 0) {
		waitpid((pid_t)r, NULL, 0);
		harm("clone3(CLONE_NEWUSER) made child %ld", r);
	}
	note("clone3: %s", strerror(errno));
	return ATTACK_HELD;
}
