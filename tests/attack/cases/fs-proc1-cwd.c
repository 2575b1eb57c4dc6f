/* attack: use the agent's /proc/1/cwd, /proc/1/fd and /proc/1/environ to leave the sandbox */
#include "attack.h"
#include <dirent.h>
int main(void)
{
	char buf[65536];
	MUST_FAIL("create a file under /proc/1/cwd",
		  open("/proc/1/cwd/hutch-attack", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	ssize_t n = slurp("/proc/1/environ", buf, sizeof(buf));
	if (n > 0 && (strstr(buf, "SECRET") || strstr(buf, "TOKEN")))
		harm("the agent's environment holds secrets");
	/* Listing the agent's fd numbers is allowed (we own its /proc entries in our user
	 * namespace); following one needs ptrace access, which must be denied. */
	DIR *d = opendir("/proc/1/fd");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			char p[300], l[256];
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "/proc/1/fd/%s", e->d_name);
			if (readlink(p, l, sizeof(l)) >= 0)
				harm("read the agent's fd link %s", p);
		}
		closedir(d);
	}
	note("/proc/1/fd: %s", strerror(errno));
	return ATTACK_HELD;
}
