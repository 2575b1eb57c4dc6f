/* attack: change the host clock (settimeofday, clock_settime, adjtimex) */
#include "attack.h"
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
int main(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	/* Setting the time to what it is: harmless if a hole lets it through. */
	MUST_FAIL("clock_settime(REALTIME, now)", clock_settime(CLOCK_REALTIME, &now));
	struct timeval tv = { now.tv_sec, 0 };
	MUST_FAIL("settimeofday(now)", settimeofday(&tv, NULL));
	struct timex tx = { .modes = ADJ_OFFSET | ADJ_STATUS, .offset = 0, .status = STA_PLL };
	MUST_FAIL("adjtimex(ADJ_OFFSET)", adjtimex(&tx));
	MUST_FAIL("clock_adjtime(REALTIME, ADJ_TICK)", syscall(SYS_clock_adjtime, CLOCK_REALTIME, &(struct timex){ .modes = ADJ_TICK, .tick = 10000 }));
	return ATTACK_HELD;
}
