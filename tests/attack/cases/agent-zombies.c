/* attack: bury the agent in orphans and zombies (it must reap them all) */
#include "attack.h"
#include <dirent.h>
#include <time.h>
int main(void)
{
	for (int i = 0; i < 200; i++) {
		pid_t p = fork();
		if (p < 0)
			break;
		if (p == 0) {
			if (fork() == 0)
				_exit(0); /* grandchild: an orphan the agent must reap */
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
	nanosleep(&(struct timespec){ 0, 300000000 }, NULL);
	DIR *d = opendir("/proc");
	struct dirent *e;
	int z = 0;
	while ((e = readdir(d))) {
		char p[300], buf[512];
		if (atoi(e->d_name) <= 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%s/stat", e->d_name);
		if (slurp(p, buf, sizeof(buf)) > 0) {
			char *c = strrchr(buf, ')');
			if (c && c[2] == 'Z')
				z++;
		}
	}
	if (z > 0)
		harm("%d zombies left unreaped", z);
	note("all orphans reaped");
	return ATTACK_HELD;
}
