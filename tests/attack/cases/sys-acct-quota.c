/* attack: process accounting to a file (acct) and quotactl on the host disk */
#include "attack.h"
int main(void)
{
	MUST_FAIL("acct(/tmp/acct)", syscall(SYS_acct, "/tmp/acct"));
	MUST_FAIL("quotactl(Q_QUOTAOFF, /dev/vda)", syscall(SYS_quotactl, 0x800003, "/dev/vda", 0, NULL));
	MUST_FAIL("vhangup", syscall(SYS_vhangup));
	return ATTACK_HELD;
}
