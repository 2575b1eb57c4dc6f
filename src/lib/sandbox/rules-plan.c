/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Path rules → the sandbox's mounts. Each rule is enforced by the cheapest mechanism that
 * expresses it exactly, chosen here and recorded for `hutch inspect`:
 *
 *   mount   read or write on an existing file or directory: a bind mount of the same host
 *           path, read-only or read-write, stacked in path order so deeper rules win;
 *           none on a top-level directory of the host root or on a mount point (/work):
 *           an empty read-only tmpfs over it (its name stays listed in the parent, which
 *           is a mount point we cannot rewrite; nothing inside can be seen or created);
 *   fuse    everything else: none (ENOENT, unlisted), view, globs, paths that do not exist
 *           yet. A pathfs server (src/lib/pathfs) serves the rule's anchor directory and
 *           decides every request by all the rules; rules beneath an anchor are all
 *           enforced by it. In a writable region (/work, a --mount) the anchor is the
 *           region itself, so no directory above a rule can be renamed around the server;
 *           in the read-only host root it is the glob's literal prefix or the path's
 *           parent. One server per layout region;
 *   layout  nothing to do: the mount layout already gives that (e.g. hiding a path that
 *           does not exist in the read-only host root, where nothing can create it);
 *   shadowed another rule decides wherever this one would, or the path lies beneath a
 *           directory a rule hides.
 *
 * Wherever rules touch a region, its host source path is covered in the sandbox's root
 * too (hide_sources): the read-only host root would otherwise show it unruled.
 *
 * Landlock is not used for rules: its grants are inherited by everything beneath a
 * directory, so it cannot take access away under an allowed directory, and it denies with
 * EACCES where `none` must look like ENOENT.
 *
 * The plan travels with the spec as the annotation RULES_ANNOTATION (JSON), so that
 * sandbox_start() can start the pathfs servers and inspect can report the mechanisms.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "path.h"
#include "rules/rules.h"
#include "sandbox/rules-plan.h"
#include "strv.h"

/* Where a sandbox path comes from: a bind mount's host source, or the root. */
struct place {
	const struct spec_mount *region; /* NULL: the root */
	const char *region_dst;          /* "/" for the root */
	char *host;                      /* host path of the sandbox path */
	bool writable;
};

static bool has_option(const struct spec_mount *m, const char *opt)
{
	return strv_contains(m->options, opt);
}

static void place_release(struct place *p)
{
	free(p->host);
}

const struct spec_mount *rules_region_of(const struct spec *s, size_t n_layout, const char *path)
{
	const struct spec_mount *best = NULL;
	for (size_t i = 0; i < n_layout; i++)
		if (path_is_under(path, s->mounts[i].destination) &&
		    (!best || strlen(s->mounts[i].destination) >= strlen(best->destination)))
			best = &s->mounts[i];
	return best;
}

static const char *region_dst(const struct spec_mount *region)
{
	return region ? region->destination : "/";
}

/* The layout mount a sandbox path lies in (the deepest), and its host path. */
static int find_place(const struct spec *s, size_t n_layout, const char *path, struct place *ret,
		      struct hutch_err *err)
{
	const struct spec_mount *best = rules_region_of(s, n_layout, path);
	*ret = (struct place){ .region = best, .region_dst = region_dst(best) };
	const char *rest = path + (best ? strlen(best->destination) : 0);
	if (!best) {
		/* The host root, also when default none replaces it by an empty root that
		 * shows only what rules allow (a bind of the same host path). */
		if (strcmp(s->root_path, "/") != 0)
			return err_set(err, ENOTSUP, "rules under the copy-on-write --rootfs are not "
				       "supported (only under /work and --mount paths)");
		ret->host = strdup(path);
		ret->writable = !s->root_readonly;
	} else if (best->type && strcmp(best->type, "bind") == 0 && best->source) {
		if (strcmp(best->destination, "/dev/.hutch-agent") == 0)
			return err_set(err, EPERM, "rules cannot apply to hutch's own agent");
		ret->host = *rest ? path_join(best->source, rest) : strdup(best->source);
		ret->writable = !has_option(best, "ro");
	} else {
		return err_set(err, ENOTSUP, "'%s' is a %s inside the sandbox: rules apply to the "
			       "host root, /work and --mount paths", best->destination,
			       best->type ? best->type : "mount");
	}
	return ret->host ? 0 : err_set(err, ENOMEM, "out of memory");
}

/* The directory of a rule's target that a pathfs server would serve: the glob's literal
 * prefix or the target's parent, raised to the nearest directory that exists on the host,
 * not above the target's layout region. */
static char *anchor_of(const struct rule *r, const struct place *pl)
{
	char *a = strdup(r->pattern);
	if (!a)
		return NULL;
	if (r->kind == RULE_GLOB) {
		char *wild = a + strcspn(a, "*?[");
		*wild = '\0';
	}
	char *slash = strrchr(a, '/');
	if (slash)
		*(slash == a ? slash + 1 : slash) = '\0';
	/* Up to an existing directory: map through the host path of the region. */
	for (;;) {
		if (strlen(a) <= strlen(pl->region_dst))
			break;
		const char *rest = a + strlen(pl->region_dst);
		_cleanup_free_ char *host = path_join(pl->region ? pl->region->source : "/", rest);
		struct stat st; /* lstat: a symlink is not a directory to serve (rules-source.c) */
		if (host && lstat(host, &st) == 0 && S_ISDIR(st.st_mode))
			break;
		slash = strrchr(a, '/');
		*(slash == a ? slash + 1 : slash) = '\0';
	}
	if (strlen(a) < strlen(pl->region_dst)) {
		free(a);
		a = strdup(pl->region_dst);
	}
	return a;
}

struct planned {
	enum rule_mech mech;
	char *at; /* fuse: anchor; mount: target */
};

/* Decides one rule's mechanism (kinds already resolved). */
/* Does a rule that shows something (view or more) hold a directory above path? */
static bool enclosed(const struct rule_set *rs, const char *path)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *o = &rs->rules[i];
		if (o->kind == RULE_DIRECTORY && o->access >= RULE_ACCESS_VIEW &&
		    path_is_under(path, o->pattern) && strcmp(o->pattern, path) != 0)
			return true;
	}
	return false;
}

/*
 * empty_parent: the target's parent is a directory of the sandbox's own (the empty root
 * of default none, with nothing from the host in it): an allowed path there is a mount
 * point of its own, and a hidden one is hidden already.
 */
static int plan_rule(const struct rule *r, const struct place *pl, bool empty_parent,
		     struct planned *ret, struct hutch_err *err)
{
	struct stat st;
	bool exists = r->kind != RULE_GLOB && stat(pl->host, &st) == 0;
	bool region_root = strcmp(r->pattern, pl->region_dst) == 0;
	bool top_level = !pl->region && (empty_parent || strchr(r->pattern + 1, '/') == NULL);
	*ret = (struct planned){ 0 };
	if (empty_parent && r->kind != RULE_GLOB && r->access == RULE_ACCESS_NONE)
		return ret->mech = RULE_MECH_LAYOUT, 0;
	if (r->kind != RULE_GLOB && !exists && !pl->writable) {
		/* Nothing can create it in a read-only place: the layout already holds. */
		if (r->access <= RULE_ACCESS_READ)
			return ret->mech = RULE_MECH_LAYOUT, 0;
	}
	if (r->kind != RULE_GLOB && exists && r->access < RULE_ACCESS_READ &&
	    (region_root || top_level) && !S_ISDIR(st.st_mode))
		return err_set(err, ENOTSUP, "a file at the top of the host root or a mount point "
			       "cannot be hidden; give a rule for what contains it");
	if (r->kind != RULE_GLOB && exists && r->access >= RULE_ACCESS_READ) {
		ret->mech = RULE_MECH_MOUNT;
	} else if (r->kind != RULE_GLOB && exists && r->access == RULE_ACCESS_NONE &&
		   (region_root || top_level)) {
		ret->mech = RULE_MECH_MOUNT; /* an empty tmpfs over it */
	} else if (r->kind != RULE_GLOB && exists && (region_root || top_level)) {
		ret->mech = RULE_MECH_FUSE; /* view: served at the path itself */
		ret->at = strdup(r->pattern);
		return ret->at ? 0 : err_set(err, ENOMEM, "out of memory");
	} else {
		/* In a writable place the server takes the whole region (the workspace, a
		 * --mount): a rename of any directory on the way to the rule then goes through
		 * it and meets the rename guard; a server at the rule's parent would leave the
		 * directories above it to a plain bind mount. */
		ret->mech = RULE_MECH_FUSE;
		ret->at = pl->writable ? strdup(pl->region_dst) : anchor_of(r, pl);
		if (!ret->at)
			return err_set(err, ENOMEM, "out of memory");
		if (strcmp(ret->at, "/") == 0)
			return err_set(err, EINVAL, "this rule would need the whole root served "
				       "through FUSE: start a glob below a top-level directory "
				       "(e.g. /work/**/*.pem), or give an existing directory");
		return 0;
	}
	ret->at = strdup(r->pattern);
	return ret->at ? 0 : err_set(err, ENOMEM, "out of memory");
}

static void server_release(struct rules_server *sv)
{
	free(sv->anchor);
	free(sv->source);
	free(sv->base);
	free(sv->rel);
	free(sv->region_dst);
}

void rules_plan_release(struct rules_plan *p)
{
	for (size_t i = 0; i < p->n_rules; i++)
		free(p->at[i]);
	free(p->at);
	free(p->mech);
	for (size_t i = 0; i < p->n_servers; i++)
		server_release(&p->servers[i]);
	free(p->servers);
	strv_free(p->hides);
	strv_free(p->warnings);
	for (size_t i = 0; i < p->n_binds; i++) {
		free(p->binds[i].base);
		free(p->binds[i].rel);
	}
	free(p->binds);
	rule_set_release(&p->rules);
	*p = (struct rules_plan){ 0 };
}

static int add_server(struct rules_plan *p, const char *anchor, const struct place *pl)
{
	for (size_t i = 0; i < p->n_servers; i++)
		if (strcmp(p->servers[i].anchor, anchor) == 0)
			return 0;
	struct rules_server *n = realloc(p->servers, (p->n_servers + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->servers = n;
	const char *rest = anchor + strlen(pl->region_dst);
	struct rules_server *sv = &p->servers[p->n_servers];
	*sv = (struct rules_server){
		.anchor = strdup(anchor),
		.source = *rest ? path_join(pl->region ? pl->region->source : "/", rest)
				: strdup(pl->region ? pl->region->source : "/"),
		.fallback = pl->writable ? RULE_ACCESS_WRITE : RULE_ACCESS_READ,
		.base = strdup(pl->region ? pl->region->source : "/"),
		.rel = strdup(rest + (*rest == '/')),
		.host_root = !pl->region,
		.region_dst = strdup(pl->region_dst),
	};
	if (pl->region && pl->region->n_uid_mappings && pl->region->n_gid_mappings) {
		sv->idmap = true;
		sv->idmap_uid = pl->region->uid_mappings[0];
		sv->idmap_gid = pl->region->gid_mappings[0];
	}
	p->n_servers++;
	return sv->anchor && sv->source && sv->base && sv->rel && sv->region_dst ? 0 : -ENOMEM;
}

/* A workspace quota: /work is served by pathfs, which counts what the sandbox adds. */
static int add_quota_server(const struct spec *s, size_t n_layout, struct rules_plan *p,
			    int64_t quota, struct hutch_err *err)
{
	struct place pl;
	int r = find_place(s, n_layout, "/work", &pl, err);
	if (r >= 0 && (!pl.region || strcmp(pl.region_dst, "/work") != 0))
		r = err_set(err, EINVAL, "--workspace-quota: the sandbox has no workspace");
	if (r >= 0 && add_server(p, "/work", &pl) < 0)
		r = err_set(err, ENOMEM, "out of memory");
	place_release(&pl);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->n_servers; i++)
		if (strcmp(p->servers[i].anchor, "/work") == 0)
			p->servers[i].quota_bytes = (uint64_t)quota;
	return 0;
}

/*
 * A path beneath a directory that a rule hides (none) stays hidden, whatever rules say for
 * it: nothing can reach it. (The pathfs server answers ENOENT at the hidden directory; an
 * empty tmpfs over it has no room for mount points.) Such rules are shadowed. The default
 * access is not a rule here: with default none the root is made of allowed paths.
 */
static bool under_hidden(const struct rules_plan *p, const char *path)
{
	char anc[RULE_PATTERN_MAX + 8];
	snprintf(anc, sizeof(anc), "%s", path);
	for (char *slash = strrchr(anc, '/'); slash && slash != anc; slash = strrchr(anc, '/')) {
		*slash = '\0';
		const struct rule *d = rule_set_decide(&p->rules, anc);
		if (d && d->access == RULE_ACCESS_NONE && d->priority != RULE_PRIORITY_DEFAULT)
			return true;
	}
	return false;
}

static void shadow_hidden(struct rules_plan *p)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct rule *r = &p->rules.rules[i];
		if (r->kind != RULE_GLOB && r->access > RULE_ACCESS_NONE && under_hidden(p, r->pattern) &&
		    p->mech[i] == RULE_MECH_MOUNT)
			p->mech[i] = RULE_MECH_SHADOWED;
	}
}

/*
 * At equal priority a file or directory rule beats a glob (rules.h): with --deny of a
 * '.pem' glob and --allow-read docs, docs/x.pem is readable. That is the documented order,
 * and a surprise: say so when a glob would take away more than a file or directory rule of
 * the same priority gives where both can apply.
 */
static int warn_glob_overridden(struct rules_plan *p)
{
	for (size_t i = 0; i < p->rules.n; i++) {
		const struct rule *g = &p->rules.rules[i];
		if (g->kind != RULE_GLOB || g->priority == RULE_PRIORITY_DEFAULT)
			continue;
		for (size_t j = 0; j < p->rules.n; j++) {
			const struct rule *d = &p->rules.rules[j];
			if (d->kind == RULE_GLOB || d->priority != g->priority || d->access <= g->access ||
			    !rule_glob_reaches(g->pattern, d->pattern))
				continue;
			char *w = NULL;
			if (asprintf(&w, "rule '%s' (%s) does not apply inside '%s': a %s rule of the "
				     "same priority decides there (%s); give the glob a higher "
				     "priority (--rule %s:glob:1:%s) if it must hold", g->pattern,
				     rule_access_name(g->access), d->pattern, rule_kind_name(d->kind),
				     rule_access_name(d->access), rule_access_name(g->access),
				     g->pattern) < 0 || strv_consume(&p->warnings, w) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Two mount rules on one path (a rule over the default's, say): only the one that decides
 * there is mounted; the other is reported as shadowed. */
static void shadow_mounts(struct rules_plan *p)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		if (p->mech[i] != RULE_MECH_MOUNT)
			continue;
		const struct rule *d = rule_set_decide(&p->rules, p->at[i]);
		if (d && d != &p->rules.rules[i] && d->kind != RULE_GLOB)
			p->mech[i] = RULE_MECH_SHADOWED;
	}
}

/* An anchor inside another one of the same layout region is served by the outer server:
 * drop it. Across regions (a --mount inside /work) each keeps its own: the inner region's
 * mount lies over the outer server, which never sees what is in it. */
static void merge_servers(struct rules_plan *p)
{
	for (size_t i = 0; i < p->n_servers;) {
		bool inner = false;
		for (size_t j = 0; j < p->n_servers && !inner; j++)
			inner = j != i && path_is_under(p->servers[i].anchor, p->servers[j].anchor) &&
				strcmp(p->servers[j].anchor, p->servers[i].anchor) != 0 &&
				strcmp(p->servers[j].region_dst, p->servers[i].region_dst) == 0;
		if (!inner) {
			i++;
			continue;
		}
		server_release(&p->servers[i]);
		p->servers[i] = p->servers[--p->n_servers];
	}
}


/* The server of path's own region whose anchor holds it, or NULL. */
static const struct rules_server *server_for(const struct rules_plan *p, const struct spec *s,
					     size_t n_layout, const char *path)
{
	const char *region = region_dst(rules_region_of(s, n_layout, path));
	for (size_t i = 0; i < p->n_servers; i++)
		if (path_is_under(path, p->servers[i].anchor) && strcmp(p->servers[i].region_dst, region) == 0)
			return &p->servers[i];
	return NULL;
}

/* Resolves kind auto (file if the host has a non-directory there, else directory). */
static void resolve_kind(struct rule *r, const struct place *pl)
{
	struct stat st;
	if (r->kind == RULE_KIND_AUTO)
		r->kind = lstat(pl->host, &st) == 0 && !S_ISDIR(st.st_mode) ? RULE_FILE : RULE_DIRECTORY;
}

/*
 * A default access other than "layout" applies to what the layout takes from the host:
 *   the workspace and --mount paths get a rule at the lowest priority (any rule wins over
 *   it), enforced like any other;
 *   the host root can only be hidden: with default none the sandbox's root is an empty,
 *   read-only root showing nothing but what rules allow (each a bind of the same host
 *   path); view or write there cannot be had ('read' is what it is anyway).
 */
static int add_default_rules(const struct spec *s, size_t n_layout, struct rules_plan *p,
			     struct hutch_err *err)
{
	enum rule_access d = p->rules.default_access;
	if (d == RULE_ACCESS_LAYOUT)
		return 0;
	if (d == RULE_ACCESS_VIEW || d == RULE_ACCESS_WRITE)
		return err_set(err, ENOTSUP, "default access '%s': the host root can only be "
			       "hidden (none) or read (read); give rules for the paths instead",
			       rule_access_name(d));
	for (size_t i = 0; i < n_layout; i++) {
		const struct spec_mount *m = &s->mounts[i];
		if (!m->type || strcmp(m->type, "bind") != 0 ||
		    strcmp(m->destination, "/dev/.hutch-agent") == 0)
			continue;
		int r = rule_set_add(&p->rules, m->destination, RULE_DIRECTORY, d,
				     RULE_PRIORITY_DEFAULT, err);
		if (r < 0)
			return r;
	}
	p->empty_root = d == RULE_ACCESS_NONE && strcmp(s->root_path, "/") == 0;
	return 0;
}

/* Can the sandbox user walk down to path in the host root? (As root the sandbox's files
 * are "others" there; unprivileged, the sandbox is the caller.) */
static bool reachable(const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	for (char *slash = strrchr(p, '/'); slash; slash = strrchr(p, '/')) {
		*slash = '\0';
		const char *dir = *p ? p : "/";
		struct stat st;
		if (geteuid() == 0 ? stat(dir, &st) < 0 || !(st.st_mode & S_IXOTH)
				   : access(dir, X_OK) < 0)
			return false;
		if (!*p)
			break;
	}
	return true;
}

/*
 * The host root (read-only) also shows a bind region's source at its host path: with rules
 * on /work, /srv/proj/.env must not be readable as /srv/proj/.env. Each region that rules
 * or a server touch gets its host source covered by an empty tmpfs (mode 000) wherever the
 * sandbox's root shows it and the sandbox could walk to it.
 */
static int hide_sources(const struct spec *s, size_t n_layout, struct rules_plan *p,
			struct hutch_err *err)
{
	for (size_t i = 0; i < n_layout; i++) {
		const struct spec_mount *m = &s->mounts[i];
		if (!m->type || strcmp(m->type, "bind") != 0 || !m->source ||
		    strcmp(m->destination, "/dev/.hutch-agent") == 0 || strcmp(m->source, "/") == 0)
			continue;
		bool touched = false;
		for (size_t j = 0; j < p->rules.n && !touched; j++)
			touched = path_is_under(p->rules.rules[j].pattern, m->destination) ||
				  (p->rules.rules[j].kind == RULE_GLOB &&
				   strncmp(p->rules.rules[j].pattern, m->destination,
					   strlen(m->destination)) == 0);
		for (size_t j = 0; j < p->n_servers && !touched; j++)
			touched = strcmp(p->servers[j].region_dst, m->destination) == 0;
		if (!touched || rules_region_of(s, n_layout, m->source) ||
		    !reachable(m->source) || strv_contains(p->hides, m->source))
			continue;
		/* With default none the root shows only what rules allow. */
		const struct rule *d = rule_set_decide(&p->rules, m->source);
		if (p->empty_root && !(d && d->access >= RULE_ACCESS_VIEW))
			continue;
		if (strv_push(&p->hides, m->source) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int rules_plan_make(const struct spec *s, size_t n_layout, char *const *texts,
		    const char *default_access, int64_t workspace_quota, struct rules_plan *ret,
		    struct hutch_err *err)
{
	struct rules_plan p = { .rules.default_access = RULE_ACCESS_LAYOUT };
	int r = 0;
	if (default_access && rule_access_from_name(default_access, &p.rules.default_access) < 0)
		return err_set(err, EINVAL, "default access '%s': expected none, view, read, write "
			       "or layout", default_access);
	for (size_t i = 0; texts && texts[i] && r >= 0; i++)
		r = rule_set_add_text(&p.rules, texts[i], err);
	if (r >= 0)
		r = add_default_rules(s, n_layout, &p, err);
	p.mech = calloc(p.rules.n + 1, sizeof(*p.mech));
	p.at = calloc(p.rules.n + 1, sizeof(*p.at));
	if (r >= 0 && (!p.mech || !p.at))
		r = err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; r >= 0 && i < p.rules.n; i++) {
		struct rule *rule = &p.rules.rules[i];
		struct place pl;
		struct planned pd;
		char lit[RULE_PATTERN_MAX + 8];
		snprintf(lit, sizeof(lit), "%.*s", (int)strcspn(rule->pattern, "*?["), rule->pattern);
		r = find_place(s, n_layout, rule->kind == RULE_GLOB ? lit : rule->pattern, &pl, err);
		if (r >= 0) {
			resolve_kind(rule, &pl);
			bool empty_parent = p.empty_root && !pl.region &&
					    !enclosed(&p.rules, rule->pattern);
			r = plan_rule(rule, &pl, empty_parent, &pd, err);
			p.mech[i] = pd.mech;
			p.at[i] = pd.at;
		}
		if (r >= 0 && pd.mech == RULE_MECH_FUSE && add_server(&p, pd.at, &pl) < 0)
			r = err_set(err, ENOMEM, "out of memory");
		place_release(&pl);
		if (r < 0)
			r = err_prefix(err, "rule '%s'", rule->pattern);
		p.n_rules = i + 1;
	}
	if (r < 0) {
		rules_plan_release(&p);
		return r;
	}
	if (workspace_quota > 0 && (r = add_quota_server(s, n_layout, &p, workspace_quota, err)) < 0) {
		rules_plan_release(&p);
		return r;
	}
	merge_servers(&p);
	shadow_mounts(&p);
	shadow_hidden(&p);
	/* A mount rule inside a served directory: the server enforces it (with all the others
	 * that may reach there), a bind over the FUSE mount would bypass them. */
	for (size_t i = 0; i < p.n_rules; i++) {
		const struct rules_server *sv =
			p.mech[i] != RULE_MECH_LAYOUT ? server_for(&p, s, n_layout, p.at[i]) : NULL;
		if (!sv || strcmp(p.at[i], sv->anchor) == 0)
			continue;
		p.mech[i] = RULE_MECH_FUSE;
		free(p.at[i]);
		if (!(p.at[i] = strdup(sv->anchor))) {
			rules_plan_release(&p);
			return err_set(err, ENOMEM, "out of memory");
		}
	}
	if ((r = hide_sources(s, n_layout, &p, err)) < 0 ||
	    (r = warn_glob_overridden(&p) < 0 ? err_set(err, ENOMEM, "out of memory") : 0) < 0) {
		rules_plan_release(&p);
		return r;
	}
	*ret = p;
	return 0;
}

const char *rule_mech_name(enum rule_mech m)
{
	static const char *const names[] = { "layout", "mount", "fuse", "shadowed" };
	return m <= RULE_MECH_SHADOWED ? names[m] : "?";
}
