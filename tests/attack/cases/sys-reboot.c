/* attack: reboot the host (reboot(2) with bad magic: EPERM means denied, EINVAL would mean allowed) */
#include "attack.h"
#include <linux/reboot.h>
int main(void)
{
	/* A wrong magic2 makes the kernel reject the call after its permission check, so a hole
	 * shows up as EINVAL and nothing reboots. */
	long r = syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0x12345678, LINUX_REBOOT_CMD_RESTART, NULL);
	if (r == 0 || errno == EINVAL)
		harm("reboot() passed the permission check (%s)", strerror(errno));
	note("reboot: %s", strerror(errno));
	return ATTACK_HELD;
}
