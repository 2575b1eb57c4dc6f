/* attack: swapon/swapoff (steal host swap, or turn it off) */
#include "attack.h"
#include <sys/swap.h>
int main(void)
{
	int fd = open("/tmp/swap", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
		return 2;
	close(fd);
	MUST_FAIL("swapon /tmp/swap", swapon("/tmp/swap", 0));
	MUST_FAIL("swapoff /dev/vda", swapoff("/dev/vda"));
	return ATTACK_HELD;
}
