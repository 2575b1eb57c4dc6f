/* attack: find a dangerous device node in the sandbox's /dev (disks, memory, tty consoles) */
#include "attack.h"
#include <dirent.h>
int main(void)
{
	const char *ok[] = { "null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts",
			     "shm", "mqueue", "fd", "stdin", "stdout", "stderr", ".hutch-agent",
			     "console", NULL };
	DIR *d = opendir("/dev");
	if (!d)
		return 2;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".hutch-agent"))
			continue;
		int safe = 0;
		for (int i = 0; ok[i]; i++)
			safe |= strcmp(e->d_name, ok[i]) == 0;
		if (!safe)
			harm("/dev/%s present", e->d_name);
	}
	closedir(d);
	MUST_FAIL("open /dev/vda", open("/dev/vda", O_RDONLY | O_CLOEXEC));
	MUST_FAIL("open /dev/console", open("/dev/console", O_RDWR | O_CLOEXEC));
	note("only the safe device nodes exist");
	return ATTACK_HELD;
}
