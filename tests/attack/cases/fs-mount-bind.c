/* attack: bind-mount, remount read-write or mount a tmpfs over the host's directories */
#include "attack.h"
#include <sys/mount.h>
int main(void)
{
	mkdir("/tmp/m", 0755);
	MUST_FAIL("bind / on /tmp/m", mount("/", "/tmp/m", NULL, MS_BIND | MS_REC, NULL));
	MUST_FAIL("remount / read-write", mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL));
	MUST_FAIL("remount /work without nosuid", mount(NULL, "/work", NULL, MS_REMOUNT | MS_BIND, NULL));
	MUST_FAIL("tmpfs over /etc", mount("tmpfs", "/etc", "tmpfs", 0, NULL));
	MUST_FAIL("mount proc on /tmp/m", mount("proc", "/tmp/m", "proc", 0, NULL));
	MUST_FAIL("make / shared", mount(NULL, "/", NULL, MS_SHARED | MS_REC, NULL));
	return ATTACK_HELD;
}
