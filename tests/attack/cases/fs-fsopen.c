/* attack: mount through the new mount API (fsopen/fsmount/move_mount), e.g. an overlay */
#include "attack.h"
int main(void)
{
	MUST_FAIL("fsopen(tmpfs)", syscall(SYS_fsopen, "tmpfs", 0));
	MUST_FAIL("fsopen(overlay)", syscall(SYS_fsopen, "overlay", 0));
	MUST_FAIL("fspick(/)", syscall(SYS_fspick, AT_FDCWD, "/", 0));
	MUST_FAIL("move_mount(/work -> /etc)",
		  syscall(SYS_move_mount, AT_FDCWD, "/work", AT_FDCWD, "/etc", 0));
	return ATTACK_HELD;
}
