/* attack: get the content of a --allow-view file (read, mmap, O_PATH reopen, exec, splice) */
#include "rules-attack.h"

#include <sys/mman.h>
#include <sys/sendfile.h>
int main(void)
{
	struct stat st;
	if (stat("/work/v", &st) < 0)
		harm("view: stat failed (%s): view must allow stat", strerror(errno));
	try_open("/work/v");
	check_fd("open O_RDWR", open("/work/v", O_RDWR | O_CLOEXEC));
	int p = open("/work/v", O_PATH | O_CLOEXEC);
	if (p >= 0) {
		char pp[64];
		snprintf(pp, sizeof(pp), "/proc/self/fd/%d", p);
		try_open(pp);
		char buf[64];
		if (read(p, buf, sizeof(buf)) > 0)
			harm("read on an O_PATH fd");
		void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, p, 0);
		if (m != MAP_FAILED && strstr((char *)m, SECRET))
			harm("mmap of an O_PATH fd");
	}
	MUST_FAIL("chmod 0644 (view may not change)", chmod("/work/v", 0644));
	MUST_FAIL("truncate", truncate("/work/v", 0));
	/* Executing it needs read too. */
	pid_t c = fork();
	if (c == 0) {
		char *argv[] = { (char *)"/work/run", NULL };
		execv(argv[0], argv);
		_exit(3);
	}
	int status;
	waitpid(c, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 42)
		harm("executed a view-only program");
	note("exec of a view-only file: exit %d", WEXITSTATUS(status));
	return ATTACK_HELD;
}
