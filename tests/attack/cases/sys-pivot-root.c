/* attack: pivot_root to swap the sandbox root */
#include "attack.h"
int main(void)
{
	mkdir("/tmp/new", 0755);
	mkdir("/tmp/new/old", 0755);
	MUST_FAIL("pivot_root(/tmp/new, /tmp/new/old)", syscall(SYS_pivot_root, "/tmp/new", "/tmp/new/old"));
	MUST_FAIL("pivot_root(., .)", syscall(SYS_pivot_root, ".", "."));
	return ATTACK_HELD;
}
