/* attack: reach the agent's control socket (host path, any unix socket found on the host root) */
#include "attack.h"
#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>
static int try_connect(const char *path)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int r = connect(s, (struct sockaddr *)&a, sizeof(a));
	close(s);
	return r;
}
int main(void)
{
	const char *state = getenv("ATK_STATE");
	if (!state)
		return 2;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/agents", state);
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			char p[8192];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			if (e->d_name[0] != '.' && try_connect(p) == 0)
				harm("connected to the agent socket %s", p);
		}
		closedir(d);
		note("listed %s but could not connect", dir);
	} else {
		note("%s: %s", dir, strerror(errno));
	}
	const char *def[] = { "/run/hutch", "/var/run/hutch" };
	for (int i = 0; i < 2; i++)
		if (access(def[i], F_OK) == 0)
			harm("%s is visible in the sandbox", def[i]);
	return ATTACK_HELD;
}
