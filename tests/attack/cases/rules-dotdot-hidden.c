/* attack: reach a --deny'd file by '..' walks from inside and outside its directory */
#include "rules-attack.h"
int main(void)
{
	try_open("/work/s/deep/../key.pem");
	try_open("/work/s/deep/../../s/key.pem");
	try_open("/work/s/deep/../../../work/s/key.pem");
	if (chdir("/work/s/deep") < 0)
		return 2;
	try_open("../key.pem");
	try_open("../../s/key.pem");
	try_open("/proc/self/cwd/../key.pem");
	int d = open("/work/s/deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return 2;
	check_fd("openat(deep, ../key.pem)", openat(d, "../key.pem", O_RDONLY | O_CLOEXEC));
	int up = openat(d, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (up >= 0) {
		check_fd("openat(deep/.., key.pem)", openat(up, "key.pem", O_RDONLY | O_CLOEXEC));
		check_unlisted("/proc/self/cwd/..", "key.pem");
	}
	/* A hidden directory: its children cannot be reached by walking back into it. */
	try_open("/work/s/deep/../hidden-dir/inner");
	if (chdir("/work/s/hidden-dir") == 0)
		harm("chdir into a --deny'd directory");
	note("chdir hidden-dir: %s", strerror(errno));
	return ATTACK_HELD;
}
