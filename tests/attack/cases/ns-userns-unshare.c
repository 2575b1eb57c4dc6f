/* attack: unshare a new user namespace to regain a full capability set */
#include "attack.h"
#include <sched.h>
int main(void)
{
	MUST_FAIL("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
	MUST_FAIL("unshare(CLONE_NEWUSER|CLONE_NEWNS)", unshare(CLONE_NEWUSER | CLONE_NEWNS));
	if (cap_eff() != 0)
		harm("capabilities after unshare: %llx", cap_eff());
	return ATTACK_HELD;
}
