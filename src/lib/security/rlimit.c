/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * process.rlimits and process.oomScoreAdj, applied in the container child before the uid
 * change (raising a hard limit or lowering oom_score_adj needs CAP_SYS_RESOURCE). No
 * allocation: runs in a cloned child.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "err.h"
#include "macro.h"
#include "security/security.h"

/* clang-format off */
static const char *const rlimit_names[] = {
	[RLIMIT_CPU] = "RLIMIT_CPU",
	[RLIMIT_FSIZE] = "RLIMIT_FSIZE",
	[RLIMIT_DATA] = "RLIMIT_DATA",
	[RLIMIT_STACK] = "RLIMIT_STACK",
	[RLIMIT_CORE] = "RLIMIT_CORE",
	[RLIMIT_RSS] = "RLIMIT_RSS",
	[RLIMIT_NPROC] = "RLIMIT_NPROC",
	[RLIMIT_NOFILE] = "RLIMIT_NOFILE",
	[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",
	[RLIMIT_AS] = "RLIMIT_AS",
	[RLIMIT_LOCKS] = "RLIMIT_LOCKS",
	[RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
	[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE",
	[RLIMIT_NICE] = "RLIMIT_NICE",
	[RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",
	[RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};
/* clang-format on */

const char *rlimit_to_spec_name(int resource)
{
	if (resource < 0 || (size_t)resource >= ARRAY_SIZE(rlimit_names))
		return NULL;
	return rlimit_names[resource];
}

int rlimits_apply(const struct spec_process *p, struct hutch_err *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct spec_rlimit *l = &p->rlimits[i];
		const char *name = rlimit_to_spec_name(l->resource);
		if (!name)
			return err_set(err, EINVAL, "process.rlimits[%zu]: unknown resource %d", i,
				       l->resource);
		/* RLIM_INFINITY is all ones, as the spec's uint64 "unlimited" is. */
		struct rlimit rl = {.rlim_cur = l->soft, .rlim_max = l->hard};
		if (setrlimit(l->resource, &rl) < 0)
			return err_set_errno(err, errno, "rlimit '%s' (soft %llu, hard %llu)", name,
					     (unsigned long long)l->soft,
					     (unsigned long long)l->hard);
	}
	return 0;
}

int oom_score_adj_apply(const struct spec_process *p, struct hutch_err *err)
{
	if (!p->has_oom_score_adj)
		return 0;
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set_errno(err, errno, "open '/proc/self/oom_score_adj'");
	/* The kernel wants the value in one write and checks the range (-1000..1000) itself. */
	ssize_t n = write(fd, buf, (size_t)len);
	if (n < 0)
		return err_set_errno(err, errno, "oom_score_adj %d", p->oom_score_adj);
	if (n != len)
		return err_set(err, EIO, "oom_score_adj %d: short write", p->oom_score_adj);
	return 0;
}
