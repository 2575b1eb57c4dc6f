/* attack: connect off the machine with the network off (TEST-NET 192.0.2.1, 2001:db8::1; nothing is sent) */
#include "attack.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
int main(void)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };
	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS)
		harm("connect(192.0.2.1:80) started: %s", strerror(errno));
	if (errno != ENETUNREACH)
		harm("connect(192.0.2.1) failed with %s, expected ENETUNREACH", strerror(errno));
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)) >= 0)
		harm("UDP to 192.0.2.1 was sent");
	int s6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 b = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	inet_pton(AF_INET6, "2001:db8::1", &b.sin6_addr);
	if (s6 >= 0 && (connect(s6, (struct sockaddr *)&b, sizeof(b)) == 0 || errno == EINPROGRESS))
		harm("connect([2001:db8::1]:80) started");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (t1.tv_sec - t0.tv_sec > 2)
		harm("connect took %lds: something tried to route it", (long)(t1.tv_sec - t0.tv_sec));
	note("ENETUNREACH at once, nothing sent");
	return ATTACK_HELD;
}
