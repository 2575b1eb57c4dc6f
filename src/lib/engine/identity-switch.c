/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A thread's short stay as a user namespace's owner (ns.h), for a clone that makes every
 * namespace at once: before, the child became the owner itself and made its namespaces one
 * by one, which cost a round trip for its id maps and a fork for the pid namespace.
 *
 * Why it is safe to come back: setresuid() to (owner, owner, saved 0) clears the effective
 * capabilities but keeps the permitted ones (one id is still 0), and an unprivileged thread
 * may set any of its ids to its saved id; with euid 0 again, the permitted set is effective
 * again, and the gids and groups can be set back.
 */
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/ns.h"
#include "err.h"

static int save(struct thread_identity *sv, struct hutch_err *err)
{
	if (getresuid(&sv->ruid, &sv->euid, &sv->suid) < 0 ||
	    getresgid(&sv->rgid, &sv->egid, &sv->sgid) < 0)
		return err_set_errno(err, errno, "read the runtime's ids");
	int n = getgroups(0, NULL);
	sv->groups = n >= 0 ? malloc((size_t)(n ? n : 1) * sizeof(gid_t)) : NULL;
	if (!sv->groups || (n = getgroups(n, sv->groups)) < 0) {
		int e = sv->groups ? errno : ENOMEM;
		free(sv->groups);
		sv->groups = NULL;
		return err_set_errno(err, e, "read the runtime's groups");
	}
	sv->n_groups = n;
	sv->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	return 0;
}

int thread_identity_become(uid_t owner, struct thread_identity *sv, struct hutch_err *err)
{
	*sv = (struct thread_identity){ .n_groups = -1 };
	int r = save(sv, err);
	if (r < 0)
		return r;
	/* Groups and gids first, while we still have the capabilities for them. */
	if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, owner, owner, -1) < 0 ||
	    syscall(SYS_setresuid, owner, owner, -1) < 0) {
		int e = errno;
		(void)thread_identity_restore(sv);
		return err_set_errno(err, e, "become user namespace owner %u", (unsigned)owner);
	}
	return 0;
}

int thread_identity_restore(struct thread_identity *sv)
{
	if (sv->n_groups < 0)
		return 0;
	/* The uid first: with euid 0 again, the capabilities to set the rest come back. */
	int r = 0;
	if (syscall(SYS_setresuid, sv->ruid, sv->euid, sv->suid) < 0 ||
	    syscall(SYS_setresgid, sv->rgid, sv->egid, sv->sgid) < 0 ||
	    syscall(SYS_setgroups, sv->n_groups, sv->groups) < 0)
		r = negative_errno();
	/* A uid change made us non-dumpable; as we were. */
	if (r == 0 && sv->dumpable >= 0)
		prctl(PR_SET_DUMPABLE, sv->dumpable, 0, 0, 0);
	free(sv->groups);
	sv->groups = NULL;
	sv->n_groups = -1;
	return r;
}
