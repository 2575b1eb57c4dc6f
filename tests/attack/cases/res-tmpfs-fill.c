/* attack: fill /tmp, /dev/shm and /var/tmp (each tmpfs has a size cap; RAM is not exhausted) */
#include "attack.h"
static long long fill(const char *path, long long max)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	static char buf[1 << 20];
	memset(buf, 'x', sizeof(buf));
	long long n = 0;
	ssize_t k;
	while (n < max && (k = write(fd, buf, sizeof(buf))) > 0)
		n += k;
	close(fd);
	unlink(path);
	return n;
}
int main(void)
{
	long long t = fill("/tmp/fill", 400LL << 20);
	if (t >= 400LL << 20)
		harm("wrote 400 MiB into /tmp");
	long long s = fill("/dev/shm/fill", 200LL << 20);
	if (s >= 200LL << 20)
		harm("wrote 200 MiB into /dev/shm");
	long long v = fill("/var/tmp/fill", 200LL << 20);
	if (v >= 200LL << 20)
		harm("wrote 200 MiB into /var/tmp");
	note("/tmp stopped at %lld MiB, /dev/shm at %lld MiB, /var/tmp at %lld MiB", t >> 20, s >> 20, v >> 20);
	return ATTACK_HELD;
}
