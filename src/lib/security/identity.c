/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Becoming the container's user: groups, gid, uid, umask, then the five capability sets.
 * Runs in the container child after the rootfs is ready, so it allocates nothing and reads
 * /proc only where there is no other way (and copes with /proc being absent).
 *
 * Order and why:
 *   1. bounding set dropped first, while the effective set still holds CAP_SETPCAP (a uid
 *      change to non-root empties the effective set);
 *   2. PR_SET_KEEPCAPS so the permitted set survives setresuid() to a non-zero uid;
 *   3. setgroups, setresgid, setresuid (gid before uid: afterwards CAP_SETGID may be gone);
 *   4. umask;
 *   5. capset(effective, permitted, inheritable): after the uid change the permitted set is
 *      still the old one, so the spec's sets are subsets of it;
 *   6. ambient cleared, then raised one by one (each must be permitted and inheritable).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "macro.h"
#include "security/security.h"

int cap_from_spec_name(const char *name)
{
	int cap = name ? spec_cap_from_name(name) : -1;
	return cap < 0 ? -EINVAL : cap;
}

const char *cap_to_spec_name(int cap)
{
	return spec_cap_name(cap);
}

/* A name for messages, also for capabilities newer than this table. */
static const char *cap_label(int cap)
{
	const char *n = cap_to_spec_name(cap);
	return n ? n : "(unnamed)";
}

static int last_cap_cached = -1;

int cap_last_cap(void)
{
	int cached = __atomic_load_n(&last_cap_cached, __ATOMIC_RELAXED);
	if (cached >= 0)
		return cached;
	int v = -1;
	_cleanup_close_ int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[16];
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			if (sscanf(buf, "%d", &v) != 1 || v < 0 || v > 63)
				v = -1;
		}
	}
	/* Without /proc (inside a fresh rootfs): the bounding set answers EINVAL past the end. */
	if (v < 0) {
		v = 0;
		while (v < 63 && prctl(PR_CAPBSET_READ, (unsigned long)v + 1, 0, 0, 0) >= 0)
			v++;
	}
	__atomic_store_n(&last_cap_cached, v, __ATOMIC_RELAXED);
	return v;
}

static uint64_t known_caps_mask(void)
{
	int last = cap_last_cap();
	return last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

/* Is /proc/self/setgroups "deny" (a user namespace where setgroups(2) is switched off)? */
static bool setgroups_denied(void)
{
	_cleanup_close_ int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[8] = {0};
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	return n >= 4 && strncmp(buf, "deny", 4) == 0;
}

static int set_groups(const struct spec_user *u, struct hutch_err *err)
{
	if (u->n_additional_gids > NGROUPS_MAX)
		return err_set(err, E2BIG, "setgroups: %zu groups, over %d", u->n_additional_gids,
			       NGROUPS_MAX);
	if (setgroups(u->n_additional_gids, u->additional_gids) == 0)
		return 0;
	int e = errno;
	/*
	 * With no extra groups to set, a user namespace whose setgroups is "deny" is fine: the
	 * process cannot add groups there either, and the inherited list is the host's problem.
	 */
	if (e == EPERM && u->n_additional_gids == 0 && setgroups_denied())
		return 0;
	return err_set_errno(err, e, "setgroups (%zu groups)", u->n_additional_gids);
}

static int drop_bounding(uint64_t keep, struct hutch_err *err)
{
	int last = cap_last_cap();
	for (int c = 0; c <= last; c++) {
		if (keep & (UINT64_C(1) << c))
			continue;
		/* Dropping needs CAP_SETPCAP even for a capability already gone: only then is
		 * the refusal no error (asked after the fact: one prctl per capability, not two). */
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) == 0)
			continue;
		int e = errno;
		if (e == EPERM && prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0) == 0)
			continue;
		return err_set_errno(err, e, "drop capability '%s' from the bounding set",
				     cap_label(c));
	}
	return 0;
}

static int set_caps(const struct spec_caps *c, uint64_t known, struct hutch_err *err)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	uint64_t eff = c->effective & known, prm = c->permitted & known,
		 inh = c->inheritable & known;
	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)prm;
	data[1].permitted = (uint32_t)(prm >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return err_set_errno(
		    err, errno, "capset (effective %#llx, permitted %#llx, inheritable %#llx)",
		    (unsigned long long)eff, (unsigned long long)prm, (unsigned long long)inh);
	return 0;
}

static int set_ambient(uint64_t ambient, struct hutch_err *err)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		/* Kernels before 4.3 have no ambient set: nothing to clear, nothing to raise. */
		if (errno == EINVAL && ambient == 0)
			return 0;
		return err_set_errno(err, errno, "clear ambient capabilities");
	}
	for (int c = 0; c < 64; c++) {
		if (!(ambient & (UINT64_C(1) << c)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) < 0)
			return err_set_errno(err, errno, "raise ambient capability '%s'",
					     cap_label(c));
	}
	return 0;
}

int identity_apply(const struct spec_process *p, struct hutch_err *err)
{
	static const struct spec_caps none = {0};
	const struct spec_caps *caps = p->has_caps ? &p->caps : &none;
	const struct spec_user *u = &p->user;
	uint64_t known = known_caps_mask();

	int r = drop_bounding(caps->bounding & known, err);
	if (r < 0)
		return r;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_set_errno(err, errno, "prctl PR_SET_KEEPCAPS");
	r = set_groups(u, err);
	if (r < 0)
		return r;
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return err_set_errno(err, errno, "setresgid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return err_set_errno(err, errno, "setresuid %u", u->uid);
	if (u->has_umask)
		umask(u->umask & 0777);
	r = set_caps(caps, known, err);
	if (r < 0)
		return r;
	/* Done with the uid change; execve clears it anyway, but leave no surprise. */
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return err_set_errno(err, errno, "prctl PR_SET_KEEPCAPS");
	/*
	 * The kernel raises an ambient capability only if it is permitted and inheritable.
	 * runc's default spec lists ambient caps without inheritable ones and runc only warns
	 * when raising fails; we skip those quietly so such bundles run the same.
	 */
	return set_ambient(caps->ambient & caps->permitted & caps->inheritable & known, err);
}
