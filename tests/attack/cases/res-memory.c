/* attack: exhaust memory (touch 2 GiB; the 1 GiB limit must OOM-kill inside, the agent and host survive) */
#include "attack.h"
#include <signal.h>
#include <sys/mman.h>
int main(void)
{
	pid_t c = fork();
	if (c == 0) {
		size_t chunk = 64 << 20, total = 0;
		while (total < (2UL << 30)) {
			char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				_exit(3);
			for (size_t i = 0; i < chunk; i += 4096)
				p[i] = 1;
			total += chunk;
		}
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		harm("touched 2 GiB with a 1 GiB limit");
	char c1[256];
	if (slurp("/proc/1/cmdline", c1, sizeof(c1)) <= 0 || !strstr(c1, "hutch-agent"))
		harm("the agent died in the OOM");
	note("the hog ended with %s %d", WIFSIGNALED(st) ? "signal" : "exit",
	     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return ATTACK_HELD;
}
