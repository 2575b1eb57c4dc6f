/* attack: change the hostname/domainname so it leaks to the host */
#include "attack.h"
int main(void)
{
	MUST_FAIL("sethostname(pwned)", sethostname("hutch-pwned", 11));
	MUST_FAIL("setdomainname(pwned)", setdomainname("hutch-pwned", 11));
	MUST_FAIL("write /proc/sys/kernel/hostname", open("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC));
	char h[256];
	gethostname(h, sizeof(h));
	note("hostname inside: %s", h);
	return ATTACK_HELD;
}
