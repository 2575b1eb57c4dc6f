/* attack: chroot (the classic double-chroot escape needs it) */
#include "attack.h"
int main(void)
{
	mkdir("/tmp/c", 0755);
	MUST_FAIL("chroot /tmp/c", chroot("/tmp/c"));
	MUST_FAIL("chroot /", chroot("/"));
	return ATTACK_HELD;
}
