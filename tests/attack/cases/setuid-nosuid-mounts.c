/* attack: plant a setuid binary in a writable mount (/tmp, /work, /dev/shm, /var/tmp, /run) */
#include "attack.h"
#include <sys/statvfs.h>
int main(void)
{
	const char *m[] = { "/tmp", "/work", "/dev/shm", "/var/tmp", "/run", "/dev", "/proc" };
	for (size_t i = 0; i < sizeof(m) / sizeof(*m); i++) {
		struct statvfs v;
		if (statvfs(m[i], &v) < 0)
			continue;
		if (!(v.f_flag & ST_NOSUID))
			harm("%s is mounted without nosuid", m[i]);
		if (strcmp(m[i], "/dev") && !(v.f_flag & ST_NODEV) && strcmp(m[i], "/proc"))
			harm("%s is mounted without nodev", m[i]);
	}
	/* The host root is read-only: nothing setuid can be added there either. */
	struct statvfs v;
	if (statvfs("/", &v) == 0 && !(v.f_flag & ST_RDONLY))
		harm("/ is writable");
	note("every writable mount is nosuid,nodev");
	return ATTACK_HELD;
}
