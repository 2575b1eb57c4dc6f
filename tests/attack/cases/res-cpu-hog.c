/* attack: take every host CPU with busy threads (the CPU quota holds it to 1 CPU) */
#include "attack.h"
#include <sys/resource.h>
#include <time.h>
int main(void)
{
	int n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 2)
		skip("one CPU: a quota of 1 cannot be told from the machine's size");
	struct timespec w0, w1;
	clock_gettime(CLOCK_MONOTONIC, &w0);
	for (int i = 0; i < n; i++)
		if (fork() == 0) {
			struct timespec t;
			do
				clock_gettime(CLOCK_MONOTONIC, &t);
			while (t.tv_sec - w0.tv_sec < 2);
			_exit(0);
		}
	while (wait(NULL) > 0)
		;
	clock_gettime(CLOCK_MONOTONIC, &w1);
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	double wall = (w1.tv_sec - w0.tv_sec) + (w1.tv_nsec - w0.tv_nsec) / 1e9;
	if (cpu / wall > 1.3)
		harm("%d hogs used %.2f CPUs", n, cpu / wall);
	note("%d hogs used %.2f CPUs", n, cpu / wall);
	return ATTACK_HELD;
}
