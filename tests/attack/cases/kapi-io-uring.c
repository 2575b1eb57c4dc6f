/* attack: io_uring (a large kernel attack surface that bypasses seccomp for its operations) */
#include "attack.h"
#include <linux/io_uring.h>
int main(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	MUST_FAIL("io_uring_setup", syscall(SYS_io_uring_setup, 8, &p));
	MUST_FAIL("io_uring_enter", syscall(SYS_io_uring_enter, 0, 0, 0, 0, NULL, 0));
	MUST_FAIL("io_uring_register", syscall(SYS_io_uring_register, 0, 0, NULL, 0));
	return ATTACK_HELD;
}
