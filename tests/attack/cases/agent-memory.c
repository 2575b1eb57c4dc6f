/* attack: read or write the agent's memory (process_vm_readv/writev, /proc/1/mem) */
#include "attack.h"
#include <sys/uio.h>
int main(void)
{
	char buf[64];
	struct iovec l = { buf, sizeof(buf) }, r = { (void *)0x400000, sizeof(buf) };
	MUST_FAIL("process_vm_readv(1)", process_vm_readv(1, &l, 1, &r, 1, 0));
	MUST_FAIL("process_vm_writev(1)", process_vm_writev(1, &l, 1, &r, 1, 0));
	MUST_FAIL("open /proc/1/mem", open("/proc/1/mem", O_RDWR | O_CLOEXEC));
	MUST_FAIL("open /proc/1/mem read-only", open("/proc/1/mem", O_RDONLY | O_CLOEXEC));
	return ATTACK_HELD;
}
