/* attack: follow a symlink planted in /work to read and write host files */
#include "attack.h"
int main(void)
{
	char buf[4096];
	unlink("/work/l-shadow");
	unlink("/work/l-passwd");
	if (symlink("/etc/shadow", "/work/l-shadow") < 0 || symlink("/etc/passwd", "/work/l-passwd") < 0)
		return 2;
	ssize_t n = slurp("/work/l-shadow", buf, sizeof(buf));
	if (n > 0)
		harm("read /etc/shadow through a symlink in /work");
	note("read through symlink: %s", strerror((int)-n));
	MUST_FAIL("write /etc/passwd through a symlink in /work",
		  open("/work/l-passwd", O_WRONLY | O_APPEND | O_CLOEXEC));
	/* A symlink to the workspace's own parent on the host must lead inside the sandbox root. */
	unlink("/work/l-up");
	if (symlink("../../..", "/work/l-up") < 0)
		return 2;
	MUST_FAIL("create a file through a ../ symlink", open("/work/l-up/hutch-escape", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	return ATTACK_HELD;
}
