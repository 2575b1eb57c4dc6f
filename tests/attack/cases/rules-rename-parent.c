/* attack: rename (or exchange) the directory of a --deny'd path, then read it at its new name */
#include "rules-attack.h"

#include <linux/fs.h>
int main(void)
{
	if (rename("/work/s", "/work/t") == 0) {
		try_open("/work/t/key.pem");
		try_open("/work/t/in/inner.pem");
		try_open("/work/t/hidden");
		check_unlisted("/work/t", "hidden");
		rename("/work/t", "/work/s");
	}
	note("rename /work/s: %s", strerror(errno));
	if (rename("/work/s/in", "/work/in2") == 0)
		try_open("/work/in2/inner.pem");
	note("rename /work/s/in: %s", strerror(errno));
	mkdir("/work/x", 0755);
	MUST_FAIL("renameat2 RENAME_EXCHANGE /work/s <-> /work/x",
		  syscall(SYS_renameat2, AT_FDCWD, "/work/s", AT_FDCWD, "/work/x", RENAME_EXCHANGE));
	try_open("/work/x/key.pem");
	try_open("/work/x/hidden");
	/* Move the workspace's own directory (a mount point) or the parent of the anchor. */
	MUST_FAIL("rename /work", rename("/work", "/work2"));
	/* Rename a new, empty directory over the hidden one. */
	mkdir("/work/y", 0755);
	MUST_FAIL("rename an empty dir over the hidden dir", rename("/work/y", "/work/s/hidden"));
	return ATTACK_HELD;
}
