/* attack: leak kernel addresses from /proc/kallsyms and /proc/modules (KASLR bypass) */
#include "attack.h"
int main(void)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f) {
		note("/proc/kallsyms: %s", strerror(errno));
		return ATTACK_HELD;
	}
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f) && n < 100000) {
		unsigned long long a = strtoull(line, NULL, 16);
		if (a != 0)
			harm("kernel address leaked: %s", line);
		n++;
	}
	fclose(f);
	f = fopen("/proc/modules", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " 0x");
		if (p && strtoull(p + 1, NULL, 16) != 0)
			harm("module address leaked: %s", line);
	}
	note("%d symbols, all addresses zero", n);
	return ATTACK_HELD;
}
