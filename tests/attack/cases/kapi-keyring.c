/* attack: the kernel keyring (add_key, keyctl, request_key): read or plant keys shared with the host */
#include "attack.h"
int main(void)
{
	MUST_FAIL("add_key(user)", syscall(SYS_add_key, "user", "hutch-attack", "x", 1, -3 /* session */));
	MUST_FAIL("keyctl(GET_KEYRING_ID, user)", syscall(SYS_keyctl, 0, -4, 0));
	MUST_FAIL("keyctl(JOIN_SESSION_KEYRING)", syscall(SYS_keyctl, 1, NULL));
	MUST_FAIL("request_key(user)", syscall(SYS_request_key, "user", "hutch-attack", NULL, 0));
	char buf[64];
	if (slurp("/proc/keys", buf, sizeof(buf)) > 0)
		harm("read /proc/keys: %s", buf);
	return ATTACK_HELD;
}
