/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch's state under /run/hutch is runtime state: it must not outlive a boot, and every
 * sandbox start and removal writes it (state files made, replaced and unlinked). Debian
 * mounts /run as a tmpfs, but not every machine does: where /run is on a disk file system
 * (ext4 with `discard` here), those writes cost about 1.4 ms of every `hutch run`, and the
 * state of dead sandboxes survives a reboot. So, as root, when /run/hutch would live on a
 * disk file system, we mount a tmpfs there first. Only over an empty directory: state of
 * sandboxes made before (still running, or kept) is never hidden; such a machine keeps its
 * disk state until /run/hutch is emptied.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "macro.h"
#include "path.h"

static bool on_memory_fs(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && (sf.f_type == (typeof(sf.f_type))TMPFS_MAGIC ||
					  sf.f_type == (typeof(sf.f_type))RAMFS_MAGIC);
}

static bool dir_is_empty(int fd)
{
	int d = dup(fd);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	if (!dir) {
		if (d >= 0)
			close(d);
		return false;
	}
	bool empty = true;
	struct dirent *e;
	while (empty && (e = readdir(dir)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(dir);
	return empty;
}

int runtime_dir_prepare(void)
{
	if (geteuid() != 0 || on_memory_fs(RUNTIME_DIR_ROOT))
		return 0;
	if (access(RUNTIME_DIR_ROOT, F_OK) < 0 && on_memory_fs("/run"))
		return 0; /* mkdir_p makes it when needed, on /run's tmpfs */
	if (mkdir(RUNTIME_DIR_ROOT, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	_cleanup_close_ int fd = open(RUNTIME_DIR_ROOT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	/* Concurrent first runs: one mounts, the others find the tmpfs once they get the lock
	 * (the lock is on the directory beneath, which the mount does not change). */
	if (flock(fd, LOCK_EX) < 0)
		return negative_errno();
	if (on_memory_fs(RUNTIME_DIR_ROOT) || !dir_is_empty(fd))
		return 0;
	/* Sized as systemd sizes /run: sandboxes' logs live here too (SANDBOX_LOG_MAX each). */
	if (mount("hutch-state", RUNTIME_DIR_ROOT, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0700,size=20%,nr_inodes=800k") < 0)
		return negative_errno();
	return 1;
}
