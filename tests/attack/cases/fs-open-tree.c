/* attack: clone a mount tree with open_tree and change its flags with mount_setattr */
#include "attack.h"
#include <linux/mount.h>
int main(void)
{
	MUST_FAIL("open_tree(/, OPEN_TREE_CLONE)",
		  syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE | AT_RECURSIVE));
	struct mount_attr a = { .attr_clr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID };
	MUST_FAIL("mount_setattr(/, clear ro)", syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &a, sizeof(a)));
	MUST_FAIL("mount_setattr(/work, clear nosuid)", syscall(SYS_mount_setattr, AT_FDCWD, "/work", 0, &a, sizeof(a)));
	return ATTACK_HELD;
}
