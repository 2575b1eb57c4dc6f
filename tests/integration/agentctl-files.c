/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agentctl, continued (included by agentctl.c): file ops, scripted checks, raw clients. */

static bool is_file_cmd(const char *c)
{
	static const char *const cmds[] = { "write", "read", "stat", "ls", "mkdir", "rm", "mv",
					    "chmod", "chown", "open-read", "open-write", NULL };
	for (int i = 0; cmds[i]; i++)
		if (!strcmp(c, cmds[i]))
			return true;
	return false;
}

static int cmd_file(struct hutch_agent *a, const char *cmd, int argc, char **argv)
{
	int r = 0, flag = argc > 0 && (!strcmp(argv[0], "-p") || !strcmp(argv[0], "-r"));
	char **p = argv + flag;
	int np = argc - flag;
	if (np < 1)
		return 2;
	if (!strcmp(cmd, "write")) {
		const char *d = np > 1 ? p[1] : "";
		r = hutch_agent_file_write(a, p[0], d, strlen(d),
					   np > 2 ? (uint32_t)strtoul(p[2], NULL, 8) : 0644, &err);
	} else if (!strcmp(cmd, "read")) {
		void *buf;
		size_t len;
		int tr;
		r = hutch_agent_file_read(a, p[0], np > 1 ? strtoul(p[1], NULL, 0) : 1u << 20, &buf,
					  &len, &tr, &err);
		if (r >= 0) {
			write_all(1, buf, len);
			free(buf);
			if (tr)
				fprintf(stderr, "[truncated]\n");
		}
	} else if (!strcmp(cmd, "stat")) {
		struct hutch_stat st;
		r = hutch_agent_file_stat(a, p[0], flag, &st, &err);
		if (r >= 0)
			printf("type=%d mode=%o uid=%u gid=%u size=%" PRIu64 "\n", st.type, st.mode,
			       st.uid, st.gid, st.size);
	} else if (!strcmp(cmd, "ls")) {
		struct hutch_dirent *v;
		size_t n;
		r = hutch_agent_file_readdir(a, p[0], &v, &n, NULL, &err);
		for (size_t i = 0; r >= 0 && i < n; i++)
			printf("%s %d\n", v[i].name, v[i].type);
		if (r >= 0)
			hutch_dirents_free(v, n);
	} else if (!strcmp(cmd, "mkdir")) {
		r = hutch_agent_file_mkdir(a, p[0], 0755, flag, &err);
	} else if (!strcmp(cmd, "rm")) {
		r = hutch_agent_file_remove(a, p[0], flag, &err);
	} else if (!strcmp(cmd, "mv") && np > 1) {
		r = hutch_agent_file_rename(a, p[0], p[1], &err);
	} else if (!strcmp(cmd, "chmod") && np > 1) {
		r = hutch_agent_file_chmod(a, p[1], (uint32_t)strtoul(p[0], NULL, 8), &err);
	} else if (!strcmp(cmd, "chown") && np > 2) {
		r = hutch_agent_file_chown(a, p[2], (uint32_t)atoi(p[0]), (uint32_t)atoi(p[1]), 0,
					   &err);
	} else if (!strcmp(cmd, "open-read") || !strcmp(cmd, "open-write")) {
		bool w = cmd[5] == 'w';
		int fd;
		r = hutch_agent_file_open(a, p[0],
					  w ? HUTCH_O_WRONLY | HUTCH_O_CREAT | HUTCH_O_TRUNC
					    : HUTCH_O_RDONLY,
					  0600, &fd, &err);
		if (r >= 0 && w) {
			write_all(fd, np > 1 ? p[1] : "", np > 1 ? strlen(p[1]) : 0);
		} else if (r >= 0) {
			char buf[4096];
			ssize_t k;
			while ((k = read(fd, buf, sizeof(buf))) > 0)
				write_all(1, buf, (size_t)k);
		}
		if (r >= 0)
			close(fd);
	} else {
		return 2;
	}
	if (r < 0)
		die(cmd, r);
	return 0;
}

/* Two clients, one session: the second command must be refused while the first runs. */
static int cmd_session_busy(struct hutch_agent *a, const char *sock, const char *token)
{
	uint32_t id;
	struct hutch_output out;
	int r = hutch_agent_session_new(a, NULL, &id, &err);
	if (r < 0)
		die("session-new", r);
	pid_t pid = fork();
	if (pid == 0) {
		struct hutch_agent *b;
		if (hutch_agent_connect(sock, token, &b, &err) < 0)
			_exit(3);
		r = hutch_agent_session_exec(b, id, "sleep 1; echo slow", 0, 0, &out, &err);
		_exit(r == 0 && !strcmp(out.out, "slow\n") ? 0 : 4);
	}
	usleep(300 * 1000);
	r = hutch_agent_session_exec(a, id, "echo fast", 0, 0, &out, &err);
	printf("second=%d\n", r);
	int st;
	waitpid(pid, &st, 0);
	printf("first=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	r = hutch_agent_session_exec(a, id, "echo again", 0, 0, &out, &err);
	printf("third=%d out=%s", r, r == 0 ? out.out : "\n");
	if (r == 0)
		hutch_output_release(&out);
	return 0;
}

/* A session owned by this connection: prints its shell's pid, then the connection closes. */
static int cmd_session_owned(struct hutch_agent *a)
{
	uint32_t id;
	struct hutch_output out;
	int r = hutch_agent_session_new(a, NULL, &id, &err);
	if (r < 0)
		die("session-new", r);
	r = hutch_agent_session_exec(a, id, "echo $$", 0, 0, &out, &err);
	if (r < 0)
		die("session-exec", r);
	printf("shpid=%s", out.out);
	hutch_output_release(&out);
	return 0;
}

static void pty_run(struct hutch_agent *a, const char *script, const char *input)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct hutch_spawn_opts o = { .argv = argv, .pty_rows = 30, .pty_cols = 100 };
	o.stdio[0] = o.stdio[1] = o.stdio[2] = HUTCH_STDIO_PTY;
	uint32_t id;
	int r = hutch_agent_spawn(a, &o, &id, NULL, &err);
	if (r < 0)
		die("spawn pty", r);
	if (input) {
		usleep(100 * 1000);
		if ((r = hutch_agent_resize(a, id, 40, 120, &err)) < 0)
			die("resize", r);
		if ((r = hutch_agent_stdin_write(a, id, input, strlen(input), &err)) < 0)
			die("stdin", r);
	}
	uint64_t cur[2] = { 0, 0 };
	struct hutch_exit x;
	r = hutch_agent_attach(a, id, cur, 1, on_output, NULL, &x, &err);
	if (r < 0)
		die("attach", r);
}

static int cmd_pty(struct hutch_agent *a)
{
	pty_run(a, "tty; stty size", NULL);
	pty_run(a, "read x; stty size", "go\n");
	return 0;
}

/* Spawns a process owned by this connection, prints its pid, and waits to be killed. */
static int cmd_hold(struct hutch_agent *a, int argc, char **argv)
{
	struct hutch_spawn_opts o = { 0 };
	parse_opts(argc, argv, 0, &o, NULL, NULL);
	uint32_t id;
	int r = hutch_agent_spawn(a, &o, &id, NULL, &err);
	if (r < 0)
		die("spawn", r);
	struct hutch_proc_info *v;
	size_t n;
	if (hutch_agent_list(a, &v, &n, &err) < 0)
		die("list", -EIO);
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			printf("pid=%u\n", v[i].pid);
	hutch_proc_info_free(v, n);
	fflush(stdout);
	for (;;)
		pause();
}

/* ---- raw clients: the wire format by hand, as docs/protocol.md describes it ---- */

static void hdr(uint8_t *b, uint16_t type, uint16_t nfds, uint32_t id, uint32_t len)
{
	const uint8_t magic[4] = { 'H', 'T', 'C', 'H' };
	memcpy(b, magic, 4);
	uint16_t v16[4] = { 1, type, 0, nfds };
	for (int i = 0; i < 4; i++) {
		b[4 + 2 * i] = (uint8_t)v16[i];
		b[5 + 2 * i] = (uint8_t)(v16[i] >> 8);
	}
	for (int i = 0; i < 4; i++) {
		b[12 + i] = (uint8_t)(id >> (8 * i));
		b[16 + i] = (uint8_t)(len >> (8 * i));
	}
}

/* Reads until EOF; returns bytes read, or -1 if the agent kept the connection open 10 s. */
static long drain(int fd)
{
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char buf[4096];
	long total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return total;
		if (n < 0)
			return errno == ECONNRESET ? total : -1;
		total += n;
	}
}

static int cmd_raw(int fd, const char *cmd, int argc, char **argv)
{
	uint8_t b[4096];
	if (!strcmp(cmd, "raw-garbage")) {
		int u = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (u < 0 || read(u, b, sizeof(b)) != (ssize_t)sizeof(b))
			return 100;
		close(u);
		write_all(fd, b, sizeof(b));
	} else if (!strcmp(cmd, "raw-nohello")) {
		hdr(b, 2 /* SPAWN */, 0, 7, 0);
		write_all(fd, b, 20);
	} else if (!strcmp(cmd, "raw-fds")) {
		/* A header claiming no fds, with 8 fds attached: they must all be closed. */
		hdr(b, 1, 0, 1, 0);
		int fds[8];
		for (int i = 0; i < 8; i++)
			fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		union {
			char buf[CMSG_SPACE(sizeof(fds))];
			struct cmsghdr align;
		} cm;
		struct iovec iov = { b, 20 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
				     .msg_controllen = sizeof(cm.buf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
		for (int k = 0; k < 3; k++) /* 24 fds: more than the agent queues */
			if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
				break;
		for (int i = 0; i < 8; i++)
			close(fds[i]);
	} else if (!strcmp(cmd, "raw-toolong")) {
		hdr(b, 1, 0, 1, 0x7fffffff);
		write_all(fd, b, 20);
	} else if (!strcmp(cmd, "raw-idle")) {
		/* says nothing: the agent must hang up after its handshake timeout */
	} else {
		return 2;
	}
	long n = drain(fd);
	printf("closed=%d bytes=%ld\n", n >= 0, n);
	return n >= 0 ? 0 : 1;
}
