/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hutch ls and inspect. Both read records without the sandbox's lock (a record is replaced
 * by rename, never rewritten in place) so listing never waits for a slow stop.
 */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "engine/container.h"
#include "err.h"
#include "hutch.h"
#include "sandbox/rules-plan.h"
#include "sandbox/persist.h"
#include "sandbox/store.h"
#include "security/security.h"
#include "strv.h"

static struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static char *rfc3339(int64_t t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static struct json_object *labels_json(char *const *labels)
{
	struct json_object *o = json_object_new_object();
	for (size_t i = 0; labels && labels[i]; i++) {
		const char *eq = strchr(labels[i], '=');
		_cleanup_free_ char *k = eq ? strndup(labels[i], (size_t)(eq - labels[i])) : NULL;
		if (k)
			json_object_object_add(o, k, json_object_new_string(eq + 1));
	}
	return o;
}

/* What ls shows of a persistent sandbox. */
static struct json_object *entry_json(const struct sandbox_meta *m, enum sandbox_status st)
{
	char t[32];
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", jstr(m->id));
	json_object_object_add(o, "name", jstr(m->name));
	json_object_object_add(o, "status", jstr(sandbox_status_name(st)));
	json_object_object_add(o, "created", jstr(rfc3339(m->created, t)));
	json_object_object_add(o, "labels", labels_json(m->labels));
	json_object_object_add(o, "command", m->argv ? sandbox_strv_json(m->argv) : NULL);
	json_object_object_add(o, "exitCode", m->has_exit ? json_object_new_int(m->exit_code) : NULL);
	json_object_object_add(o, "ttl", json_object_new_int64(m->ttl));
	json_object_object_add(o, "expires", m->ttl ? jstr(rfc3339(m->created + m->ttl, t)) : NULL);
	json_object_object_add(o, "autoRemove", json_object_new_boolean(m->rm));
	json_object_object_add(o, "kind", jstr("persistent"));
	return o;
}

/* A `hutch run` sandbox, known only to the engine. */
static struct json_object *run_entry_json(const char *id)
{
	struct container_state cs;
	enum container_status st;
	if (container_load(g.root, id, &cs, &st, NULL) < 0)
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", jstr(id));
	_cleanup_free_ char *name = sandbox_name_of(g.root, id);
	json_object_object_add(o, "name", name ? jstr(name) : NULL);
	json_object_object_add(o, "status", jstr(st == STATUS_STOPPED ? "stopped" :
						  st == STATUS_CREATING ? "creating" : "running"));
	/* To the second, as a persistent sandbox's: the engine's has nanoseconds. */
	char created[64];
	snprintf(created, sizeof(created), "%s", cs.created ? cs.created : "");
	char *frac = strchr(created, '.');
	if (frac && strchr(frac, 'Z'))
		strcpy(frac, "Z");
	json_object_object_add(o, "created", jstr(created));
	json_object_object_add(o, "labels", json_object_new_object());
	json_object_object_add(o, "command", NULL);
	json_object_object_add(o, "kind", jstr("run"));
	container_state_release(&cs);
	return o;
}

static int load_at(const char *id, struct sandbox_meta *m)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", g.root, id);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : sandbox_meta_load(fd, m, NULL);
}

/* Every sandbox's entry, persistent or run, sorted by creation. NULL filters: all. */
static struct json_object *list_all(char *const *filters, bool all)
{
	struct json_object *arr = json_object_new_array();
	_cleanup_strv_ char **ids = NULL;
	DIR *d = opendir(g.root);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "sb-", 3))
			strv_push(&ids, de->d_name);
	if (d)
		closedir(d);
	for (size_t i = 0; ids && ids[i]; i++) {
		_cleanup_meta_ struct sandbox_meta m = { 0 };
		struct json_object *e = NULL;
		int r = load_at(ids[i], &m);
		if (r >= 0 && sandbox_meta_match(&m, filters))
			e = entry_json(&m, sandbox_live_status(g.root, ids[i]));
		else if (r == -ENOENT && !filters)
			e = run_entry_json(ids[i]);
		if (!e)
			continue;
		const char *st = json_object_get_string(json_object_object_get(e, "status"));
		if (!all && !strcmp(st, "stopped"))
			json_object_put(e);
		else
			json_object_array_add(arr, e);
	}
	return arr;
}

static int by_created(const void *a, const void *b)
{
	const char *x = json_object_get_string(json_object_object_get(*(struct json_object *const *)a, "created"));
	const char *y = json_object_get_string(json_object_object_get(*(struct json_object *const *)b, "created"));
	return strcmp(x ? x : "", y ? y : "");
}

static void print_table(struct json_object *arr)
{
	printf("%-16s %-16s %-8s %-20s %-24s %s\n", "ID", "NAME", "STATUS", "CREATED", "LABELS", "COMMAND");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *v;
		char labels[256] = "", cmd[256] = "";
		json_object_object_foreach(json_object_object_get(e, "labels"), k, lv)
			snprintf(labels + strlen(labels), sizeof(labels) - strlen(labels), "%s%s=%s",
				 labels[0] ? "," : "", k, json_object_get_string(lv));
		v = json_object_object_get(e, "command");
		for (size_t j = 0; v && j < json_object_array_length(v); j++)
			snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s%s", j ? " " : "",
				 json_object_get_string(json_object_array_get_idx(v, j)));
		const char *name = json_object_get_string(json_object_object_get(e, "name"));
		printf("%-16s %-16s %-8s %-20s %-24s %s\n",
		       json_object_get_string(json_object_object_get(e, "id")), name ? name : "-",
		       json_object_get_string(json_object_object_get(e, "status")),
		       json_object_get_string(json_object_object_get(e, "created")),
		       labels[0] ? labels : "-", cmd[0] ? cmd : "-");
	}
}

static const char ls_usage[] =
	"usage: hutch ls [-a] [--json] [-q] [--filter label=K[=V]]...\n\n"
	"Lists sandboxes: id, name, status, created, labels, command. Without -a only running\n"
	"ones. --json prints a JSON array (fields id, name, status, created, labels, command,\n"
	"exitCode, ttl, expires, autoRemove, kind); -q prints ids only.\n"
	"Exit codes: 0, 2 usage.\n";

int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },          { "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },        { "filter", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },         { 0 },
	};
	_cleanup_strv_ char **filters = NULL;
	bool all = false, json = false, quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "+aqh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(ls_usage, stdout);
			return 0;
		} else if (c == 'a' || c == 'j' || c == 'q') {
			*(c == 'a' ? &all : c == 'j' ? &json : &quiet) = true;
		} else if (c == 'f' && !strncmp(optarg, "label=", 6) && optarg[6] && optarg[6] != '=') {
			strv_push(&filters, optarg + 6);
		} else {
			if (c == 'f')
				log_error("ls: --filter: expected label=KEY[=VALUE], got '%s'", optarg);
			fputs(ls_usage, stderr);
			return HUTCH_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fputs(ls_usage, stderr);
		return HUTCH_EXIT_USAGE;
	}
	struct json_object *arr = list_all(filters, all);
	json_object_array_sort(arr, by_created);
	if (json)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (quiet)
		for (size_t i = 0; i < json_object_array_length(arr); i++)
			printf("%s\n", json_object_get_string(json_object_object_get(
					       json_object_array_get_idx(arr, i), "id")));
	else
		print_table(arr);
	json_object_put(arr);
	return 0;
}

/* ---- inspect ---- */

static const char *ns_name(int type)
{
	switch (type) {
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWNS: return "mount";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWNET: return "network";
	case CLONE_NEWCGROUP: return "cgroup";
	case CLONE_NEWTIME: return "time";
	default: return "?";
	}
}

/* The path rules and the mechanism enforcing each ({"default", "rules": [{"rule",
 * "enforced_by", "at"}], "servers"}), from the plan the spec carries. */
static struct json_object *rules_json(const struct spec *s)
{
	const char *text = rules_plan_annotation(s);
	struct json_object *o = text ? json_tokener_parse(text) : NULL;
	if (o)
		return o;
	o = json_object_new_object();
	json_object_object_add(o, "default", jstr("layout"));
	json_object_object_add(o, "rules", json_object_new_array());
	return o;
}

static struct json_object *mounts_json(const struct spec *s)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "destination", jstr(m->destination));
		json_object_object_add(o, "type", jstr(m->type));
		json_object_object_add(o, "source", jstr(m->source));
		json_object_object_add(o, "options", sandbox_strv_json(m->options));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *limits_json(const struct spec_resources *r)
{
	struct json_object *o = json_object_new_object();
	bool mem = r->has_memory && r->memory.limit > 0;
	json_object_object_add(o, "memoryBytes", mem ? json_object_new_int64(r->memory.limit) : NULL);
	bool cpu = r->has_cpu && r->cpu.quota > 0 && r->cpu.period > 0;
	json_object_object_add(o, "cpus", cpu ? json_object_new_double((double)r->cpu.quota / (double)r->cpu.period) : NULL);
	bool pids = r->pids_limit > 0;
	json_object_object_add(o, "pids", pids ? json_object_new_int64(r->pids_limit) : NULL);
	return o;
}

static struct json_object *caps_json(uint64_t mask)
{
	struct json_object *a = json_object_new_array();
	for (int c = 0; c < 64; c++)
		if (mask & (1ull << c))
			json_object_array_add(a, jstr(cap_to_spec_name(c) ? cap_to_spec_name(c) : "?"));
	return a;
}

/* The disk reserve guards given to the agent (--reserve BYTES,INODES:PATH, disk-reserve.h). */
static struct json_object *disk_guards_json(const struct spec *s)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; s->process.args && s->process.args[i]; i++) {
		const char *v = s->process.args[i + 1];
		unsigned long long bytes, inodes;
		int at = 0;
		if (strcmp(s->process.args[i], "--reserve") != 0 || !v ||
		    sscanf(v, "%llu,%llu:%n", &bytes, &inodes, &at) != 2 || !at)
			continue;
		struct json_object *guard = json_object_new_object();
		json_object_object_add(guard, "path", jstr(v + at));
		json_object_object_add(guard, "keepFreeBytes", json_object_new_int64((int64_t)bytes));
		json_object_object_add(guard, "keepFreeInodes", json_object_new_int64((int64_t)inodes));
		json_object_array_add(a, guard);
	}
	return a;
}

/* The effective settings: the spec the sandbox is (or would be) made from. */
static struct json_object *settings_json(const struct sandbox_meta *m)
{
	struct json_object *o = json_object_new_object();
	struct sandbox_opts so;
	_cleanup_spec_ struct spec *s = NULL;
	struct hutch_err err = { 0 };
	json_object_object_add(o, "options", json_object_get(m->opts));
	if (sandbox_opts_from_json(m->opts, &so, &err) < 0 || sandbox_build_spec(&so, &s, &err) < 0) {
		json_object_object_add(o, "error", jstr(err.msg));
		sandbox_opts_release(&so);
		return o;
	}
	struct json_object *ns = json_object_new_array();
	for (size_t i = 0; i < s->linux.n_namespaces; i++)
		json_object_array_add(ns, jstr(ns_name(s->linux.namespaces[i].type)));
	json_object_object_add(o, "namespaces", ns);
	json_object_object_add(o, "network", jstr(so.network_host ? "host" : "none (loopback only)"));
	json_object_object_add(o, "hostname", jstr(s->hostname));
	json_object_object_add(o, "rootReadOnly", json_object_new_boolean(s->root_readonly));
	json_object_object_add(o, "mounts", mounts_json(s));
	json_object_object_add(o, "maskedPaths", sandbox_strv_json(s->linux.masked_paths));
	json_object_object_add(o, "readonlyPaths", sandbox_strv_json(s->linux.readonly_paths));
	json_object_object_add(o, "limits", limits_json(&s->linux.resources));
	struct json_object *user = json_object_new_object();
	json_object_object_add(user, "uid", json_object_new_int64(s->process.user.uid));
	json_object_object_add(user, "gid", json_object_new_int64(s->process.user.gid));
	json_object_object_add(o, "user", user);
	json_object_object_add(o, "capabilities", caps_json(s->process.has_caps ? s->process.caps.bounding : 0));
	json_object_object_add(o, "noNewPrivileges", json_object_new_boolean(s->process.no_new_privileges));
	json_object_object_add(o, "seccomp", jstr(!so.seccomp ? "default (hutch)" : so.seccomp));
	json_object_object_add(o, "envAllowAdded", sandbox_strv_json(so.env_allow));
	json_object_object_add(o, "envBlockAdded", sandbox_strv_json(so.env_block));
	json_object_object_add(o, "envSet", sandbox_strv_json(so.env));
	json_object_object_add(o, "environment", sandbox_strv_json(m->env));
	json_object_object_add(o, "pathRules", rules_json(s));
	json_object_object_add(o, "diskReserve", disk_guards_json(s));
	sandbox_opts_release(&so);
	return o;
}

/* Live state: the agent's pid, every pid, resource usage from the cgroup. */
static struct json_object *state_json(const char *id, enum sandbox_status st)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "status", jstr(sandbox_status_name(st)));
	_cleanup_free_ char *eroot = sandbox_engine_root(g.root, id);
	struct container_state cs;
	enum container_status ces;
	if (st == SANDBOX_STOPPED || container_load(eroot, id, &cs, &ces, NULL) < 0)
		return o;
	json_object_object_add(o, "agentPid", json_object_new_int64(cs.pid));
	container_state_release(&cs);
	pid_t *pids = NULL;
	size_t n = 0;
	struct json_object *pa = json_object_new_array();
	if (container_pids(eroot, id, &pids, &n, NULL) >= 0)
		for (size_t i = 0; i < n; i++)
			json_object_array_add(pa, json_object_new_int64(pids[i]));
	free(pids);
	json_object_object_add(o, "pids", pa);
	struct cgroup_stats cg;
	if (container_stats(eroot, id, &cg, &ces, NULL) >= 0) {
		struct json_object *r = json_object_new_object();
		json_object_object_add(r, "memoryBytes", json_object_new_uint64(cg.memory_usage));
		json_object_object_add(r, "memoryMaxBytes", json_object_new_uint64(cg.memory_max_usage));
		json_object_object_add(r, "cpuNs", json_object_new_uint64(cg.cpu_usage_ns));
		json_object_object_add(r, "pids", json_object_new_uint64(cg.pids_current));
		json_object_object_add(r, "oomKills", json_object_new_uint64(cg.oom_kills));
		json_object_object_add(o, "resources", r);
	}
	return o;
}

static struct json_object *inspect_json(const struct sandbox_meta *m)
{
	enum sandbox_status st = sandbox_live_status(g.root, m->id);
	struct json_object *o = entry_json(m, st);
	struct json_object *main = json_object_new_object();
	json_object_object_add(main, "agentProcessId", json_object_new_int64(m->main_id));
	json_object_object_add(main, "timeoutMs", json_object_new_int64(m->timeout_ms));
	json_object_object_add(main, "exitCode", m->has_exit ? json_object_new_int(m->exit_code) : NULL);
	json_object_object_add(o, "main", main);
	json_object_object_add(o, "state", state_json(m->id, st));
	json_object_object_add(o, "settings", settings_json(m));
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", g.root, m->id);
	struct json_object *paths = json_object_new_object();
	json_object_object_add(paths, "state", jstr(p));
	_cleanup_free_ char *sock = sandbox_agent_socket(g.root, m->id);
	json_object_object_add(paths, "agentSocket", jstr(sock));
	json_object_object_add(o, "paths", paths);
	struct json_object *helpers = json_object_new_object();
	json_object_object_add(helpers, "logFollowerPid", json_object_new_int64(m->logger.pid));
	json_object_object_add(helpers, "ttlReaperPid", json_object_new_int64(m->reaper.pid));
	json_object_object_add(o, "helpers", helpers);
	return o;
}

static const char inspect_usage[] =
	"usage: hutch inspect ID...\n\n"
	"Prints a JSON array with one object per sandbox: its record (name, labels, command,\n"
	"ttl), main process, live state (agent pid, pids, resource usage from cgroups) and every\n"
	"effective setting (namespaces, mounts, limits, capabilities, user, seccomp, env lists).\n"
	"Exit codes: 0, 1 no such sandbox, 2 usage.\n";

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		fputs(inspect_usage, c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : HUTCH_EXIT_USAGE;
	}
	if (optind >= argc) {
		fputs(inspect_usage, stderr);
		return HUTCH_EXIT_USAGE;
	}
	struct json_object *arr = json_object_new_array();
	int code = 0;
	for (int i = optind; i < argc; i++) {
		struct hutch_err err = { 0 };
		char id[SANDBOX_ID_MAX];
		_cleanup_meta_ struct sandbox_meta m = { 0 };
		int r = sandbox_resolve(g.root, argv[i], id, &err);
		if (r >= 0 && load_at(id, &m) < 0) { /* a `hutch run` sandbox: the engine's view */
			struct json_object *e = run_entry_json(id);
			if (e) {
				json_object_array_add(arr, e);
				continue;
			}
			r = err_set(&err, ENOENT, "sandbox '%s' does not exist", argv[i]);
		}
		if (r < 0) {
			code = code ? code : lc_exit_code(r, &err, HUTCH_EXIT_FAILED);
			continue;
		}
		json_object_array_add(arr, inspect_json(&m));
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return code;
}
