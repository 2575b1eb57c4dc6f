/* attack: create device nodes for the host's disk and memory (/tmp, /dev, /work) */
#include "attack.h"
#include <sys/sysmacros.h>
int main(void)
{
	MUST_FAIL("mknod /tmp/vda (block 254:0)", mknod("/tmp/vda", S_IFBLK | 0600, makedev(254, 0)));
	MUST_FAIL("mknod /tmp/sda (block 8:0)", mknod("/tmp/sda", S_IFBLK | 0600, makedev(8, 0)));
	MUST_FAIL("mknod /dev/mem (char 1:1)", mknod("/dev/mem", S_IFCHR | 0600, makedev(1, 1)));
	MUST_FAIL("mknod /work/mem (char 1:1)", mknod("/work/mem", S_IFCHR | 0666, makedev(1, 1)));
	MUST_FAIL("mknodat /work/kmsg (char 1:11)", mknodat(AT_FDCWD, "/work/kmsg", S_IFCHR | 0666, makedev(1, 11)));
	return ATTACK_HELD;
}
