/* attack: climb out of /work with .. to reach the workspace's host parent */
#include "attack.h"
int main(void)
{
	/* On the host, /work's parent is the test's temp dir: a file there would be an escape. */
	MUST_FAIL("create /work/../escaped", open("/work/../escaped", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	MUST_FAIL("create /work/../../escaped", open("/work/../../escaped", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	int d = open("/work", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return 2;
	MUST_FAIL("openat(/work, ../escaped)", openat(d, "../escaped", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	MUST_FAIL("mkdirat(/work, ../escaped-dir)", mkdirat(d, "../escaped-dir", 0755));
	char buf[256];
	ssize_t n = slurp("/work/../../../../etc/shadow", buf, sizeof(buf));
	if (n > 0)
		harm("read /etc/shadow through ..");
	return ATTACK_HELD;
}
