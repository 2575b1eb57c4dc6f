/* attack: load or unload a kernel module (init_module, finit_module, delete_module) */
#include "attack.h"
int main(void)
{
	char img[64] = { 0x7f, 'E', 'L', 'F' };
	MUST_FAIL("init_module", syscall(SYS_init_module, img, sizeof(img), ""));
	int fd = open("/dev/.hutch-agent", O_RDONLY | O_CLOEXEC);
	MUST_FAIL("finit_module", syscall(SYS_finit_module, fd, "", 0));
	MUST_FAIL("delete_module(hutch_nonexistent)", syscall(SYS_delete_module, "hutch_nonexistent", O_NONBLOCK));
	MUST_FAIL("write /proc/sys/kernel/modprobe", open("/proc/sys/kernel/modprobe", O_WRONLY | O_CLOEXEC));
	return ATTACK_HELD;
}
