/* attack: connect to a host abstract unix socket (like containerd's or X11's @ sockets) */
#include "attack.h"
#include <sys/socket.h>
#include <sys/un.h>
int main(void)
{
	const char *name = getenv("ATK_ABSTRACT");
	if (!name)
		return 2;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	memcpy(a.sun_path + 1, name, n);
	if (connect(s, (struct sockaddr *)&a, (socklen_t)(sizeof(a.sun_family) + 1 + n)) == 0)
		harm("connected to host abstract socket @%s", name);
	note("@%s: %s", name, strerror(errno));
	return ATTACK_HELD;
}
