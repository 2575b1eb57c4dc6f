/* attack: a time namespace with shifted clocks (clock offsets leaking to the host) */
#include "attack.h"
#include <sched.h>
#include <time.h>
int main(void)
{
	MUST_FAIL("unshare(CLONE_NEWTIME)", unshare(0x80));
	int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write(fd, "monotonic 86400 0", 17) > 0)
		harm("wrote timens_offsets");
	MUST_FAIL("clock_settime(MONOTONIC)", clock_settime(CLOCK_MONOTONIC, &(struct timespec){ 1, 0 }));
	return ATTACK_HELD;
}
