/* attack: register a binfmt_misc handler (its interpreter would run for host programs) */
#include "attack.h"
#include <sys/mount.h>
int main(void)
{
	MUST_FAIL("open /proc/sys/fs/binfmt_misc/register",
		  open("/proc/sys/fs/binfmt_misc/register", O_WRONLY | O_CLOEXEC));
	mkdir("/tmp/bm", 0755);
	MUST_FAIL("mount binfmt_misc", mount("binfmt_misc", "/tmp/bm", "binfmt_misc", 0, NULL));
	return ATTACK_HELD;
}
