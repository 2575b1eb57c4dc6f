/* attack: starve the host's CPUs with real-time scheduling or a negative nice value */
#include "attack.h"
#include <sched.h>
#include <sys/resource.h>
int main(void)
{
	struct sched_param p = { .sched_priority = 99 };
	MUST_FAIL("sched_setscheduler(SCHED_FIFO 99)", sched_setscheduler(0, SCHED_FIFO, &p));
	MUST_FAIL("sched_setscheduler(SCHED_RR 1)", sched_setscheduler(0, SCHED_RR, &(struct sched_param){ 1 }));
	MUST_FAIL("setpriority(-20)", setpriority(PRIO_PROCESS, 0, -20));
	MUST_FAIL("ioprio_set(realtime)", syscall(SYS_ioprio_set, 1, 0, (1 << 13) | 0));
	return ATTACK_HELD;
}
