/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path permission rules: {pattern, kind, access, priority}, evaluated on sandbox paths.
 *
 * A rule matches a path by its kind:
 *   file       the path is the pattern;
 *   directory  the path is the pattern or lies beneath it;
 *   glob       the pattern (with '*' inside one component, '**' for any number of
 *              components, '?', '[...]') matches the path or one of its ancestors, so
 *              a glob that matches a directory covers what is inside it.
 * Among the rules that match, the one that decides is: the highest priority; then the
 * more specific kind (file over directory over glob); then the longer pattern; then the
 * later rule. No rule matching → the rule set's default access (RULE_ACCESS_LAYOUT: what
 * the mount layout gives, read-only host root and a writable workspace).
 *
 * A path beneath a directory that a rule hides (none) stays hidden, whatever rules say for
 * it: nothing can reach it (to open a way in, give the directory view and hide the rest).
 *
 * Access levels, each including the ones before it:
 *   none   the path does not exist for the sandbox (ENOENT, not listed);
 *   view   stat and listing, no content;
 *   read   reading content (and executing it);
 *   write  creating, modifying, deleting, renaming.
 *
 * Patterns are absolute sandbox paths, normalised (no '.', '..' or repeated '/'); a
 * relative pattern is taken relative to the workspace (/work). Rules are matched on paths
 * as the sandbox names them: they apply to paths that do not exist yet.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define RULES_MAX 1024
#define RULE_PATTERN_MAX 4096
/* The priority of the rules a default access makes: below any a user can give. */
#define RULE_PRIORITY_DEFAULT INT32_MIN

enum rule_kind { RULE_GLOB, RULE_DIRECTORY, RULE_FILE, RULE_KIND_AUTO };
enum rule_access { RULE_ACCESS_NONE, RULE_ACCESS_VIEW, RULE_ACCESS_READ, RULE_ACCESS_WRITE,
		   RULE_ACCESS_LAYOUT };

struct rule {
	char *pattern; /* normalised absolute sandbox path or glob */
	enum rule_kind kind;
	enum rule_access access;
	int32_t priority;
};

struct rule_set {
	struct rule *rules;
	size_t n;
	enum rule_access default_access; /* RULE_ACCESS_LAYOUT unless configured */
};

const char *rule_kind_name(enum rule_kind k);
const char *rule_access_name(enum rule_access a);
int rule_kind_from_name(const char *name, enum rule_kind *ret);
int rule_access_from_name(const char *name, enum rule_access *ret);

/* Normalises a pattern in place into buf: relative → under /work, '.'/'..'/'//' handled
 * ('..' is refused: a pattern must say where it points). */
int rule_normalise(const char *in, char *buf, size_t size, struct hutch_err *err);

/* Adds a rule (pattern normalised, copied). RULE_KIND_AUTO: glob if the pattern has a
 * wildcard, else directory (resolved later against the host by rules_resolve_kinds). */
int rule_set_add(struct rule_set *s, const char *pattern, enum rule_kind kind,
		 enum rule_access access, int32_t priority, struct hutch_err *err);
/* "PATTERN" for the flags --allow-read / --allow-write / --deny / --allow-view. */
int rule_set_add_flag(struct rule_set *s, const char *flag, const char *arg, struct hutch_err *err);
/* A rules file or a config value: either an array of rule objects or
 * {"default": ACCESS, "rules": [...]}; a rule object is
 * {"pattern": P, "access": A, "kind": K (optional, auto), "priority": N (optional, 0)}. */
int rule_set_add_json(struct rule_set *s, const char *json, size_t len, const char *what,
		      struct hutch_err *err);
int rule_set_add_file(struct rule_set *s, const char *path, struct hutch_err *err);
void rule_set_release(struct rule_set *s);

/* True if the glob (normalised) matches the path exactly. */
bool rule_glob_match(const char *glob, const char *path);
/* True if the rule matches the path (see the kinds above). */
bool rule_matches(const struct rule *r, const char *path);
/* The rule deciding for a path, or NULL (then the default applies). */
const struct rule *rule_set_decide(const struct rule_set *s, const char *path);
/* The access for a path; `fallback` stands for RULE_ACCESS_LAYOUT (the layout's access
 * at that place). */
enum rule_access rule_set_access(const struct rule_set *s, const char *path,
				 enum rule_access fallback);
/* True if the glob matches dir, an ancestor of it, or could match something beneath it. */
bool rule_glob_reaches(const char *glob, const char *dir);
/* True if a file or directory rule lies strictly beneath `dir`, or a glob could match
 * something strictly beneath it (conservative: a glob with '**' before its last component
 * reaches beneath every directory it can enter): renaming `dir` could move paths out from
 * under their rules. */
bool rule_set_has_rules_below(const struct rule_set *s, const char *dir);

/* The one-line form used by flags, config files and settings:
 * "ACCESS[:KIND][:PRIORITY]:PATTERN", e.g. "none:glob:10:/work/secret*", "read:/etc/ssl". */
int rule_set_add_text(struct rule_set *s, const char *text, struct hutch_err *err);
/* The same form for a rule (always with kind and priority). Heap string. */
char *rule_to_text(const struct rule *r);
