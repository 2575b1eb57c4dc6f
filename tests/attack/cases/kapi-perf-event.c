/* attack: perf_event_open (kernel profiling, side channels, a history of exploitable bugs) */
#include "attack.h"
#include <linux/perf_event.h>
int main(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.exclude_kernel = 1;
	MUST_FAIL("perf_event_open(self)", syscall(SYS_perf_event_open, &a, 0, -1, -1, 0));
	a.exclude_kernel = 0;
	MUST_FAIL("perf_event_open(all cpus)", syscall(SYS_perf_event_open, &a, -1, 0, -1, 0));
	return ATTACK_HELD;
}
