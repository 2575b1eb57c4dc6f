/* attack: smuggle a raw socket past a 64-bit seccomp comparison (domain/type with high bits set) */
#include "attack.h"
#include <netinet/in.h>
#include <sys/socket.h>
int main(void)
{
	/* The kernel truncates to int; a filter comparing all 64 bits might not. */
	MUST_FAIL("socket(1<<32|AF_PACKET, SOCK_RAW)", syscall(SYS_socket, (1UL << 32) | AF_PACKET, SOCK_RAW, 0x300));
	MUST_FAIL("socket(AF_INET, 1<<32|SOCK_RAW)", syscall(SYS_socket, AF_INET, (1UL << 32) | SOCK_RAW, IPPROTO_ICMP));
	MUST_FAIL("socket(AF_INET, SOCK_RAW|0x10)", syscall(SYS_socket, AF_INET, SOCK_RAW | 0x10, IPPROTO_ICMP));
	MUST_FAIL("socket(AF_KEY)", socket(15 /* AF_KEY */, SOCK_RAW, 2));
	MUST_FAIL("socket(AF_VSOCK)", socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
	MUST_FAIL("socket(AF_BLUETOOTH)", socket(31, SOCK_RAW, 0));
	MUST_FAIL("socket(AF_ALG)", socket(38, SOCK_SEQPACKET, 0));
	return ATTACK_HELD;
}
