/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names the OCI spec uses for kernel numbers: namespace types, capabilities, rlimits.
 * Own tables rather than libcap's cap_from_name(): that one also takes lowercase names and
 * bare numbers, which runc does not, and we want the same config to mean the same thing
 * whatever libcap version is installed.
 */
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "macro.h"
#include "spec-json.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static const struct {
	const char *name;
	int type;
} namespaces[] = {
    {"pid", CLONE_NEWPID},	 {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},	 {"uts", CLONE_NEWUTS},	    {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

int spec_namespace_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		if (strcmp(namespaces[i].name, name) == 0)
			return namespaces[i].type;
	return -1;
}

const char *spec_namespace_to_name(int type)
{
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		if (namespaces[i].type == type)
			return namespaces[i].name;
	return "unknown";
}

/* Indexed by capability number (linux/capability.h); the kernel has 41 as of 6.x. */
static const char *const caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

const char *spec_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(caps))
		return NULL;
	return caps[cap];
}

int spec_cap_from_name(const char *name)
{
	if (strncmp(name, "CAP_", 4) != 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
		if (strcmp(caps[i] + 4, name + 4) == 0)
			return (int)i;
	return -1;
}

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int spec_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimits); i++)
		if (strcmp(rlimits[i].name, name) == 0)
			return rlimits[i].resource;
	return -1;
}

/* process.scheduler.policy: the kernel's numbers (uapi/linux/sched.h; 4 is reserved for ISO). */
static const char *const sched_policies[] = {
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",	   "SCHED_BATCH",
    "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE",
};

int spec_sched_policy_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sched_policies); i++)
		if (strcmp(sched_policies[i], name) == 0)
			return (int)i;
	return -1;
}

/* Bit n of sched_attr.sched_flags. */
static const char *const sched_flags[] = {
    "SCHED_FLAG_RESET_ON_FORK",	 "SCHED_FLAG_RECLAIM",	   "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",	 "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
};

int spec_sched_flag_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(sched_flags); i++)
		if (strcmp(sched_flags[i], name) == 0)
			return (int)i;
	return -1;
}

int spec_ioprio_class_from_name(const char *name)
{
	static const char *const classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
					      "IOPRIO_CLASS_IDLE"};
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
		if (strcmp(classes[i], name) == 0)
			return (int)i + 1;
	return -1;
}

int spec_personality_from_name(const char *name)
{
	if (strcmp(name, "LINUX") == 0)
		return 0x0000; /* PER_LINUX */
	if (strcmp(name, "LINUX32") == 0)
		return 0x0008; /* PER_LINUX32 */
	return -1;
}
