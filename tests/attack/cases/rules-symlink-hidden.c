/* attack: reach a --deny'd file through symlinks, /proc/self/root, a dirfd and O_PATH reopen */
#include "rules-attack.h"
int main(void)
{
	check_unlisted("/work/s", "key.pem");
	try_open("/work/s/key.pem");
	/* A symlink made inside, relative and absolute; one the host made. */
	unlink("/work/lnk");
	unlink("/work/alnk");
	if (symlink("s/key.pem", "/work/lnk") == 0)
		try_open("/work/lnk");
	if (symlink("/work/s/key.pem", "/work/alnk") == 0)
		try_open("/work/alnk");
	try_open("/work/s/host-link");
	try_open("/work/host-dir-link/key.pem");
	/* Other names of the same path. */
	try_open("/proc/self/root/work/s/key.pem");
	try_open("/proc/1/root/work/s/key.pem");
	try_open("//work//s//key.pem");
	try_open("/work/./s/./key.pem");
	/* A directory fd, then the name relative to it; and through /proc/self/fd. */
	int d = open("/work/s", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return 2;
	check_fd("openat(dirfd, key.pem)", openat(d, "key.pem", O_RDONLY | O_CLOEXEC));
	check_fd("openat(dirfd, O_PATH) + /proc reopen", ({
			 int p = openat(d, "key.pem", O_PATH | O_CLOEXEC);
			 int r = -1;
			 if (p >= 0) {
				 char pp[64];
				 snprintf(pp, sizeof(pp), "/proc/self/fd/%d", p);
				 r = open(pp, O_RDONLY | O_CLOEXEC);
			 }
			 r;
		 }));
	char pd[64];
	snprintf(pd, sizeof(pd), "/proc/self/fd/%d/key.pem", d);
	try_open(pd);
	struct stat st;
	if (fstatat(d, "key.pem", &st, AT_SYMLINK_NOFOLLOW) == 0)
		harm("fstatat(dirfd, key.pem) found the hidden file");
	/* The kernel's own lookup of the anchor: a fresh open of the workspace root. */
	check_fd("openat(/work fd, s/key.pem)", ({
			 int w = open("/work", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			 int r = w < 0 ? -1 : openat(w, "s/key.pem", O_RDONLY | O_CLOEXEC);
			 r;
		 }));
	return ATTACK_HELD;
}
