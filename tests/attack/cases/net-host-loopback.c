/* attack: reach a service listening on the host's 127.0.0.1 */
#include "attack.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
int main(void)
{
	const char *port = getenv("ATK_PORT");
	if (!port)
		return 2;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
		harm("connected to the host's 127.0.0.1:%s", port);
	note("127.0.0.1:%s: %s", port, strerror(errno));
	return ATTACK_HELD;
}
