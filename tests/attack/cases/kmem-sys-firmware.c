/* attack: read firmware tables under /sys/firmware (ACPI, DMI, EFI variables) */
#include "attack.h"
#include <dirent.h>
int main(void)
{
	DIR *d = opendir("/sys/firmware");
	if (!d) {
		note("/sys/firmware: %s", strerror(errno));
		return ATTACK_HELD;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			harm("/sys/firmware/%s is visible", e->d_name);
	closedir(d);
	char b[64];
	if (slurp("/sys/firmware/dmi/tables/DMI", b, sizeof(b)) > 0)
		harm("read the DMI table");
	note("/sys/firmware is empty");
	return ATTACK_HELD;
}
