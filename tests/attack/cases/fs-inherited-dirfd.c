/* attack: use an inherited directory fd that points outside the sandbox (runc CVE-2024-21626) */
#include "attack.h"
#include <dirent.h>
int main(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 2;
	struct dirent *e;
	int me = dirfd(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd == me)
			continue;
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
			harm("inherited a directory fd %d", fd);
		char l[256] = "";
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(p, l, sizeof(l) - 1);
		if (n > 0)
			l[n] = 0;
		if (fd > 2)
			harm("inherited fd %d beyond stdio (%s)", fd, l);
		note("fd %d -> %s", fd, l);
	}
	/* The cwd we start in must be inside the sandbox, not a host directory. */
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		harm("the working directory is unreachable from the sandbox root: %s", strerror(errno));
	return ATTACK_HELD;
}
