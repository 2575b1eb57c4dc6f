/* attack: userfaultfd (a race-widening primitive in kernel exploits), syscall and /dev/userfaultfd */
#include "attack.h"
int main(void)
{
	MUST_FAIL("userfaultfd(0)", syscall(SYS_userfaultfd, O_CLOEXEC));
	MUST_FAIL("userfaultfd(UFFD_USER_MODE_ONLY)", syscall(SYS_userfaultfd, O_CLOEXEC | 1));
	MUST_FAIL("open /dev/userfaultfd", open("/dev/userfaultfd", O_RDWR | O_CLOEXEC));
	return ATTACK_HELD;
}
