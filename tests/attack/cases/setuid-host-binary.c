/* attack: run a setuid-root binary from the host root (su, and a planted probe) to gain privilege */
#include "attack.h"
int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "report") == 0) {
		printf("euid=%d capeff=%llx\n", (int)geteuid(), cap_eff());
		return cap_eff() ? ATTACK_HARM : ATTACK_HELD;
	}
	const char *probe = getenv("ATK_SUID_PROBE");
	if (!probe)
		return 2;
	uid_t before = geteuid();
	pid_t c = fork();
	if (c == 0) {
		execl(probe, probe, "report", NULL);
		_exit(3);
	}
	int st;
	waitpid(c, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == ATTACK_HARM)
		harm("the setuid-root probe ran with capabilities");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
		note("exec of the setuid probe failed: fine");
	/* su: pam_rootok lets uid 0 in, but it must not hand out capabilities. */
	c = fork();
	if (c == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		execl("/usr/bin/su", "su", "root", "-c",
		      "grep -q '^CapEff:.0000000000000000' /proc/self/status || exit 42", NULL);
		_exit(3);
	}
	waitpid(c, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 42)
		harm("su gave a process capabilities");
	note("su: exit %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (geteuid() != before || cap_eff())
		harm("privileges changed");
	return ATTACK_HELD;
}
