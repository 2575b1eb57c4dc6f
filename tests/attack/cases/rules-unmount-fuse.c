/* attack: remove the FUSE mount enforcing --deny (umount, detach, over-mount) to see beneath */
#include "rules-attack.h"

#include <sys/mount.h>
int main(void)
{
	MUST_FAIL("umount /work", umount2("/work", 0));
	MUST_FAIL("umount /work MNT_DETACH", umount2("/work", MNT_DETACH));
	MUST_FAIL("mount --bind /work/s over /work",
		  mount("/work/s", "/tmp", NULL, MS_BIND, NULL));
	try_open("/work/s/key.pem");
	/* The unmounted, idmapped workspace under the FUSE mount, by /proc names. */
	try_open("/proc/self/root/work/s/key.pem");
	try_open("/proc/thread-self/root/work/s/key.pem");
	/* A FUSE connection's own files: abort it (the sandbox must not reach fusectl). */
	MUST_FAIL("mount fusectl", mount("none", "/tmp", "fusectl", 0, NULL));
	return ATTACK_HELD;
}
