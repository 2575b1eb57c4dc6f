/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pathfs-harness ANCHOR SOURCE_DIR MOUNTPOINT FALLBACK RULES_JSON_FILE
 *
 * Serves SOURCE_DIR at MOUNTPOINT through pathfs, as if MOUNTPOINT were ANCHOR in a
 * sandbox, with the rules of RULES_JSON_FILE (rules.h format) and FALLBACK (none, view,
 * read, write) where no rule decides. Mounts the FUSE fd the way the sandbox code does,
 * prints "ready" once the mount is in place, and exits 0 when it is unmounted.
 * Run as root (mount(2)).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "err.h"
#include "pathfs/pathfs.h"
#include "rules/rules.h"

static int mount_fuse(const char *mountpoint, int *ret_fd)
{
	char opts[256];
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions", fd);
	if (mount("pathfs", mountpoint, "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int main(int argc, char **argv)
{
	struct rule_set rules = {.default_access = RULE_ACCESS_LAYOUT};
	struct hutch_err err = {0};
	enum rule_access fallback;
	int fuse_fd = -1, r;

	if (argc != 6) {
		fprintf(stderr, "usage: %s ANCHOR SOURCE_DIR MOUNTPOINT FALLBACK RULES_JSON_FILE\n",
			argv[0]);
		return 2;
	}
	if (rule_access_from_name(argv[4], &fallback) < 0 || fallback == RULE_ACCESS_LAYOUT) {
		fprintf(stderr, "pathfs-harness: bad fallback '%s'\n", argv[4]);
		return 2;
	}
	if (rule_set_add_file(&rules, argv[5], &err) < 0) {
		fprintf(stderr, "pathfs-harness: %s\n", err.msg);
		return 1;
	}
	_cleanup_close_ int base = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (base < 0) {
		fprintf(stderr, "pathfs-harness: open '%s': %s\n", argv[2], strerror(errno));
		return 1;
	}
	r = mount_fuse(argv[3], &fuse_fd);
	if (r < 0) {
		fprintf(stderr, "pathfs-harness: mount fuse on '%s': %s\n", argv[3], strerror(-r));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	struct pathfs_config c = {
	    .anchor = argv[1], .base_fd = base, .fallback = fallback, .rules = &rules, .ctl_fd = -1};
	r = pathfs_serve(fuse_fd, &c, &err);
	close(fuse_fd);
	rule_set_release(&rules);
	if (r < 0) {
		fprintf(stderr, "pathfs-harness: %s\n", err.msg);
		umount2(argv[3], MNT_DETACH);
		return 1;
	}
	return 0;
}
