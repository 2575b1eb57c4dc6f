/* attack: give a /work file capabilities with the security.capability xattr */
#include "attack.h"
#include <sys/xattr.h>
int main(void)
{
	int fd = open("/work/fcap", O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	if (fd < 0)
		return 2;
	close(fd);
	/* VFS_CAP_REVISION_2, every capability permitted and effective. */
	unsigned int v2[5] = { 0x02000001, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff };
	MUST_FAIL("setxattr security.capability (v2)", setxattr("/work/fcap", "security.capability", v2, sizeof(v2), 0));
	/* VFS_CAP_REVISION_3 with rootid 0 (host root). */
	unsigned int v3[6] = { 0x03000001, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0 };
	MUST_FAIL("setxattr security.capability (v3, rootid 0)", setxattr("/work/fcap", "security.capability", v3, sizeof(v3), 0));
	MUST_FAIL("setxattr trusted.overlay.opaque", setxattr("/work/fcap", "trusted.overlay.opaque", "y", 1, 0));
	return ATTACK_HELD;
}
