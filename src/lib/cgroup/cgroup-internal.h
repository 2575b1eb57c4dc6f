/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the cgroup module, shared by its files and by the unit tests.
 *
 * The host's layout (which hierarchies exist, where each is mounted, where this process sits in
 * each) is a struct cgroup_layout. Production code loads it once per process from
 * /proc/self/mountinfo and /proc/self/cgroup; tests build one from fake files that describe a
 * temp directory, so every code path above the layout runs unchanged against a fake tree.
 */
#pragma once

#include <stdarg.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "macro.h"

/* Hard limits: the layout and paths come from the kernel or the spec, but stay bounded. */
#define CG_MAX_HIER 32		    /* hierarchies we track */
#define CG_MAX_PATH 1024	    /* bytes of a cgroups path */
#define CG_MAX_DEPTH 32		    /* components of a cgroups path */
#define CG_MAX_PROC_FILE (4u << 20) /* mountinfo / cgroup file cap */
#define CG_MAX_PIDS (1u << 20)	    /* pids listed by cgroup_pids */
#define CG_MAX_WALK_DEPTH 64	    /* nesting of sub-cgroups walked */

struct cg_hier {
	char *ctrls;	/* "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
	char *mnt;	/* absolute mount point on the host */
	char *mnt_root; /* the mount's root inside the hierarchy ("/" normally) */
	char *own;	/* this process's cgroup in the hierarchy (/proc/self/cgroup) */
	bool v2;
};

struct cgroup_layout {
	enum cgroup_mode mode;
	char *root; /* the sysfs root, "/sys/fs/cgroup" */
	size_t n;
	struct cg_hier h[CG_MAX_HIER];
	int v2_idx; /* index of the cgroup2 hierarchy, -1 if none */
};

struct cgroup {
	const struct cgroup_layout *lay; /* not owned: cached per process, or the test's */
	char *name;			 /* the cgroups path as resolved, for messages */
	char *dir[CG_MAX_HIER];		 /* absolute directory per hierarchy, NULL if absent */
	int fd[CG_MAX_HIER];		 /* O_PATH|O_DIRECTORY fd per hierarchy, -1 if absent */
	bool created[CG_MAX_HIER];	 /* we made the leaf directory */
};

/* Layout: parse from text (pure, fuzzed), load from files, free. */
int cg_layout_parse(const char *root, const char *mountinfo, const char *self_cgroup,
		    struct cgroup_layout **ret, struct hutch_err *err);
int cg_layout_load(const char *root, const char *mountinfo_path, const char *self_cgroup_path,
		   struct cgroup_layout **ret, struct hutch_err *err);
void cg_layout_free(struct cgroup_layout *lay);
/* The process-wide layout for root (NULL: /sys/fs/cgroup), loaded on first use. */
int cg_layout_get(const char *root, const struct cgroup_layout **ret, struct hutch_err *err);
/* Index of the hierarchy holding controller ctrl ("memory", "name=systemd"); -1 if none. */
int cg_layout_find(const struct cgroup_layout *lay, const char *ctrl);
/* Detection from a mountinfo file instead of statfs (fake trees). */
int cgroup_detect_mountinfo(const char *root, const char *mountinfo_path, enum cgroup_mode *ret,
			    struct hutch_err *err);

/*
 * Resolves a spec cgroupsPath (NULL: /hutch/<id>) to a normalized path; *ret_relative says
 * whether it is relative to the runtime's own cgroup. Rejects ".." and ids with '/'.
 */
int cg_resolve_path(const char *cgroups_path, const char *container_id, char **ret,
		    bool *ret_relative, struct hutch_err *err);

/* create/open with an explicit layout (the cgroup does not own it). */
int cgroup_create_some_in(const struct cgroup_layout *lay, const char *cgroups_path,
			  const char *container_id, const struct spec_resources *res,
			  const char *controllers, struct cgroup **ret, struct hutch_err *err);
int cgroup_create_in(const struct cgroup_layout *lay, const char *cgroups_path,
		     const char *container_id, const struct spec_resources *res,
		     struct cgroup **ret, struct hutch_err *err);
int cgroup_open_in(const struct cgroup_layout *lay, const char *cgroups_path,
		   const char *container_id, struct cgroup **ret, struct hutch_err *err);

/* The fd of the container's dir in the hierarchy serving ctrl; -1 if none. In hybrid mode
 * controllers come from v1 only; "" names the cgroup2 hierarchy. */
int cg_fd(const struct cgroup *cg, const char *ctrl);

/* Knob I/O relative to a dir fd. Writes are one write(2) per value; errors name the knob. */
int cg_write(const struct cgroup *cg, int dirfd, const char *knob, const char *val,
	     struct hutch_err *err);
/* cg_writef with a va_list. */
int cg_vwritef(const struct cgroup *cg, int dirfd, const char *knob, struct hutch_err *err,
	       const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
int cg_writef(const struct cgroup *cg, int dirfd, const char *knob, struct hutch_err *err,
	      const char *fmt, ...) _printf_(5, 6);
/* For multi-line knobs (devices.allow, io.max): open once, then one write(2) per line. */
int cg_open_knob(const struct cgroup *cg, int dirfd, const char *knob, struct hutch_err *err);
int cg_put(const struct cgroup *cg, int fd, const char *knob, const char *val,
	   struct hutch_err *err);
/* cg_put of one line ("val\n", as echo writes it): for lists the kernel reads line by line. */
int cg_putln(const struct cgroup *cg, int fd, const char *knob, const char *val,
	     struct hutch_err *err);
/* Reads a small knob into buf (NUL-terminated, trailing newline kept). Returns length or -errno. */
ssize_t cg_read(int dirfd, const char *knob, char *buf, size_t size);
/* Reads a knob holding one number ("max" gives UINT64_MAX). */
int cg_read_u64(int dirfd, const char *knob, uint64_t *ret);
/* Finds "key N" in a flat keyed file (cpu.stat, memory.events, oom_control). */
int cg_read_keyed(int dirfd, const char *knob, const char *key, uint64_t *ret);

/* Per-version resource application and statistics. */
int cg_v1_apply(struct cgroup *cg, const struct spec_resources *res, struct hutch_err *err);
int cg_v1_cpuset_copy_down(struct cgroup *cg, int idx, struct hutch_err *err);
int cg_v1_stats(struct cgroup *cg, struct cgroup_stats *st);
int cg_v2_apply(struct cgroup *cg, const struct spec_resources *res, struct hutch_err *err);
int cg_v2_enable_controllers(struct cgroup *cg, struct hutch_err *err);
int cg_v2_stats(struct cgroup *cg, struct cgroup_stats *st);
/* Fails with a clear message when the spec asks for ctrl and the host has no such hierarchy. */
int cg_need(const struct cgroup *cg, const char *ctrl, const char *what, struct hutch_err *err);
/* "2MB", "1GB", "64KB": a hugetlb page size as the kernel names its files. */
bool cg_valid_page_size(const char *s);
/* The cpu.weight for v1 cpu.shares, and io.weight for v1 blkio.weight. */
uint64_t cg_shares_to_weight(uint64_t shares);
uint64_t cg_blkio_to_io_weight(uint64_t w);

/* eBPF device filter (cgroup-bpf.c). */
struct bpf_insn;
#define CG_BPF_MAX_INSNS 4096
/* Builds the program for rules (last matching rule wins, default deny). *ret is malloc'd. */
int cg_bpf_devices_build(const struct spec_device_rule *rules, size_t n, struct bpf_insn **ret,
			 size_t *ret_n, struct hutch_err *err);
/* Loads it and attaches it to the cgroup2 dir fd with BPF_F_ALLOW_MULTI, replacing older ones. */
int cg_bpf_devices_attach(int dirfd, const struct spec_device_rule *rules, size_t n,
			  struct hutch_err *err);
