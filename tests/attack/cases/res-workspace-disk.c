/* attack: fill the host disk through /work with the default settings: fallocate it all in one call, then two writers at full speed (the workspace is a 768 MiB file system of its own here, see .host) */
#include <sys/statfs.h>
#include "attack.h"

/* Writes 1 MiB blocks until a write fails; exits 10 if the file system filled up. */
static void writer(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		_exit(2);
	static char buf[1 << 20];
	memset(buf, 'x', sizeof(buf));
	while (write(fd, buf, sizeof(buf)) > 0)
		;
	_exit(errno == ENOSPC ? 10 : 3);
}

int main(void)
{
	struct statfs st;
	if (statfs("/work", &st) < 0)
		return 2;
	unsigned long long size = (unsigned long long)st.f_blocks * (unsigned long long)st.f_bsize;
	/* Never against a real disk: the runner gives this attack a small file system. */
	if (size > (1ULL << 30))
		skip("/work is %llu MiB, not the suite's small file system", size >> 20);
	unsigned long long avail = (unsigned long long)st.f_bavail * (unsigned long long)st.f_bsize;
	int fd = open("/work/prealloc", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 2;
	if (fallocate(fd, 0, 0, (off_t)(avail - 4096)) == 0)
		harm("fallocate took %llu MiB of /work in one call", avail >> 20);
	note("fallocate: %s", strerror(errno));
	close(fd);
	pid_t a = fork();
	if (a == 0)
		writer("/work/fill-a");
	pid_t b = fork();
	if (b == 0)
		writer("/work/fill-b");
	int sa = 0, sb = 0;
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	/* Still alive: the writers stopped without the guard stopping us all. */
	if ((WIFEXITED(sa) && WEXITSTATUS(sa) == 10) || (WIFEXITED(sb) && WEXITSTATUS(sb) == 10))
		harm("filled /work until ENOSPC");
	note("writers ended with status %#x and %#x", sa, sb);
	return ATTACK_HELD;
}
