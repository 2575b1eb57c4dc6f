/* attack: swap a rule's directory for a symlink, so the next run serves the link's host target */
#include "rules-attack.h"
/*
 * Run twice (see the .host): "plant" in a plain sandbox replaces /work/data, which the
 * user's next run gives --allow-read/--allow-write, by a symlink to a root-only host
 * directory that exists at the same path inside too; "exploit" runs with that rule and
 * tries to read and write there.
 */
int main(int argc, char **argv)
{
	const char *v = getenv("VICTIM");
	if (argc < 2 || !v)
		return 2;
	char p[512];
	if (strcmp(argv[1], "plant") == 0) {
		rmdir("/work/data");
		if (symlink(v, "/work/data") < 0 && errno != EEXIST)
			return 2;
		snprintf(p, sizeof(p), "%s/f", v);
		if (symlink(p, "/work/file") < 0 && errno != EEXIST)
			return 2;
		return ATTACK_HELD;
	}
	snprintf(p, sizeof(p), "%s/f", v);
	try_open(p);
	try_open("/work/data/f");
	try_open("/work/file");
	snprintf(p, sizeof(p), "%s/new", v);
	MUST_FAIL("create a file in the root-only host directory",
		  open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	return ATTACK_HELD;
}
