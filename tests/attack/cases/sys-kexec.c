/* attack: kexec_load / kexec_file_load a new kernel */
#include "attack.h"
int main(void)
{
	/* No segments: even a kernel that let this through would only unload. */
	MUST_FAIL("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
	MUST_FAIL("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, "", 4 /* unload */));
	return ATTACK_HELD;
}
