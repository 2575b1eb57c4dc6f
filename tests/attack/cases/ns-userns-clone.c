/* attack: clone() a child into a new user namespace (flags in the register seccomp sees) */
#include "attack.h"
#include <sched.h>
#include <signal.h>
int main(void)
{
	long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (r == 0) {
		_exit(cap_eff() ? 1 : 0);
	}
	if (r > 0) {
		int st;
		waitpid((pid_t)r, &st, 0);
		harm("clone(CLONE_NEWUSER) made child %ld (caps %s)", r, WEXITSTATUS(st) ? "full" : "none");
	}
	note("clone(CLONE_NEWUSER): %s", strerror(errno));
	return ATTACK_HELD;
}
