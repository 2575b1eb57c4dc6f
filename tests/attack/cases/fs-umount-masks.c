/* attack: unmount the masks over /proc and /sys, and the read-only /proc/sys */
#include "attack.h"
#include <sys/mount.h>
int main(void)
{
	const char *p[] = { "/proc/acpi", "/proc/keys", "/proc/timer_list", "/sys/firmware",
			    "/proc/sys", "/work", "/tmp", "/dev/.hutch-agent" };
	for (size_t i = 0; i < sizeof(p) / sizeof(*p); i++) {
		MUST_FAIL(p[i], umount2(p[i], MNT_DETACH));
	}
	return ATTACK_HELD;
}
