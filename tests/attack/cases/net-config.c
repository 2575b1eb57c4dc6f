/* attack: configure networking anyway (add an address/route, bring up an interface) via netlink/ioctl */
#include "attack.h"
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
int main(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 2;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0xc0000202);
	MUST_FAIL("SIOCSIFADDR lo 192.0.2.2", ioctl(s, SIOCSIFADDR, &ifr));
	struct rtentry rt;
	memset(&rt, 0, sizeof(rt));
	((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
	rt.rt_flags = RTF_UP;
	rt.rt_dev = "lo";
	MUST_FAIL("SIOCADDRT default dev lo", ioctl(s, SIOCADDRT, &rt));
	ifr.ifr_flags = 0;
	MUST_FAIL("SIOCSIFFLAGS lo down", ioctl(s, SIOCSIFFLAGS, &ifr));
	return ATTACK_HELD;
}
