/* attack: change host sysctls through /proc/sys (hostname, drop_caches, core_pattern, ip_forward) */
#include "attack.h"
int main(void)
{
	const char *p[] = { "/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches",
			    "/proc/sys/kernel/core_pattern", "/proc/sys/net/ipv4/ip_forward",
			    "/proc/sys/kernel/panic", "/proc/sys/vm/overcommit_memory",
			    "/proc/sys/kernel/randomize_va_space" };
	for (size_t i = 0; i < sizeof(p) / sizeof(*p); i++)
		MUST_FAIL(p[i], open(p[i], O_WRONLY | O_CLOEXEC));
	MUST_FAIL("sysctl through /proc/self/root/proc/sys",
		  open("/proc/self/root/proc/sys/kernel/panic", O_WRONLY | O_CLOEXEC));
	return ATTACK_HELD;
}
