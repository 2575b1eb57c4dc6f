/* attack: raw IP sockets (forge packets, sniff) */
#include "attack.h"
#include <netinet/in.h>
#include <sys/socket.h>
int main(void)
{
	MUST_FAIL("socket(AF_INET, SOCK_RAW, ICMP)", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	MUST_FAIL("socket(AF_INET, SOCK_RAW, RAW)", socket(AF_INET, SOCK_RAW, IPPROTO_RAW));
	MUST_FAIL("socket(AF_INET6, SOCK_RAW, ICMPV6)", socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6));
	MUST_FAIL("socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC)", socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP));
	return ATTACK_HELD;
}
