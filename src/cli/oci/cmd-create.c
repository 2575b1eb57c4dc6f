/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* create and run: make a container from a bundle; run also starts it and waits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/container.h"
#include "oci.h"
#include "path.h"

struct create_args {
	struct create_opts o;
	char *bundle;
	const char *id;
	bool detach;
	bool keep;
};

static void create_usage(const char *cmd, FILE *f)
{
	fprintf(f,
		"usage: hutch-oci %s [options] ID\n\n"
		"  -b, --bundle DIR          bundle directory (default: current directory)\n"
		"      --pid-file FILE       write the init pid to FILE\n"
		"      --console-socket PATH send the pty master there (process.terminal)\n"
		"      --no-pivot            use chroot instead of pivot_root\n"
		"      --preserve-fds N      pass fds 3..3+N-1 to the container\n"
		"      --no-new-keyring      accepted (no session keyring is made)\n"
		"%s",
		cmd,
		strcmp(cmd, "run") == 0 ? "  -d, --detach              do not wait for the container\n"
					  "      --keep                keep the container after it exits\n"
					: "");
}

static int parse(int argc, char **argv, struct create_args *a)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "no-pivot", no_argument, NULL, 'P' },
		{ "preserve-fds", required_argument, NULL, 'f' },
		{ "no-new-keyring", no_argument, NULL, 'k' },
		{ "detach", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bundle = ".";
	int c;
	while ((c = getopt_long(argc, argv, "+b:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 'p':
			a->o.pid_file = optarg;
			break;
		case 'c':
			a->o.console_socket = optarg;
			break;
		case 'P':
			a->o.no_pivot = true;
			break;
		case 'f': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 1024)
				return oci_failf("--preserve-fds: invalid count '%s'", optarg);
			a->o.preserve_fds = (unsigned)n;
			break;
		}
		case 'k':
			break;
		case 'd':
			a->detach = true;
			break;
		case 'K':
			a->keep = true;
			break;
		case 'h':
			create_usage(argv[0], stdout);
			exit(0);
		default:
			create_usage(argv[0], stderr);
			return 1;
		}
	}
	if (oci_need_id(argc, argv, argv[0], &a->id))
		return 1;
	a->bundle = path_absolute(bundle);
	if (!a->bundle)
		return oci_failf("bundle '%s': %m", bundle);
	a->o.bundle = a->bundle;
	return 0;
}

int cmd_create(int argc, char **argv)
{
	struct create_args a = { 0 };
	if (parse(argc, argv, &a))
		return 1;
	_cleanup_free_ char *bundle = a.bundle; /* owns it: freed on return */
	(void)bundle;
	struct hutch_err err = { 0 };
	struct created cr;
	if (container_create(oci.root, a.id, &a.o, &cr, &err) < 0)
		return oci_fail(&err);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct create_args a = { 0 };
	if (parse(argc, argv, &a))
		return 1;
	_cleanup_free_ char *bundle = a.bundle; /* owns it: freed on return */
	(void)bundle;
	/* A terminal in the foreground without a console socket: we relay it ourselves. */
	a.o.keep_pty = !a.detach && !a.o.console_socket;
	a.o.start = true; /* create and start in one step; a failure takes it all back */
	struct hutch_err err = { 0 };
	struct created cr;
	if (container_create(oci.root, a.id, &a.o, &cr, &err) < 0)
		return oci_fail(&err);
	if (a.detach)
		return 0;
	int code = oci_wait_forward(cr.pid, cr.pty_master);
	safe_close(cr.pty_master);
	if (!a.keep && container_delete(oci.root, a.id, true, &err) < 0)
		oci_fail(&err);
	return code;
}

int cmd_start(int argc, char **argv)
{
	const char *id;
	int c;
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		printf("usage: hutch-oci start ID\n\nStarts the process of a created container.\n");
		return c == 'h' ? 0 : 1;
	}
	if (oci_need_id(argc, argv, "start", &id))
		return 1;
	struct hutch_err err = { 0 };
	return container_start(oci.root, id, &err) < 0 ? oci_fail(&err) : 0;
}
