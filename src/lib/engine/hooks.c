/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "engine/hooks.h"
#include "err.h"
#include "fileio.h"

const char *hook_kind_name(enum spec_hook_kind kind)
{
	static const char *const names[] = { "prestart",	 "createRuntime", "createContainer",
					      "startContainer", "poststart",	  "poststop" };
	return kind < _SPEC_HOOK_MAX ? names[kind] : "unknown";
}

_noreturn_ static void hook_child(const struct spec_hook *h, int stdin_fd, int out_fd, int exe_fd,
				  int mntns_fd)
{
	if (dup2(stdin_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(126);
	if (mntns_fd >= 0 && setns(mntns_fd, CLONE_NEWNS) < 0)
		_exit(126);
	char *const empty[] = { NULL };
	char *const default_argv[] = { h->path, NULL };
	char *const *argv = h->args && h->args[0] ? h->args : default_argv;
	char *const *envp = h->env ? h->env : empty;
	if (mntns_fd < 0)
		execve(h->path, argv, envp);
	else /* the path was resolved in our namespace, before entering the container's */
		syscall(SYS_execveat, exe_fd, "", argv, envp, AT_EMPTY_PATH);
	_exit(127);
}

/* Waits for pid with a timeout in seconds (0 = none). Returns the wait status or -errno. */
static int wait_timeout(pid_t pid, int timeout)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0 && timeout > 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int r;
		do
			r = poll(&p, 1, timeout * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(pidfd);
			return -ETIMEDOUT;
		}
	}
	safe_close(pidfd);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return negative_errno();
	return status;
}

/* The start of what a failed hook printed, on one line, for the error message. */
static void read_output(int fd, char *buf, size_t size)
{
	ssize_t n = read_full(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static int run_one(const struct spec_hook *h, const char *state_json, int mntns_fd,
		   struct hutch_err *err)
{
	_cleanup_close_ int exe = open(h->path, O_PATH | O_CLOEXEC);
	if (exe < 0)
		return err_set_errno(err, errno, "hook '%s'", h->path);
	int pipefd[2], outfd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_set_errno(err, errno, "hook '%s': pipe", h->path);
	/* Output goes to a temp file: a pipe would block a chatty hook until we read it. */
	_cleanup_close_ int out = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	outfd[0] = out;
	outfd[1] = out >= 0 ? out : open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err_set_errno(err, e, "hook '%s': fork", h->path);
	}
	if (pid == 0) {
		close(pipefd[1]);
		hook_child(h, pipefd[0], outfd[1], exe, mntns_fd);
	}
	if (out < 0)
		safe_close(outfd[1]);
	close(pipefd[0]);
	/* A hook that does not read its stdin must not block us: ignore EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	(void)write_full(pipefd[1], state_json, strlen(state_json));
	close(pipefd[1]);
	int status = wait_timeout(pid, h->timeout);
	if (status == -ETIMEDOUT)
		return err_set(err, ETIMEDOUT, "hook '%s' timed out after %d s", h->path, h->timeout);
	if (status < 0)
		return err_set_errno(err, -status, "hook '%s': wait", h->path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char said[256] = "";
	if (out >= 0 && lseek(out, 0, SEEK_SET) == 0)
		read_output(out, said, sizeof(said));
	if (WIFEXITED(status))
		return err_set(err, EIO, "hook '%s' exited with status %d%s%s", h->path,
			       WEXITSTATUS(status), *said ? ": " : "", said);
	return err_set(err, EIO, "hook '%s' killed by signal %d%s%s", h->path, WTERMSIG(status),
		       *said ? ": " : "", said);
}

int hooks_run(const struct spec *s, enum spec_hook_kind kind, const char *state_json,
	      int mntns_fd, struct hutch_err *err)
{
	for (size_t i = 0; i < s->hooks.n[kind]; i++) {
		int r = run_one(&s->hooks.list[kind][i], state_json, mntns_fd, err);
		if (r < 0)
			return err_prefix(err, "%s hook %zu", hook_kind_name(kind), i);
	}
	return 0;
}
