/* attack: create and overwrite files in the host's /etc and /usr */
#include "attack.h"
int main(void)
{
	MUST_FAIL("create /etc/hutch-attack", open("/etc/hutch-attack", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	MUST_FAIL("open /etc/passwd for writing", open("/etc/passwd", O_WRONLY | O_APPEND | O_CLOEXEC));
	MUST_FAIL("open /usr/bin/id for writing", open("/usr/bin/id", O_WRONLY | O_CLOEXEC));
	MUST_FAIL("rename /etc/hostname", rename("/etc/hostname", "/etc/hostname.x"));
	MUST_FAIL("unlink /etc/motd", unlink("/etc/motd"));
	MUST_FAIL("chmod /etc/shadow", chmod("/etc/shadow", 0666));
	MUST_FAIL("truncate /etc/passwd", truncate("/etc/passwd", 0));
	return ATTACK_HELD;
}
