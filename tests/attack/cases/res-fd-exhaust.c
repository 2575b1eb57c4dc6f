/* attack: exhaust file descriptors and raise RLIMIT_NOFILE past its hard limit */
#include "attack.h"
#include <sys/resource.h>
int main(void)
{
	int n = 0;
	while (open("/dev/null", O_RDONLY) >= 0 && n < 1000000)
		n++;
	if (n >= 1000000)
		harm("opened a million fds");
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	struct rlimit big = { 1 << 20, 1 << 20 };
	MUST_FAIL("setrlimit(NOFILE, 1M)", setrlimit(RLIMIT_NOFILE, &big));
	MUST_FAIL("prlimit(agent, NOFILE)", prlimit(1, RLIMIT_NOFILE, &big, NULL));
	note("stopped after %d fds (hard limit %llu)", n, (unsigned long long)rl.rlim_max);
	return ATTACK_HELD;
}
