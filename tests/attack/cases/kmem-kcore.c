/* attack: read kernel memory through /proc/kcore, /dev/mem, /dev/kmem and /dev/port */
#include "attack.h"
int main(void)
{
	const char *p[] = { "/proc/kcore", "/dev/mem", "/dev/kmem", "/dev/port", "/proc/self/root/dev/mem" };
	for (size_t i = 0; i < sizeof(p) / sizeof(*p); i++) {
		int fd = open(p[i], O_RDONLY | O_CLOEXEC);
		char b[16];
		if (fd >= 0 && read(fd, b, sizeof(b)) > 0)
			harm("read %s", p[i]);
		note("%s: %s", p[i], strerror(errno));
	}
	return ATTACK_HELD;
}
