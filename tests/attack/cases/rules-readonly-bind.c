/* attack: change a file under --allow-read (a read-only bind): write, link/rename out, chmod */
#include "rules-attack.h"

#include <sys/time.h>
#include <sys/xattr.h>
int main(void)
{
	check_fd("open O_RDWR", open("/work/ro/f", O_RDWR | O_CLOEXEC));
	MUST_FAIL("open O_WRONLY|O_TRUNC", open("/work/ro/f", O_WRONLY | O_TRUNC | O_CLOEXEC));
	MUST_FAIL("link out to the writable /work", link("/work/ro/f", "/work/f2"));
	MUST_FAIL("rename out to the writable /work", rename("/work/ro/f", "/work/f3"));
	MUST_FAIL("unlink", unlink("/work/ro/f"));
	MUST_FAIL("chmod", chmod("/work/ro/f", 0777));
	MUST_FAIL("truncate", truncate("/work/ro/f", 0));
	MUST_FAIL("utimes", utimes("/work/ro/f", NULL));
	MUST_FAIL("setxattr", setxattr("/work/ro/f", "user.x", "1", 1, 0));
	MUST_FAIL("create in the dir", open("/work/ro/new", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	MUST_FAIL("rename the read-only dir", rename("/work/ro", "/work/ro2"));
	MUST_FAIL("rmdir the read-only dir", rmdir("/work/ro"));
	/* Replace it: a new directory where the mount point is. */
	mkdir("/work/ro-new", 0755);
	MUST_FAIL("rename a dir over it", rename("/work/ro-new", "/work/ro"));
	return ATTACK_HELD;
}
