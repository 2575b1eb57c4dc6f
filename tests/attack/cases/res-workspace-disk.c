/* attack: fill the host disk through /work (capped at 200 MB here; something must stop it earlier) */
#include "attack.h"
int main(void)
{
	/* The workspace is the real disk: never write more than 200 MB. */
	const long long cap = 200LL << 20;
	int fd = open("/work/fill", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return 2;
	static char buf[1 << 20];
	memset(buf, 'x', sizeof(buf));
	long long n = 0;
	ssize_t k;
	while (n < cap && (k = write(fd, buf, sizeof(buf))) > 0)
		n += k;
	int e = errno;
	close(fd);
	unlink("/work/fill");
	if (n >= cap)
		harm("wrote %lld MiB into /work with nothing bounding it", n >> 20);
	note("/work stopped at %lld MiB: %s", n >> 20, strerror(e));
	return ATTACK_HELD;
}
