/* attack: bypass the x86_64 seccomp filter through the i386 (int 0x80) and x32 system call ABIs */
#include "attack.h"
#include <sched.h>
#include <signal.h>
/* Runs fn in a child; a kill by SIGSYS (the filter's answer to a foreign ABI) is a defence. */
static void in_child(const char *what, long (*fn)(void))
{
	pid_t c = fork();
	if (c == 0) {
		long r = fn();
		if (r >= 0 && r < 4096)
			_exit(1);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
		harm("%s succeeded", what);
	note("%s: %s %d", what, WIFSIGNALED(st) ? "killed by signal" : "failed, exit",
	     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}
#if defined(__x86_64__)
static long i386_unshare(void)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(310 /* i386 unshare */), "b"(CLONE_NEWUSER) : "memory");
	return r;
}
static long i386_ptrace(void)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(26 /* i386 ptrace */), "b"(16 /* ATTACH */), "c"(1), "d"(0), "S"(0) : "memory");
	return r;
}
static long x32_unshare(void)
{
	return syscall(0x40000000 | 272 /* unshare */, CLONE_NEWUSER);
}
static long x32_keyctl(void)
{
	return syscall(0x40000000 | 250 /* keyctl */, 0, -4, 0);
}
#endif
int main(void)
{
#if defined(__x86_64__)
	in_child("i386 unshare(CLONE_NEWUSER)", i386_unshare);
	in_child("i386 ptrace(ATTACH, 1)", i386_ptrace);
	in_child("x32 unshare(CLONE_NEWUSER)", x32_unshare);
	in_child("x32 keyctl", x32_keyctl);
	return ATTACK_HELD;
#else
	skip("only x86_64 has a second and third system call ABI here");
#endif
}
