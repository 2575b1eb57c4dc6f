/* attack: open_by_handle_at with a forged handle for the filesystem root (the "shocker" escape) */
#include "attack.h"
int main(void)
{
	struct {
		struct file_handle h;
		unsigned char data[128];
	} fh;
	fh.h.handle_bytes = 128;
	int mnt;
	if (name_to_handle_at(AT_FDCWD, "/work", &fh.h, &mnt, 0) < 0)
		note("name_to_handle_at: %s", strerror(errno));
	/* ext4's root directory is inode 2, generation 0: the handle shocker guessed. */
	fh.h.handle_bytes = 8;
	fh.h.handle_type = 1;
	memset(fh.data, 0, sizeof(fh.data));
	fh.data[0] = 2;
	int wd = open("/work", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	MUST_FAIL("open_by_handle_at(root inode)", open_by_handle_at(wd, &fh.h, O_RDONLY));
	return ATTACK_HELD;
}
