/* attack: set a piped core_pattern (runs as host root on a crash) and crash a process */
#include "attack.h"
#include <signal.h>
#include <sys/resource.h>
int main(void)
{
	int fd = open("/proc/sys/kernel/core_pattern", O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write(fd, "|/work/pwn %p", 13) == 13)
		harm("wrote a pipe core_pattern");
	note("core_pattern: %s", strerror(errno));
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	if (setrlimit(RLIMIT_CORE, &rl) == 0)
		harm("raised RLIMIT_CORE above its hard limit 0");
	if (fork() == 0) {
		raise(SIGSEGV);
		_exit(0);
	}
	wait(NULL);
	return ATTACK_HELD;
}
