/* attack: reopen a host file passed as stdin (read-only) for writing through /proc/self/fd/0 */
#include "attack.h"
int main(void)
{
	char buf[64];
	if (read(0, buf, sizeof(buf)) <= 0)
		return 2;
	MUST_FAIL("open /proc/self/fd/0 for writing", open("/proc/self/fd/0", O_WRONLY | O_CLOEXEC));
	MUST_FAIL("open /dev/stdin O_RDWR", open("/dev/stdin", O_RDWR | O_CLOEXEC));
	MUST_FAIL("write(0)", write(0, "x", 1));
	MUST_FAIL("ftruncate(0)", ftruncate(0, 0));
	MUST_FAIL("fchmod(0, 0666)", fchmod(0, 0666));
	MUST_FAIL("fchown(0)", fchown(0, 0, 0));
	return ATTACK_HELD;
}
