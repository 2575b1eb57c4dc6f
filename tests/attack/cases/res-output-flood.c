/* attack: flood stdout and stderr (the host side must not buffer it: the CLI's memory stays flat) */
#include "attack.h"
int main(void)
{
	static char buf[1 << 16];
	memset(buf, 'y', sizeof(buf));
	/* Until the reader goes away (EPIPE/SIGPIPE) or 1 GiB, whichever first. */
	for (long long n = 0; n < (1LL << 30); n += sizeof(buf)) {
		if (write(1, buf, sizeof(buf)) < 0)
			break;
		if ((n & ((1 << 24) - 1)) == 0 && write(2, buf, 4096) < 0)
			break;
	}
	return ATTACK_HELD;
}
