/* attack: write host kernel settings through /sys (uevent_helper, power, THP, net devices) */
#include "attack.h"
int main(void)
{
	const char *p[] = { "/sys/kernel/uevent_helper", "/sys/power/state",
			    "/sys/kernel/mm/transparent_hugepage/enabled", "/sys/class/net/lo/mtu",
			    "/sys/kernel/profiling", "/sys/block/vda/queue/scheduler" };
	for (size_t i = 0; i < sizeof(p) / sizeof(*p); i++) {
		if (access(p[i], F_OK) < 0)
			continue;
		MUST_FAIL(p[i], open(p[i], O_WRONLY | O_CLOEXEC));
	}
	MUST_FAIL("create /sys/hutch-attack", open("/sys/hutch-attack", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	return ATTACK_HELD;
}
