/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one place hutch copies bytes of a sandboxed process's I/O: with a pty (exec -t) the
 * master comes back to us and we pump it. Without -t the process has our own fds.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "macro.h"
#include "pty-relay.h"

void pty_winsize(unsigned *rows, unsigned *cols)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
	*rows = ws.ws_row ? ws.ws_row : 24;
	*cols = ws.ws_col ? ws.ws_col : 80;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void pty_relay(int master, bool relay_stdin, struct hutch_agent *conn, uint32_t id)
{
	struct termios saved, raw;
	bool restore = relay_stdin && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (restore) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	_cleanup_close_ int sfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
	bool in_open = relay_stdin;
	char buf[16384];
	for (;;) {
		struct pollfd p[3] = { { .fd = master, .events = POLLIN },
				       { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
				break; /* EIO: every slave fd is closed, the process is gone */
		}
		if (p[1].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0)
				in_open = false; /* EOF: the process keeps running, it just gets no input */
			else
				write_all(master, buf, (size_t)n);
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			}
			unsigned rows, cols;
			pty_winsize(&rows, &cols);
			hutch_agent_resize(conn, id, rows, cols, NULL);
		}
	}
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}
