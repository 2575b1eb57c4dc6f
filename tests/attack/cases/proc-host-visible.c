/* attack: see host processes in /proc (only the sandbox's own tree may be visible) */
#include "attack.h"
#include <dirent.h>
int main(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 2;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		int pid = atoi(e->d_name);
		if (pid <= 0)
			continue;
		char p[64], buf[4096];
		snprintf(p, sizeof(p), "/proc/%d/cmdline", pid);
		if (slurp(p, buf, sizeof(buf)) > 0 && pid != 1 && strstr(buf, "hutch-attack-host-marker"))
			harm("host process %d visible: %s", pid, buf);
		n++;
	}
	closedir(d);
	char c1[256];
	if (slurp("/proc/1/cmdline", c1, sizeof(c1)) <= 0 || !strstr(c1, "hutch-agent"))
		harm("pid 1 is not the agent (%s): not our own pid namespace", c1);
	if (n > 8)
		harm("%d processes visible", n);
	note("%d processes visible, pid 1 is the agent", n);
	return ATTACK_HELD;
}
