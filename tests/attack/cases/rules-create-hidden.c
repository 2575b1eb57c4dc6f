/* attack: create a --deny'd name (open, mkdir, symlink, mknod, link, rename, O_TMPFILE+linkat) */
#include "rules-attack.h"

#include <sys/sysmacros.h>
int main(void)
{
	int t = open("/work/s/t.txt", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (t < 0)
		return 2;
	close(t);
	MUST_FAIL("open O_CREAT new.pem", open("/work/s/new.pem", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	MUST_FAIL("open O_CREAT|O_EXCL new.pem",
		  open("/work/s/new.pem", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
	MUST_FAIL("truncate the existing old.pem", open("/work/s/old.pem", O_WRONLY | O_TRUNC | O_CLOEXEC));
	MUST_FAIL("mkdir never", mkdir("/work/s/never", 0755));
	MUST_FAIL("symlink never", symlink("/etc/passwd", "/work/s/never"));
	MUST_FAIL("mkfifo never", mknod("/work/s/never", S_IFIFO | 0644, 0));
	MUST_FAIL("rename t.txt to new2.pem", rename("/work/s/t.txt", "/work/s/new2.pem"));
	MUST_FAIL("link t.txt to new3.pem", link("/work/s/t.txt", "/work/s/new3.pem"));
	MUST_FAIL("symlink new4.pem", symlink("t.txt", "/work/s/new4.pem"));
	int tmp = open("/work/s", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (tmp >= 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", tmp);
		MUST_FAIL("O_TMPFILE then linkat to new5.pem",
			  linkat(AT_FDCWD, p, AT_FDCWD, "/work/s/new5.pem", AT_SYMLINK_FOLLOW));
	}
	/* A directory made elsewhere, then moved to the hidden name. */
	mkdir("/work/s/d", 0755);
	MUST_FAIL("rename a dir to never", rename("/work/s/d", "/work/s/never"));
	return ATTACK_HELD;
}
