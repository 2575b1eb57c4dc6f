/* attack: hard-link host files (shadow, a setuid binary) into /work to read or keep them */
#include "attack.h"
int main(void)
{
	unlink("/work/shadow");
	unlink("/work/passwd-suid");
	MUST_FAIL("link /etc/shadow into /work", link("/etc/shadow", "/work/shadow"));
	MUST_FAIL("link /usr/bin/passwd into /work", link("/usr/bin/passwd", "/work/passwd-suid"));
	MUST_FAIL("linkat AT_SYMLINK_FOLLOW /etc/shadow",
		  linkat(AT_FDCWD, "/etc/shadow", AT_FDCWD, "/work/shadow", AT_SYMLINK_FOLLOW));
	return ATTACK_HELD;
}
