/* attack: read the host's /etc/shadow directly */
#include "attack.h"
int main(void)
{
	char buf[4096];
	ssize_t n = slurp("/etc/shadow", buf, sizeof(buf));
	if (n > 0)
		harm("read %zd bytes of /etc/shadow", n);
	note("/etc/shadow: %s", strerror((int)-n));
	return ATTACK_HELD;
}
