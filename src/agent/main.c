/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch-agent: PID 1 of a sandbox, or a standalone exec-plane server inside any container.
 *
 *   hutch-agent --listen PATH [--token-stdin]   bind PATH (mode 0600) and serve it
 *   hutch-agent --fd N [--token-stdin]          serve an inherited listening socket
 *
 * What it does for the processes around it: reaps every zombie (as PID 1, or as a child
 * subreaper otherwise), forwards SIGTERM/SIGINT/SIGHUP/SIGUSR1/SIGUSR2 to the process groups
 * it started, and on SIGTERM (or SHUTDOWN) stops: children get SIGTERM, then SIGKILL after
 * --stop-timeout seconds, and the agent exits once no child is left. With --reserve it guards
 * free disk space on the file systems it is given (guard.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "fileio.h"
#include "macro.h"

#define TOKEN_MAX 4096

static void usage(FILE *f)
{
	fprintf(f, "Usage: hutch-agent --listen PATH | --fd N [options]\n"
		   "Serve the hutch exec plane (spawn, wait, signal, sessions, files) on a Unix socket.\n\n"
		   "  --listen PATH        bind a new socket at PATH (mode 0600; a stale one is replaced)\n"
		   "  --fd N               serve the listening socket inherited as fd N\n"
		   "  --token-stdin        read a token from stdin; clients must present it in HELLO\n"
		   "  --stop-timeout SEC   grace between SIGTERM and SIGKILL when stopping (default 10)\n"
		   "  --reserve BYTES[,INODES]:DIR\n"
		   "                       keep BYTES (and INODES inodes) free on the file system of\n"
		   "                       DIR: below, kill every process and start none until space\n"
		   "                       is back (repeatable)\n"
		   "  -h, --help           show this help\n"
		   "      --version        show the version\n");
}

/* 0, 1 and 2 must be open: otherwise a socket could land on 2 and receive log text. */
static void fix_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			int n = open("/dev/null", O_RDWR);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
}

static int read_token(void)
{
	char buf[TOKEN_MAX + 2];
	ssize_t n = read_full(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if ((size_t)n > TOKEN_MAX)
		return -E2BIG;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == 0)
		return -EINVAL;
	agent.token = malloc((size_t)n);
	if (!agent.token)
		return -ENOMEM;
	memcpy(agent.token, buf, (size_t)n);
	agent.token_len = (size_t)n;
	explicit_bzero(buf, sizeof(buf));
	/* Nothing else is read from stdin: give it back to /dev/null. */
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	return 0;
}

static int bind_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket left by an agent that is gone is replaced; one that answers is in use. */
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			close(fd);
			return -EADDRINUSE;
		}
		unlink(path);
	}
	/* umask first, so the socket is never reachable by others, not even for a moment. */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 128) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int adopt_fd(const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);
	if (*end || n < 0 || n > 65535)
		return -EINVAL;
	int fd = (int)n, acc = 0;
	socklen_t l = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) < 0)
		return -errno;
	if (!acc)
		return -EINVAL;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	return fd;
}


int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "fd", required_argument, NULL, 'f' },
		{ "token-stdin", no_argument, NULL, 't' },
		{ "stop-timeout", required_argument, NULL, 's' },
		{ "reserve", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *listen_path = NULL, *fd_arg = NULL;
	bool token = false;
	long stop_timeout = 10;
	int c, r;
	fix_std_fds();
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_path = optarg;
			break;
		case 'f':
			fd_arg = optarg;
			break;
		case 't':
			token = true;
			break;
		case 's': {
			char *end;
			errno = 0;
			stop_timeout = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || stop_timeout < 0 || stop_timeout > 3600) {
				fprintf(stderr, "hutch-agent: bad --stop-timeout '%s' (0 to 3600 "
					"seconds)\n", optarg);
				return 2;
			}
			break;
		}
		case 'r':
			if ((r = guard_add(optarg)) < 0) {
				fprintf(stderr, "hutch-agent: --reserve '%s': %s\n", optarg,
					r == -EINVAL ? "expected BYTES[,INODES]:/DIR" : strerror(-r));
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hutch-agent %s\n", HUTCH_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!!listen_path == !!fd_arg || optind != argc) {
		usage(stderr);
		return 2;
	}
	agent.stop_timeout_ns = (uint64_t)stop_timeout * 1000000000ull;
	/* Nobody may ptrace us or read our memory (the token, other clients' data). */
	prctl(PR_SET_DUMPABLE, 0);
	/* Room for every connection and process pipe; children get the original limit back. */
	if (getrlimit(RLIMIT_NOFILE, &agent.nofile) == 0) {
		struct rlimit rl = agent.nofile;
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		if (rl.rlim_cur > agent.nofile.rlim_cur)
			setrlimit(RLIMIT_NOFILE, &rl);
	}
	agent.pid1 = getpid() == 1;
	if (!agent.pid1)
		prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans of our children come back to us */
	if (token && (r = read_token()) < 0) {
		fprintf(stderr, "hutch-agent: read token from stdin: %s\n", strerror(-r));
		return 1;
	}
	agent.listen_fd = listen_path ? bind_listen(listen_path) : adopt_fd(fd_arg);
	if (agent.listen_fd < 0) {
		fprintf(stderr, "hutch-agent: %s '%s': %s\n", listen_path ? "listen on" : "use fd",
			listen_path ? listen_path : fd_arg, strerror(-agent.listen_fd));
		return 1;
	}
	r = loop_init();
	if (r < 0) {
		fprintf(stderr, "hutch-agent: event loop: %s\n", strerror(-r));
		return 1;
	}
	r = loop_run();
	if (listen_path)
		unlink(listen_path);
	if (r < 0) {
		fprintf(stderr, "hutch-agent: event loop: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
