/* attack: reach the host root through /proc/self/root and /proc/1/root */
#include "attack.h"
int main(void)
{
	char buf[4096];
	const char *paths[] = { "/proc/self/root/etc/shadow", "/proc/1/root/etc/shadow",
				"/proc/self/root/../../etc/shadow", "/proc/thread-self/root/etc/shadow" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		ssize_t n = slurp(paths[i], buf, sizeof(buf));
		if (n > 0)
			harm("read %s", paths[i]);
		note("%s: %s", paths[i], strerror((int)-n));
	}
	MUST_FAIL("write through /proc/self/root/etc",
		  open("/proc/self/root/etc/hutch-attack", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	/* The root seen there must be the sandbox's: same device and inode as "/". */
	struct stat a, b;
	if (stat("/", &a) < 0 || stat("/proc/self/root/", &b) < 0)
		return 2;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		harm("/proc/self/root is not the sandbox root");
	return ATTACK_HELD;
}
