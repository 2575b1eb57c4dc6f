/* attack: personality flags that weaken the sandboxed process (no ASLR, READ_IMPLIES_EXEC) */
#include "attack.h"
#include <sys/personality.h>
int main(void)
{
	MUST_FAIL("personality(ADDR_NO_RANDOMIZE)", syscall(SYS_personality, ADDR_NO_RANDOMIZE));
	MUST_FAIL("personality(READ_IMPLIES_EXEC)", syscall(SYS_personality, READ_IMPLIES_EXEC));
	MUST_FAIL("personality(MMAP_PAGE_ZERO)", syscall(SYS_personality, MMAP_PAGE_ZERO));
	/* The high bits of the argument must not sneak a flag past a 32-bit comparison. */
	MUST_FAIL("personality(1<<32 | ADDR_NO_RANDOMIZE)", syscall(SYS_personality, (1UL << 32) | ADDR_NO_RANDOMIZE));
	return ATTACK_HELD;
}
