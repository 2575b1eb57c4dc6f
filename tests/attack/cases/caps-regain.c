/* attack: raise capabilities with capset, ambient caps and by exec'ing as uid 0 */
#include "attack.h"
#include <linux/capability.h>
#include <sys/prctl.h>
int main(int argc, char **argv)
{
	if (argc > 1) /* re-executed: report what an execve() gave us */
		return cap_eff() ? ATTACK_HARM : ATTACK_HELD;
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0xff, sizeof(d));
	MUST_FAIL("capset(all)", syscall(SYS_capset, &h, d));
	MUST_FAIL("PR_CAP_AMBIENT_RAISE(CAP_SYS_ADMIN)",
		  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0));
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		harm("no_new_privs is not set");
	MUST_FAIL("PR_SET_SECUREBITS(0)", prctl(PR_SET_SECUREBITS, 0, 0, 0, 0));
	if (cap_eff() != 0)
		harm("effective capabilities %llx", cap_eff());
	pid_t c = fork();
	if (c == 0) {
		execl("/proc/self/exe", argv[0], "child", NULL);
		_exit(2);
	}
	int st;
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 2)
		return 2;
	if (WEXITSTATUS(st) == ATTACK_HARM)
		harm("execve gave capabilities back");
	note("no capabilities before or after execve");
	return ATTACK_HELD;
}
