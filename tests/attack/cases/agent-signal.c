/* attack: kill or crash the agent (PID 1) with SIGKILL, SIGSEGV, SIGSTOP, SIGTERM and a signal flood */
#include "attack.h"
#include <signal.h>
#include <time.h>
static int agent_alive(void)
{
	char buf[256];
	if (slurp("/proc/1/cmdline", buf, sizeof(buf)) <= 0 || !strstr(buf, "hutch-agent"))
		return 0;
	if (slurp("/proc/1/stat", buf, sizeof(buf)) <= 0)
		return 0;
	char *p = strrchr(buf, ')');
	return p && p[2] != 'Z' && p[2] != 'T' && p[2] != 't';
}
int main(void)
{
	int sigs[] = { SIGKILL, SIGSEGV, SIGBUS, SIGABRT, SIGSTOP, SIGILL, SIGFPE, SIGQUIT, SIGUSR1, SIGPIPE };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++) {
		kill(1, sigs[i]);
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
		if (!agent_alive())
			harm("the agent died or stopped after signal %d", sigs[i]);
	}
	for (int i = 0; i < 20000; i++)
		kill(1, i % 2 ? SIGCHLD : SIGUSR2);
	nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
	if (!agent_alive())
		harm("the agent died after a signal flood");
	note("the agent is alive after every signal");
	return ATTACK_HELD;
}
