/* attack: overwrite the agent's binary through /proc/1/exe or its mount (runc CVE-2019-5736) */
#include "attack.h"
int main(void)
{
	MUST_FAIL("open /proc/1/exe for writing", open("/proc/1/exe", O_WRONLY | O_CLOEXEC));
	MUST_FAIL("open /dev/.hutch-agent for writing", open("/dev/.hutch-agent", O_WRONLY | O_CLOEXEC));
	int fd = open("/proc/1/exe", O_PATH | O_CLOEXEC);
	if (fd >= 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		MUST_FAIL("reopen /proc/1/exe O_PATH fd for writing", open(p, O_WRONLY | O_CLOEXEC));
	}
	MUST_FAIL("unlink /dev/.hutch-agent", unlink("/dev/.hutch-agent"));
	return ATTACK_HELD;
}
