/* attack: open the host's terminals through /dev/pts (the sandbox's devpts must be its own instance) */
#include "attack.h"
#include <dirent.h>
int main(void)
{
	DIR *d = opendir("/dev/pts");
	if (!d)
		return 2;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "ptmx"))
			harm("/dev/pts/%s visible in a sandbox without a terminal", e->d_name);
	closedir(d);
	for (int i = 0; i < 16; i++) {
		char p[32];
		snprintf(p, sizeof(p), "/dev/pts/%d", i);
		int fd = open(p, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0)
			harm("opened %s", p);
	}
	MUST_FAIL("open /dev/tty0", open("/dev/tty0", O_RDWR | O_CLOEXEC));
	MUST_FAIL("open /dev/console", open("/dev/console", O_RDWR | O_CLOEXEC));
	note("no host terminal reachable");
	return ATTACK_HELD;
}
