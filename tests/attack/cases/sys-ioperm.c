/* attack: raw I/O port access (iopl, ioperm) */
#include "attack.h"
int main(void)
{
#if defined(__x86_64__)
	MUST_FAIL("iopl(3)", syscall(SYS_iopl, 3));
	MUST_FAIL("ioperm(0x80)", syscall(SYS_ioperm, 0x80, 1, 1));
	return ATTACK_HELD;
#else
	skip("no I/O ports on this architecture");
#endif
}
