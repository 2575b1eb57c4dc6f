/* attack: packet sockets (AF_PACKET: link-layer sniffing and injection) */
#include "attack.h"
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <sys/socket.h>
int main(void)
{
	MUST_FAIL("socket(AF_PACKET, SOCK_RAW)", socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)));
	MUST_FAIL("socket(AF_PACKET, SOCK_DGRAM)", socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL)));
	MUST_FAIL("socket(AF_INET, SOCK_PACKET)", socket(AF_INET, SOCK_PACKET, htons(ETH_P_ALL)));
	return ATTACK_HELD;
}
