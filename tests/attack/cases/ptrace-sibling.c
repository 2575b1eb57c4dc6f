/* attack: ptrace a sibling process and PTRACE_TRACEME (debugger-based injection) */
#include "attack.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
int main(void)
{
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	MUST_FAIL("PTRACE_ATTACH sibling", ptrace(PTRACE_ATTACH, c, 0, 0));
	MUST_FAIL("PTRACE_SEIZE sibling", ptrace(PTRACE_SEIZE, c, 0, 0));
	char buf[16];
	struct iovec l = { buf, sizeof(buf) }, r = { buf, sizeof(buf) };
	MUST_FAIL("process_vm_readv(sibling)", process_vm_readv(c, &l, 1, &r, 1, 0));
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	MUST_FAIL("PTRACE_TRACEME", ptrace(PTRACE_TRACEME, 0, 0, 0));
	return ATTACK_HELD;
}
