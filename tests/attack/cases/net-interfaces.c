/* attack: find a network interface or route besides loopback (network is off by default) */
#include "attack.h"
#include <dirent.h>
int main(void)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "lo"))
			harm("interface %s visible", e->d_name);
	char buf[8192];
	if (slurp("/proc/net/route", buf, sizeof(buf)) > 0) {
		char *nl = strchr(buf, '\n');
		if (nl && nl[1])
			harm("IPv4 routes present:\n%s", nl + 1);
	}
	if (slurp("/proc/net/dev", buf, sizeof(buf)) > 0) {
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			if (strchr(l, ':') && !strstr(l, "lo:"))
				harm("/proc/net/dev lists: %s", l);
	}
	note("only lo, no routes");
	return ATTACK_HELD;
}
