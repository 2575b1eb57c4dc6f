/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCI runtime spec (config.json) as C data: what the engine consumes.
 *
 * Invariants (established by spec_parse(), relied on by every engine module):
 *  - every string is non-NULL unless documented optional; string vectors are NULL-terminated
 *    (an empty list is an allocated vector holding only NULL, or NULL itself: use strv_length);
 *  - numeric fields that the JSON may omit hold SPEC_UNSET (int64) or have a has_ flag;
 *  - counts are bounded by the SPEC_MAX_* limits below, so a hostile config cannot make the
 *    runtime allocate without limit;
 *  - names that the spec gives as strings but that the kernel knows as numbers (namespace types,
 *    rlimit names, capability names) are already numbers; strings that need a library to
 *    interpret (seccomp actions, mount options) stay strings and are checked by the module
 *    that uses them.
 * A struct spec built by hand (the sandbox layer does that, skipping JSON) must keep them too.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "hutch/hutch.h"

/* GNU C predefines `linux` as 1, which would break the field struct spec.linux below. */
#undef linux

#define SPEC_UNSET INT64_MIN

/* Hard limits on what a config may ask for. */
#define SPEC_MAX_FILE_SIZE (4u << 20) /* config.json bytes */
#define SPEC_MAX_JSON_DEPTH 32
#define SPEC_MAX_ARRAY 4096 /* entries in any one array (mounts, env, args, rules...) */
#define SPEC_MAX_STRING (64u << 10)
/*
 * json-c builds its whole tree before we see it, and a 4 MiB document of "{}," would cost it a
 * gigabyte: these cap the tree itself (objects and arrays; values in all).
 */
#define SPEC_MAX_JSON_CONTAINERS (32u << 10)
#define SPEC_MAX_JSON_VALUES (128u << 10)

struct spec_id_map {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct spec_mount {
	char *destination; /* absolute path inside the container */
	char *source;      /* optional (NULL) */
	char *type;        /* optional (NULL): "bind" is implied by a "bind"/"rbind" option */
	char **options;    /* raw option strings: "ro", "nosuid", "size=64m", "rbind", "rprivate"... */
	struct spec_id_map *uid_mappings; /* idmapped mounts (optional) */
	size_t n_uid_mappings;
	struct spec_id_map *gid_mappings;
	size_t n_gid_mappings;
};

struct spec_hook {
	char *path;
	char **args; /* optional */
	char **env;  /* optional */
	int timeout; /* seconds; 0 = none */
};

enum spec_hook_kind {
	SPEC_HOOK_PRESTART,
	SPEC_HOOK_CREATE_RUNTIME,
	SPEC_HOOK_CREATE_CONTAINER,
	SPEC_HOOK_START_CONTAINER,
	SPEC_HOOK_POSTSTART,
	SPEC_HOOK_POSTSTOP,
	_SPEC_HOOK_MAX,
};

struct spec_hooks {
	struct spec_hook *list[_SPEC_HOOK_MAX];
	size_t n[_SPEC_HOOK_MAX];
};

struct spec_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft;
	uint64_t hard;
};

struct spec_user {
	uint32_t uid;
	uint32_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
};

/* Capability sets as bitmasks of CAP_* numbers (bit n = capability n). */
struct spec_caps {
	uint64_t bounding;
	uint64_t effective;
	uint64_t inheritable;
	uint64_t permitted;
	uint64_t ambient;
};

/* process.scheduler (OCI 1.2): names already turned into numbers. */
struct spec_scheduler {
	int policy; /* SCHED_OTHER, SCHED_FIFO, ..., SCHED_DEADLINE */
	int32_t nice;
	int32_t priority;
	uint64_t flags; /* SCHED_FLAG_* bits */
	uint64_t runtime;
	uint64_t deadline;
	uint64_t period;
};

struct spec_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height;
	uint32_t console_width;
	struct spec_user user;
	char **args;
	char **env;
	char *cwd;
	bool has_caps; /* false: "capabilities" absent, keep none */
	struct spec_caps caps;
	struct spec_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile; /* optional; not applied (no AppArmor here), kept for state */
	char *selinux_label;    /* optional; likewise */
	bool has_scheduler; /* OCI 1.2 */
	struct spec_scheduler scheduler;
	bool has_io_priority;  /* OCI 1.2 */
	int io_priority_class; /* IOPRIO_CLASS_RT (1), _BE (2), _IDLE (3) */
	int io_priority;       /* 0..7 */
};

struct spec_namespace {
	int type;   /* CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, ..., CLONE_NEWTIME */
	char *path; /* optional: join this namespace instead of creating one */
};

struct spec_device {
	char *path;
	char type; /* 'c', 'b', 'u' (unbuffered char), 'p' (fifo) */
	int64_t major;
	int64_t minor;
	bool has_file_mode;
	mode_t file_mode;
	bool has_uid;
	uint32_t uid;
	bool has_gid;
	uint32_t gid;
};

/* linux.resources.devices[]: the device cgroup allow/deny list. */
struct spec_device_rule {
	bool allow;
	char type;     /* 'a', 'c', 'b' */
	int64_t major; /* -1 = any */
	int64_t minor; /* -1 = any */
	char access[4]; /* subset of "rwm", NUL-terminated */
};

struct spec_weight_device {
	int64_t major;
	int64_t minor;
	int64_t weight;      /* SPEC_UNSET if absent */
	int64_t leaf_weight; /* SPEC_UNSET if absent */
};

struct spec_throttle_device {
	int64_t major;
	int64_t minor;
	uint64_t rate;
};

struct spec_hugepage_limit {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;
};

struct spec_key_value {
	char *key;
	char *value;
};

/* Every int64 here is SPEC_UNSET when the JSON omits it. */
struct spec_memory {
	int64_t limit;
	int64_t reservation;
	int64_t swap; /* memory+swap, as in the spec (v1 semantics) */
	int64_t kernel;
	int64_t kernel_tcp;
	int64_t swappiness;
	bool has_disable_oom_killer;
	bool disable_oom_killer;
	bool has_use_hierarchy;
	bool use_hierarchy;
	bool check_before_update;
};

struct spec_cpu {
	int64_t shares;
	int64_t quota;
	int64_t burst;
	int64_t period;
	int64_t realtime_runtime;
	int64_t realtime_period;
	int64_t idle;
	char *cpus; /* optional cpuset list, "0-1" */
	char *mems; /* optional */
};

struct spec_blkio {
	int64_t weight;
	int64_t leaf_weight;
	struct spec_weight_device *weight_devices;
	size_t n_weight_devices;
	struct spec_throttle_device *throttle[4]; /* indexed by enum spec_throttle */
	size_t n_throttle[4];
};

enum spec_throttle {
	SPEC_THROTTLE_READ_BPS,
	SPEC_THROTTLE_WRITE_BPS,
	SPEC_THROTTLE_READ_IOPS,
	SPEC_THROTTLE_WRITE_IOPS,
};

struct spec_resources {
	struct spec_device_rule *devices;
	size_t n_devices;
	bool has_memory;
	struct spec_memory memory;
	bool has_cpu;
	struct spec_cpu cpu;
	int64_t pids_limit; /* SPEC_UNSET if absent; -1 or 0 = unlimited as in runc */
	bool has_blkio;
	struct spec_blkio blkio;
	struct spec_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	struct spec_key_value *unified; /* cgroup v2 raw files */
	size_t n_unified;
};

struct spec_seccomp_arg {
	uint32_t index;
	uint64_t value;
	uint64_t value_two;
	char *op; /* "SCMP_CMP_EQ"... checked by the seccomp module */
};

struct spec_seccomp_syscall {
	char **names;
	char *action; /* "SCMP_ACT_ERRNO"... checked by the seccomp module */
	bool has_errno_ret;
	uint32_t errno_ret;
	struct spec_seccomp_arg *args;
	size_t n_args;
};

struct spec_seccomp {
	char *default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	char **architectures; /* "SCMP_ARCH_X86_64"... */
	char **flags;         /* "SECCOMP_FILTER_FLAG_LOG"... */
	char *listener_path;  /* optional */
	struct spec_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct spec_time_offset {
	bool present;
	int64_t secs;
	uint32_t nanosecs;
};

struct spec_linux {
	struct spec_namespace *namespaces;
	size_t n_namespaces;
	struct spec_id_map *uid_mappings;
	size_t n_uid_mappings;
	struct spec_id_map *gid_mappings;
	size_t n_gid_mappings;
	struct spec_time_offset time_monotonic;
	struct spec_time_offset time_boottime;
	struct spec_device *devices;
	size_t n_devices;
	char *cgroups_path; /* optional */
	bool has_resources;
	struct spec_resources resources;
	struct spec_key_value *sysctl;
	size_t n_sysctl;
	struct spec_seccomp *seccomp; /* optional (NULL) */
	char *rootfs_propagation;     /* optional: "private", "rslave", "shared"... */
	char **masked_paths;
	char **readonly_paths;
	char *mount_label; /* optional */
	bool has_personality;
	unsigned long personality; /* PER_LINUX (0) or PER_LINUX32 (8) */
};

struct spec {
	char *oci_version;
	char *root_path; /* as written; relative paths are relative to the bundle */
	bool root_readonly;
	bool has_process;
	struct spec_process process;
	char *hostname;   /* optional */
	char *domainname; /* optional */
	struct spec_mount *mounts;
	size_t n_mounts;
	struct spec_hooks hooks;
	struct spec_key_value *annotations;
	size_t n_annotations;
	bool has_linux;
	struct spec_linux linux;
};

/*
 * Parses a config.json buffer. Unknown keys are ignored (as the spec says); wrong types,
 * missing required fields and values over the limits fail with a message naming the field,
 * e.g. "process.args[2]: expected a string".
 */
int spec_parse(const char *buf, size_t len, struct spec **ret, struct hutch_err *err);
/* Reads <bundle>/config.json (capped at SPEC_MAX_FILE_SIZE) and parses it. */
int spec_load_bundle(const char *bundle, struct spec **ret, struct hutch_err *err);
void spec_free(struct spec *s);
static inline void spec_freep(struct spec **s)
{
	if (*s)
		spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(spec_freep)))

/* Parses a process.json (runc exec --process) into *ret (zeroed first, and again on failure). */
int spec_process_parse(const char *buf, size_t len, struct spec_process *ret,
		       struct hutch_err *err);
void spec_process_release(struct spec_process *p);

/*
 * Parses a LinuxResources JSON object (runc update --resources) into *ret (reset first: zero,
 * with every int64 SPEC_UNSET). On failure *ret is left reset.
 */
int spec_resources_parse(const char *buf, size_t len, struct spec_resources *ret,
			 struct hutch_err *err);
void spec_resources_release(struct spec_resources *r);

/*
 * Semantic checks that need the whole spec: required process fields when the container will
 * run, absolute mount destinations, namespace types unique, user namespace present when
 * mappings are given, and so on. spec_parse() calls it; a hand-built spec should too.
 */
int spec_validate(const struct spec *s, struct hutch_err *err);

/* Capability names as the spec writes them ("CAP_SYS_ADMIN") ↔ numbers: -1 / NULL when
 * unknown. The one table of them in hutch. */
int spec_cap_from_name(const char *name);
const char *spec_cap_name(int cap);

/* The value of an annotation, or NULL. */
const char *spec_annotation(const struct spec *s, const char *key);
/* Appends an annotation (copies both strings); -ENOMEM. */
int spec_annotation_add(struct spec *s, const char *key, const char *value);

/* Finds a namespace entry by CLONE_NEW* type, or NULL. */
const struct spec_namespace *spec_find_namespace(const struct spec *s, int type);

/* A default config.json as `runc spec` writes it (busybox "sh", terminal true); heap string. */
char *spec_default_json(bool rootless);
