/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kill, delete, pause, resume. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "engine/container.h"
#include "oci.h"

int cmd_kill(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool all = false;
	int c;
	while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
		if (c == 'a') {
			all = true;
			continue;
		}
		fprintf(c == 'h' ? stdout : stderr,
			"usage: hutch-oci kill [--all] ID [SIGNAL]\n\n"
			"Sends SIGNAL (default SIGTERM; a name or a number) to the container's init,\n"
			"or with --all to every process in it.\n");
		return c == 'h' ? 0 : 1;
	}
	if (optind >= argc)
		return oci_failf("kill: a container id is required");
	if (optind + 2 < argc)
		return oci_failf("kill: unexpected argument '%s'", argv[optind + 2]);
	const char *id = argv[optind];
	int sig = SIGTERM;
	if (optind + 1 < argc && (sig = oci_parse_signal(argv[optind + 1])) < 0)
		return oci_failf("kill: unknown signal '%s'", argv[optind + 1]);
	struct hutch_err err = { 0 };
	return container_kill(oci.root, id, sig, all, &err) < 0 ? oci_fail(&err) : 0;
}

int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool force = false;
	int c;
	while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (c == 'f') {
			force = true;
			continue;
		}
		fprintf(c == 'h' ? stdout : stderr,
			"usage: hutch-oci delete [--force] ID\n\n"
			"Deletes a stopped container; --force kills a running one first.\n");
		return c == 'h' ? 0 : 1;
	}
	const char *id;
	if (oci_need_id(argc, argv, "delete", &id))
		return 1;
	struct hutch_err err = { 0 };
	int r = container_delete(oci.root, id, force, &err);
	/* runc: deleting a container that is not there with --force is not an error. */
	if (r == -ENOENT && force)
		return 0;
	return r < 0 ? oci_fail(&err) : 0;
}

static int pause_resume(int argc, char **argv, bool pause)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		fprintf(c == 'h' ? stdout : stderr, "usage: hutch-oci %s ID\n", argv[0]);
		return c == 'h' ? 0 : 1;
	}
	const char *id;
	if (oci_need_id(argc, argv, argv[0], &id))
		return 1;
	struct hutch_err err = { 0 };
	return container_pause(oci.root, id, pause, &err) < 0 ? oci_fail(&err) : 0;
}

int cmd_pause(int argc, char **argv)
{
	return pause_resume(argc, argv, true);
}

int cmd_resume(int argc, char **argv)
{
	return pause_resume(argc, argv, false);
}
