/* attack: read secrets from the environment (the host exported tokens and keys) */
#include "attack.h"
#include <dirent.h>
extern char **environ;
int main(void)
{
	for (char **e = environ; *e; e++)
		if (strstr(*e, "hutch-attack-secret"))
			harm("secret in the environment: %s", *e);
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (atoi(de->d_name) <= 0)
			continue;
		char p[300];
		static char buf[65536];
		snprintf(p, sizeof(p), "/proc/%s/environ", de->d_name);
		ssize_t n = slurp(p, buf, sizeof(buf));
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == 0)
				buf[i] = '\n';
		if (n > 0 && strstr(buf, "hutch-attack-secret"))
			harm("secret in /proc/%s/environ", de->d_name);
	}
	note("no secret visible");
	return ATTACK_HELD;
}
