/* attack: hard-link a --deny'd file to a visible name (link, linkat, via /proc and O_PATH) */
#include "rules-attack.h"
int main(void)
{
	MUST_FAIL("link key.pem to k.txt", link("/work/s/key.pem", "/work/s/k.txt"));
	MUST_FAIL("link key.pem to /work/k2", link("/work/s/key.pem", "/work/k2"));
	MUST_FAIL("linkat AT_SYMLINK_FOLLOW via /proc/self/root",
		  linkat(AT_FDCWD, "/proc/self/root/work/s/key.pem", AT_FDCWD, "/work/k3",
			 AT_SYMLINK_FOLLOW));
	int d = open("/work/s", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return 2;
	MUST_FAIL("linkat(dirfd, key.pem)", linkat(d, "key.pem", AT_FDCWD, "/work/k4", 0));
	/* A symlink to it, then a hard link of the symlink's target. */
	unlink("/work/sl");
	if (symlink("s/key.pem", "/work/sl") == 0)
		MUST_FAIL("link through a symlink",
			  linkat(AT_FDCWD, "/work/sl", AT_FDCWD, "/work/k5", AT_SYMLINK_FOLLOW));
	try_open("/work/s/k.txt");
	try_open("/work/k2");
	return ATTACK_HELD;
}
