/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The workspace quota: how many bytes the sandbox may add through this server
 * (pathfs_config.quota_bytes). Growth is charged before it happens and refused with ENOSPC
 * past the budget; what the sandbox removes is credited back. Sizes are apparent sizes (a
 * sparse file is charged for its length), and every new name costs PATHFS_INODE_COST, so
 * neither holes nor millions of empty files get around it. Content that was there before
 * the sandbox started is not charged: the quota bounds what a sandbox adds to the host's
 * disk, which is what a disk-filling attack needs.
 */
#include <errno.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "pathfs-internal.h"

bool pfs_quota_on(const struct pfs *fs)
{
	return fs->c->quota_bytes != 0;
}

int pfs_quota_charge(struct pfs *fs, uint64_t bytes)
{
	if (!pfs_quota_on(fs) || bytes == 0)
		return 0;
	if (bytes > fs->c->quota_bytes || fs->quota_used > fs->c->quota_bytes - bytes)
		return -ENOSPC;
	fs->quota_used += bytes;
	return 0;
}

void pfs_quota_credit(struct pfs *fs, uint64_t bytes)
{
	fs->quota_used = bytes > fs->quota_used ? 0 : fs->quota_used - bytes;
}

/* Growth of a file whose size is now `size` to `end` (0 if it does not grow). */
uint64_t pfs_quota_growth(off_t size, off_t end)
{
	return end > size ? (uint64_t)(end - size) : 0;
}

/* The size of an open file, or 0 if it cannot be had (then all of a write is charged). */
off_t pfs_quota_size_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
}

/* statfs shows what is left of the quota if that is less than the disk's free space. */
void pfs_quota_statfs(const struct pfs *fs, struct statvfs *sv)
{
	if (!pfs_quota_on(fs) || sv->f_frsize == 0)
		return;
	uint64_t left = (fs->c->quota_bytes - fs->quota_used) / sv->f_frsize;
	uint64_t total = fs->c->quota_bytes / sv->f_frsize;
	if (left < sv->f_bavail)
		sv->f_bavail = left;
	if (left < sv->f_bfree)
		sv->f_bfree = left;
	if (total < sv->f_blocks)
		sv->f_blocks = total;
}
