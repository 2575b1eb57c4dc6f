/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch cp: files and directories between the host and a sandbox, through the agent's file
 * operations.
 *
 * Trust boundary: everything about the sandbox side — paths, names, types, modes, contents
 * — is the workload's to choose. So:
 *  - sandbox paths are only ever resolved by the agent, inside the sandbox's own view (its
 *    mount namespace, its root, its credentials). We never resolve a path relative to an fd
 *    that came from the sandbox: on the host, a symlink in there would resolve against the
 *    host's root with our privileges. Those fds are only read or written;
 *  - names read from a sandbox directory must be single path components;
 *  - on the host we create files relative to directory fds with O_NOFOLLOW, never through
 *    a symlink, and never with setuid/setgid/sticky bits (mode & 0777);
 *  - only regular files and directories are copied; recursion depth is capped.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hutch.h"

#define CP_MAX_DEPTH 256

struct cp {
	struct hutch_agent *a;
	unsigned skipped;
};

static void cp_usage(FILE *f)
{
	fprintf(f,
		"usage: hutch cp SANDBOX:PATH LOCAL\n"
		"       hutch cp LOCAL SANDBOX:PATH\n"
		"       hutch cp --socket P [--token-file F] (:PATH LOCAL | LOCAL :PATH)\n\n"
		"Copies a file or a directory (recursively) out of or into a running sandbox,\n"
		"keeping permission bits (never setuid, setgid or sticky bits, either way). PATH is\n"
		"resolved by the sandbox's agent in the sandbox's own view of the filesystem, with\n"
		"its credentials: symlinks and '..' in there cannot reach anything the sandbox\n"
		"cannot. If the destination is an existing directory, the source is copied into it\n"
		"under its own name; otherwise it is copied to the destination's name. Files are\n"
		"written to a temporary name in the sandbox and renamed (atomic). Symlinks, devices,\n"
		"FIFOs and sockets inside a copied directory are skipped with a warning; given as\n"
		"the source itself, they are an error. A local\n"
		"path with ':' in its first component is written as ./a:b.\n\n"
		"Exit status: 0; 1 no such sandbox, 2 bad options, 3 not running, 125 any failure.\n");
}

static bool name_ok(const char *n)
{
	return *n && strcmp(n, ".") != 0 && strcmp(n, "..") != 0 && !strchr(n, '/') &&
	       strlen(n) <= NAME_MAX;
}

static char *join(const char *dir, const char *name)
{
	char *p = NULL;
	size_t l = strlen(dir);
	if (asprintf(&p, "%s%s%s", dir, l && dir[l - 1] == '/' ? "" : "/", name) < 0)
		return NULL;
	if (strlen(p) >= PATH_MAX) {
		free(p);
		errno = ENAMETOOLONG;
		return NULL;
	}
	return p;
}

/* The last component of a path, trailing slashes ignored; "" for "/", "." or "..". */
static char *last_name(const char *path)
{
	_cleanup_free_ char *c = strdup(path);
	if (!c)
		return NULL;
	size_t l = strlen(c);
	while (l > 1 && c[l - 1] == '/')
		c[--l] = '\0';
	char *b = basename(c);
	return strdup(name_ok(b) ? b : "");
}

static int fail(int e, const char *what, const char *path)
{
	log_error("%s '%s': %s", what, path, strerror(e));
	return -e;
}

static int copy_fd(int in, int out, const char *what)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(errno, "read", what);
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return fail(errno, "write", what);
			off += w;
		}
	}
}

/* ---- out of the sandbox ---- */

static int out_entry(struct cp *c, const char *rpath, int dfd, const char *name, bool top,
		     int depth);

static int out_file(struct cp *c, const char *rpath, int dfd, const char *name, bool top)
{
	struct hutch_err err = { 0 };
	_cleanup_close_ int in = -1;
	/* Inside a directory a symlink is skipped, not followed (the type was checked, this
	 * keeps a swap-in from changing what we copy). */
	int flags = HUTCH_O_RDONLY | (top ? 0 : HUTCH_O_NOFOLLOW);
	int r = hutch_agent_file_open(c->a, rpath, flags, 0, &in, &err);
	if (r < 0) {
		log_error("%s", err.msg);
		return r;
	}
	struct stat st;
	if (fstat(in, &st) < 0)
		return fail(errno, "stat", rpath);
	if (!S_ISREG(st.st_mode)) {
		log_warn("skipping '%s': not a regular file", rpath);
		c->skipped++;
		return 0;
	}
	_cleanup_close_ int out = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
					 O_CLOEXEC, 0600);
	if (out < 0)
		return fail(errno, "create", name);
	if ((r = copy_fd(in, out, rpath)) < 0)
		return r;
	if (fchmod(out, st.st_mode & 0777) < 0)
		return fail(errno, "chmod", name);
	return 0;
}

static int out_dir(struct cp *c, const char *rpath, int dfd, const char *name, uint32_t mode,
		   int depth)
{
	if (depth > CP_MAX_DEPTH)
		return fail(ELOOP, "copy", rpath);
	if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
		return fail(errno, "create", name);
	_cleanup_close_ int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return fail(errno, "open", name);
	struct hutch_err err = { 0 };
	struct hutch_dirent *v = NULL;
	size_t n = 0;
	int trunc = 0;
	int r = hutch_agent_file_readdir(c->a, rpath, &v, &n, &trunc, &err);
	if (r < 0) {
		log_error("%s", err.msg);
		return r;
	}
	if (trunc)
		r = fail(E2BIG, "list (more than 8192 entries)", rpath);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (!name_ok(v[i].name)) { /* the agent's reply is no more trusted than the rest */
			r = fail(EBADMSG, "bad name in directory", rpath);
			break;
		}
		_cleanup_free_ char *child = join(rpath, v[i].name);
		r = child ? out_entry(c, child, sub, v[i].name, false, depth + 1)
			  : fail(errno, "path", rpath);
	}
	hutch_dirents_free(v, n);
	if (r >= 0 && fchmod(sub, mode & 0777) < 0)
		r = fail(errno, "chmod", name);
	return r;
}

static int out_entry(struct cp *c, const char *rpath, int dfd, const char *name, bool top,
		     int depth)
{
	struct hutch_err err = { 0 };
	struct hutch_stat st;
	int r = hutch_agent_file_stat(c->a, rpath, !top, &st, &err);
	if (r < 0) {
		log_error("%s", err.msg);
		return r;
	}
	if (st.type == HUTCH_FT_DIR)
		return out_dir(c, rpath, dfd, name, st.mode, depth);
	if (st.type == HUTCH_FT_REG)
		return out_file(c, rpath, dfd, name, top);
	const char *what = st.type == HUTCH_FT_LNK ? "a symlink" : "not a regular file";
	if (top) { /* what was asked for cannot be copied: a failure, not a skip */
		log_error("cannot copy '%s': %s (only regular files and directories are)", rpath, what);
		return -EINVAL;
	}
	log_warn("skipping '%s': %s", rpath, what);
	c->skipped++;
	return 0;
}

/* LOCAL: an existing directory gets the source inside it, else LOCAL is the new name. */
static int copy_out(struct cp *c, const char *rpath, const char *local)
{
	_cleanup_free_ char *rname = last_name(rpath);
	_cleanup_free_ char *lcopy = strdup(local), *lcopy2 = strdup(local);
	if (!rname || !lcopy || !lcopy2)
		return -ENOMEM;
	struct stat st;
	_cleanup_close_ int dfd = -1;
	const char *name;
	if (stat(local, &st) == 0 && S_ISDIR(st.st_mode) && *rname) {
		dfd = open(local, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		name = rname;
	} else {
		dfd = open(dirname(lcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		name = basename(lcopy2);
	}
	if (dfd < 0)
		return fail(errno, "open", local);
	if (!name_ok(name))
		return fail(EINVAL, "destination", local);
	return out_entry(c, rpath, dfd, name, true, 0);
}

/* ---- into the sandbox ---- */

static int in_entry(struct cp *c, int dfd, const char *name, const char *rpath, int depth);

static int in_file(struct cp *c, int fd, const struct stat *st, const char *rpath)
{
	uint8_t rnd[6];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.hutch-cp-%02x%02x%02x%02x%02x%02x", rpath, rnd[0], rnd[1], rnd[2],
		     rnd[3], rnd[4], rnd[5]) < 0)
		return -ENOMEM;
	struct hutch_err err = { 0 };
	_cleanup_close_ int out = -1;
	int r = hutch_agent_file_open(c->a, tmp, HUTCH_O_WRONLY | HUTCH_O_CREAT | HUTCH_O_EXCL |
				      HUTCH_O_NOFOLLOW, 0600, &out, &err);
	if (r < 0) { /* named as asked for: the temporary name means nothing to the user */
		log_error("cannot write '%s' in the sandbox: %s", rpath, strerror(-r));
		return r;
	}
	r = copy_fd(fd, out, rpath);
	if (r >= 0 && (r = hutch_agent_file_chmod(c->a, tmp, st->st_mode & 0777, &err)) >= 0)
		r = hutch_agent_file_rename(c->a, tmp, rpath, &err);
	if (r < 0) {
		if (err.msg[0])
			log_error("%s", err.msg);
		hutch_agent_file_remove(c->a, tmp, 0, NULL);
	}
	return r;
}

static int in_dir(struct cp *c, int fd, const struct stat *st, const char *rpath, int depth)
{
	if (depth > CP_MAX_DEPTH)
		return fail(ELOOP, "copy", rpath);
	struct hutch_err err = { 0 };
	struct hutch_stat rst;
	int r = hutch_agent_file_mkdir(c->a, rpath, 0700, 0, &err);
	if (r == -EEXIST && hutch_agent_file_stat(c->a, rpath, 1, &rst, NULL) == 0 &&
	    rst.type == HUTCH_FT_DIR)
		r = 0;
	if (r < 0) {
		log_error("%s", err.msg);
		return r;
	}
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		safe_close(dup_fd);
		return fail(errno, "open", rpath);
	}
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		if (!name_ok(de->d_name))
			continue;
		_cleanup_free_ char *child = join(rpath, de->d_name);
		r = child ? in_entry(c, dirfd(d), de->d_name, child, depth + 1)
			  : fail(errno, "path", rpath);
	}
	closedir(d);
	if (r >= 0 && (r = hutch_agent_file_chmod(c->a, rpath, st->st_mode & 0777, &err)) < 0)
		log_error("%s", err.msg);
	return r;
}

static int in_entry(struct cp *c, int dfd, const char *name, const char *rpath, int depth)
{
	/* The top level follows a symlink given on the command line (as cp does); inside a
	 * directory, symlinks are skipped. */
	int nofollow = depth ? O_NOFOLLOW : 0;
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | nofollow);
	struct stat st;
	if (fd < 0 && errno == ELOOP && depth) {
		log_warn("skipping '%s': a symlink", name);
		c->skipped++;
		return 0;
	}
	if (fd < 0 || fstat(fd, &st) < 0)
		return fail(errno, "open", name);
	if (S_ISDIR(st.st_mode))
		return in_dir(c, fd, &st, rpath, depth);
	if (!S_ISREG(st.st_mode) && !depth) {
		log_error("cannot copy '%s': not a regular file (only regular files and directories "
			  "are)", name);
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warn("skipping '%s': not a regular file", name);
		c->skipped++;
		return 0;
	}
	fcntl(fd, F_SETFL, 0);
	return in_file(c, fd, &st, rpath);
}

/* SANDBOX:PATH that is an existing directory gets the source inside it. */
static int copy_in(struct cp *c, const char *local, const char *rpath)
{
	_cleanup_free_ char *lname = last_name(local);
	_cleanup_free_ char *dst = NULL;
	struct hutch_stat rst;
	if (!lname)
		return -ENOMEM;
	if (*lname && hutch_agent_file_stat(c->a, rpath, 0, &rst, NULL) == 0 &&
	    rst.type == HUTCH_FT_DIR)
		dst = join(rpath, lname);
	else
		dst = strdup(rpath);
	if (!dst)
		return -ENOMEM;
	return in_entry(c, AT_FDCWD, local, dst, 0);
}

/* ---- command line ---- */

/* "SANDBOX:PATH" (or ":PATH" with --socket) → the sandbox part and the path; NULL if local. */
static const char *remote_path(const char *arg, bool socket, char **ret_sandbox)
{
	const char *colon = strchr(arg, ':');
	const char *slash = strchr(arg, '/');
	if (!colon || (slash && slash < colon) || (colon == arg) != socket)
		return NULL;
	*ret_sandbox = strndup(arg, (size_t)(colon - arg));
	return colon + 1;
}

int cmd_cp(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, CLI_TARGET_OPTIONS, { 0 },
	};
	struct cli_target t = { 0 };
	int o;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'h')
			return cp_usage(stdout), 0;
		if (!cli_target_opt(&t, o, optarg))
			return cp_usage(stderr), HUTCH_EXIT_USAGE;
	}
	if (argc - optind != 2)
		return cp_usage(stderr), HUTCH_EXIT_USAGE;
	const char *src = argv[optind], *dst = argv[optind + 1];
	_cleanup_free_ char *sb_src = NULL, *sb_dst = NULL;
	const char *rsrc = remote_path(src, t.socket, &sb_src);
	const char *rdst = remote_path(dst, t.socket, &sb_dst);
	if (!rsrc == !rdst || !*(rsrc ? rsrc : rdst)) {
		log_error("cp: exactly one of the two paths must be %s", t.socket ? ":PATH" : "SANDBOX:PATH");
		return HUTCH_EXIT_USAGE;
	}
	if (!t.socket)
		t.sandbox = rsrc ? sb_src : sb_dst;
	struct cp c = { 0 };
	int r = cli_target_connect(&t, &c.a);
	if (r == 0) {
		r = rsrc ? copy_out(&c, rsrc, dst) : copy_in(&c, src, rdst);
		r = r < 0 ? HUTCH_EXIT_SANDBOX : 0;
		if (c.skipped)
			log_warn("skipped %u entries (not regular files or directories)", c.skipped);
	}
	hutch_agent_close(c.a);
	cli_target_release(&t);
	return r;
}
