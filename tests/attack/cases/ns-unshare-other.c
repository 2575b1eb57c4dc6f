/* attack: unshare mount, net, pid, uts, ipc, cgroup and time namespaces */
#include "attack.h"
#include <sched.h>
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
int main(void)
{
	MUST_FAIL("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
	MUST_FAIL("unshare(CLONE_NEWNET)", unshare(CLONE_NEWNET));
	MUST_FAIL("unshare(CLONE_NEWPID)", unshare(CLONE_NEWPID));
	MUST_FAIL("unshare(CLONE_NEWUTS)", unshare(CLONE_NEWUTS));
	MUST_FAIL("unshare(CLONE_NEWIPC)", unshare(CLONE_NEWIPC));
	MUST_FAIL("unshare(CLONE_NEWCGROUP)", unshare(CLONE_NEWCGROUP));
	MUST_FAIL("unshare(CLONE_NEWTIME)", unshare(CLONE_NEWTIME));
	return ATTACK_HELD;
}
