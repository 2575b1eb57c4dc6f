/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path rules → the sandbox's mounts and pathfs servers (see rules-plan.c for which
 * mechanism enforces what, and why).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "rules/rules.h"
#include "spec/spec.h"

/* The spec annotation carrying the plan (JSON) from the spec builder to sandbox_start()
 * and to inspect. */
#define RULES_ANNOTATION "run.hutch.rules"
/* A FUSE anchor's mount source until sandbox_start() has its server's mount:
 * "pathfs:<index of the server>". */
#define RULES_PATHFS_SOURCE "pathfs:"
/* A rule's bind mount source until sandbox_start() has opened it safely (rules-source.c):
 * "rulebind:<index into the annotation's binds>". */
#define RULES_BIND_SOURCE "rulebind:"

/* layout: nothing to do; mount: a bind or an empty tmpfs; fuse: a pathfs server;
 * shadowed: another rule decides everywhere this one would. */
enum rule_mech { RULE_MECH_LAYOUT, RULE_MECH_MOUNT, RULE_MECH_FUSE, RULE_MECH_SHADOWED };

/* One pathfs server: the directory it serves and where its content comes from. */
struct rules_server {
	char *anchor;               /* sandbox path */
	char *source;               /* host path (for people: base + rel) */
	char *base, *rel;           /* what rules_open_source() opens */
	bool host_root;             /* rel is in the host root, base is "/" */
	char *region_dst;           /* the layout mount it serves within ("/" the root) */
	enum rule_access fallback;  /* the layout's access there */
	bool idmap;                 /* seen through the region's id mapping (the workspace's) */
	struct spec_id_map idmap_uid, idmap_gid;
	uint64_t quota_bytes;       /* the workspace quota, on the server of /work */
};

/* A rule's bind mount, as read back from the annotation. */
struct rules_bind {
	char *base, *rel;
	bool host_root;
};

struct rules_plan {
	struct rule_set rules;
	size_t n_rules;
	enum rule_mech *mech; /* per rule */
	char **at;            /* per rule: the mount target or the serving anchor (or NULL) */
	struct rules_server *servers;
	size_t n_servers;
	bool empty_root; /* default none: the root shows only what rules allow */
	char **hides;    /* host paths of touched regions' sources, covered in the root */
	char **warnings; /* for people: rules that do not do what they may seem to */
	struct rules_bind *binds; /* only from rules_plan_from_spec() */
	size_t n_binds;
};

const char *rule_mech_name(enum rule_mech m);

/* The deepest of the first n_layout mounts of the spec holding path; NULL: the root. */
const struct spec_mount *rules_region_of(const struct spec *s, size_t n_layout, const char *path);

/* Plans the rules (texts in the rules.h one-line form) against the first n_layout mounts
 * of the spec (the layout: root, system mounts, /work, --mount, --tmpfs). */
int rules_plan_make(const struct spec *s, size_t n_layout, char *const *texts,
		    const char *default_access, int64_t workspace_quota, struct rules_plan *ret,
		    struct hutch_err *err);
void rules_plan_release(struct rules_plan *p);

/* Adds the plan's mounts to the spec (then orders all mounts by depth, parents first) and
 * its annotation. */
int rules_plan_apply(struct spec *s, const struct rules_plan *p, struct hutch_err *err);

/* The annotation back: the rules and the servers (mech/at are not read back). */
int rules_plan_from_spec(const struct spec *s, struct rules_plan *ret, struct hutch_err *err);

/* Opens base/rel for a rule without following a symlink the sandbox could have planted
 * (rules-source.c); an O_PATH fd. */
int rules_open_source(const char *base, const char *rel, bool host_root, struct hutch_err *err);

/* For inspect: the annotation as JSON ({"default", "rules": [{rule, enforced_by, at}],
 * "servers": [...]}), or NULL if the sandbox has no rules. */
const char *rules_plan_annotation(const struct spec *s);
/* The plan's warnings (see warn_glob_overridden), a heap strv, or NULL. */
char **rules_plan_warnings(const struct spec *s);
