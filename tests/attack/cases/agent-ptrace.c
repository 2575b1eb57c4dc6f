/* attack: ptrace the agent (attach, seize) to take over PID 1 */
#include "attack.h"
#include <sys/ptrace.h>
int main(void)
{
	MUST_FAIL("PTRACE_ATTACH 1", ptrace(PTRACE_ATTACH, 1, 0, 0));
	MUST_FAIL("PTRACE_SEIZE 1", ptrace(PTRACE_SEIZE, 1, 0, 0));
	return ATTACK_HELD;
}
