/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by hutch-oci's commands: errors, ids, signals, waiting with a pty. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#include "engine/container.h"
#include "oci.h"
#include "path.h"

int oci_fail(const struct hutch_err *err)
{
	log_error("%s", hutch_err_message(err));
	return 1;
}

int oci_failf(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	return 1;
}

int oci_need_id(int argc, char **argv, const char *cmd, const char **ret_id)
{
	if (optind >= argc)
		return oci_failf("%s: a container id is required", cmd);
	if (optind + 1 < argc)
		return oci_failf("%s: unexpected argument '%s'", cmd, argv[optind + 1]);
	*ret_id = argv[optind];
	return 0;
}

int oci_parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *name = sigabbrev_np(i);
		if (name && strcasecmp(name, s) == 0)
			return i;
	}
	if (strncasecmp(s, "RTMIN+", 6) == 0) {
		n = strtol(s + 6, &end, 10);
		if (!*end && SIGRTMIN + n <= SIGRTMAX)
			return SIGRTMIN + (int)n;
	}
	return -1;
}

static struct termios saved_tio;
static bool tio_saved;

static void raw_mode(void)
{
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return;
	struct termios t = saved_tio;
	cfmakeraw(&t);
	t.c_oflag |= OPOST; /* keep newline translation on output */
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
		tio_saved = true;
}

static void restore_mode(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void copy_winsize(int pty)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(pty, TIOCSWINSZ, &ws);
}

/* Moves what is readable from in to out; false at EOF or error. */
static bool pump(int in, int out)
{
	char buf[16384];
	ssize_t n = read(in, buf, sizeof(buf));
	if (n <= 0)
		return false;
	for (ssize_t o = 0; o < n;) {
		ssize_t w = write(out, buf + o, (size_t)(n - o));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return true; /* the reader went away: drop output, keep waiting */
		o += w;
	}
	return true;
}

int oci_wait_forward(int pid, int pty)
{
	sigset_t set;
	sigemptyset(&set);
	int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaddset(&set, fwd[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pty >= 0) {
		raw_mode();
		copy_winsize(pty);
	}
	bool in_open = pty >= 0, out_open = pty >= 0;
	while (pidfd >= 0) {
		struct pollfd p[4] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = out_open ? pty : -1, .events = POLLIN },
		};
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[3].revents && !pump(pty, STDOUT_FILENO))
			out_open = false;
		if (p[2].revents && !pump(STDIN_FILENO, pty)) {
			in_open = false;
			char eof = 4; /* ^D: let the program see end of input */
			(void)!write(pty, &eof, 1);
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH && pty >= 0)
					copy_winsize(pty);
				else
					kill(pid, (int)si.ssi_signo);
			}
		}
		if (p[0].revents) {
			/* Drain what the pty still holds before reporting the exit. */
			while (out_open && poll(&p[3], 1, 0) > 0 && p[3].revents & POLLIN)
				out_open = pump(pty, STDOUT_FILENO);
			break;
		}
	}
	restore_mode();
	safe_close(pidfd);
	safe_close(sfd);
	int code = wait_exit_code(pid);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return code;
}
