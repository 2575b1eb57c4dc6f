/* attack: fill the host disk through /work when the sandbox has --workspace-quota 64m: big
 * files, a sparse file's length, fallocate, and many empty files must all stop at the quota */
#include <sys/statvfs.h>
#include "attack.h"

static long long fill(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	static char buf[1 << 20];
	memset(buf, 'x', sizeof(buf));
	long long n = 0;
	ssize_t k;
	while (n < (200LL << 20) && (k = write(fd, buf, sizeof(buf))) > 0)
		n += k;
	close(fd);
	return n;
}

int main(void)
{
	long long n = fill("/work/fill");
	unlink("/work/fill");
	if (n < 0)
		return 2;
	if (n > (64LL << 20))
		harm("wrote %lld MiB with a 64 MiB quota", n >> 20);
	/* What was removed is given back: the same again fits. */
	long long again = fill("/work/fill");
	unlink("/work/fill");
	if (again < (32LL << 20))
		harm("after removing the file only %lld MiB could be written again", again >> 20);
	int fd = open("/work/sparse", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return 2;
	if (ftruncate(fd, 1LL << 40) == 0)
		harm("a 1 TiB sparse file was allowed under a 64 MiB quota");
	if (fallocate(fd, 0, 0, 1LL << 30) == 0)
		harm("fallocate of 1 GiB was allowed under a 64 MiB quota");
	close(fd);
	unlink("/work/sparse");
	if (mkdir("/work/many", 0700) < 0)
		return 2;
	char p[64];
	int i;
	for (i = 0; i < 100000; i++) {
		snprintf(p, sizeof(p), "/work/many/%d", i);
		int f = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (f < 0)
			break;
		close(f);
	}
	for (int j = 0; j < i; j++) {
		snprintf(p, sizeof(p), "/work/many/%d", j);
		unlink(p);
	}
	rmdir("/work/many");
	if (i >= 100000)
		harm("made 100000 empty files under a 64 MiB quota");
	note("stopped at %lld MiB, %d empty files", n >> 20, i);
	return ATTACK_HELD;
}
