/* attack: read or write the kernel log (dmesg via syslog(2), /dev/kmsg, /proc/kmsg) */
#include "attack.h"
#include <sys/klog.h>
int main(void)
{
	char buf[256];
	MUST_FAIL("syslog(READ_ALL)", klogctl(3, buf, sizeof(buf)));
	MUST_FAIL("syslog(CLEAR)", klogctl(5, NULL, 0));
	MUST_FAIL("syslog(CONSOLE_LEVEL)", klogctl(8, NULL, 1));
	MUST_FAIL("open /dev/kmsg", open("/dev/kmsg", O_RDWR | O_CLOEXEC));
	int fd = open("/proc/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		harm("read /proc/kmsg");
	return ATTACK_HELD;
}
