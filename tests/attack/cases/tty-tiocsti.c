/* attack: push keystrokes into the controlling terminal with TIOCSTI (and TIOCLINUX) */
#include "attack.h"
#include <sys/ioctl.h>
int main(void)
{
	if (!isatty(0))
		skip("stdin is not a terminal");
	const char *cmd = "echo hutch-attack-injected\n";
	for (const char *c = cmd; *c; c++) {
		if (ioctl(0, TIOCSTI, c) == 0)
			harm("TIOCSTI injected a character");
	}
	note("TIOCSTI: %s", strerror(errno));
	/* High bits in the request must not hide TIOCSTI from a 64-bit comparison. */
	MUST_FAIL("ioctl(1<<32|TIOCSTI)", syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, "x"));
	char sub = 6;
	MUST_FAIL("TIOCLINUX", ioctl(0, TIOCLINUX, &sub));
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		MUST_FAIL("TIOCSTI on /dev/tty", ioctl(fd, TIOCSTI, "x"));
	return ATTACK_HELD;
}
