/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* update (resources) and events (statistics). */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "engine/container.h"
#include "fileio.h"
#include "oci.h"
#include "parse.h"

struct flag_map {
	const char *flag;
	const char *section;
	const char *key;
	bool size;   /* accepts k/m/g suffixes */
	bool string; /* cpuset lists */
};

static const struct flag_map update_flags[] = {
	{ "memory", "memory", "limit", true, false },
	{ "memory-reservation", "memory", "reservation", true, false },
	{ "memory-swap", "memory", "swap", true, false },
	{ "kernel-memory", "memory", "kernel", true, false },
	{ "kernel-memory-tcp", "memory", "kernelTCP", true, false },
	{ "cpu-shares", "cpu", "shares", false, false },
	{ "cpu-quota", "cpu", "quota", false, false },
	{ "cpu-period", "cpu", "period", false, false },
	{ "cpu-rt-runtime", "cpu", "realtimeRuntime", false, false },
	{ "cpu-rt-period", "cpu", "realtimePeriod", false, false },
	{ "cpuset-cpus", "cpu", "cpus", false, true },
	{ "cpuset-mems", "cpu", "mems", false, true },
	{ "pids-limit", "pids", "limit", false, false },
	{ "blkio-weight", "blockIO", "weight", false, false },
};

static void update_usage(FILE *f)
{
	fprintf(f, "usage: hutch-oci update [options] ID\n\n"
		   "  -r, --resources FILE   LinuxResources JSON ('-' for stdin)\n");
	for (size_t i = 0; i < ARRAY_SIZE(update_flags); i++)
		fprintf(f, "      --%-20s linux.resources.%s.%s\n", update_flags[i].flag,
			update_flags[i].section, update_flags[i].key);
}

static int add_flag(struct json_object *res, const struct flag_map *m, const char *val)
{
	struct json_object *sec;
	if (!json_object_object_get_ex(res, m->section, &sec)) {
		sec = json_object_new_object();
		json_object_object_add(res, m->section, sec);
	}
	if (m->string) {
		json_object_object_add(sec, m->key, json_object_new_string(val));
		return 0;
	}
	int64_t v;
	char *end;
	if (m->size) {
		/* -1 is "unlimited", as runc takes it */
		if (strcmp(val, "-1") == 0)
			v = -1;
		else if (parse_size(val, &v) < 0)
			return oci_failf("--%s: invalid size '%s'", m->flag, val);
	} else {
		v = strtoll(val, &end, 10);
		if (end == val || *end)
			return oci_failf("--%s: invalid number '%s'", m->flag, val);
	}
	json_object_object_add(sec, m->key, json_object_new_int64(v));
	return 0;
}

int cmd_update(int argc, char **argv)
{
	struct option opts[ARRAY_SIZE(update_flags) + 3] = {
		{ "resources", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
	};
	for (size_t i = 0; i < ARRAY_SIZE(update_flags); i++)
		opts[i + 2] = (struct option){ update_flags[i].flag, required_argument, NULL, 1000 + (int)i };
	const char *file = NULL;
	struct json_object *res = json_object_new_object();
	int c, rc = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "+r:h", opts, NULL)) != -1) {
		if (c == 'r')
			file = optarg;
		else if (c >= 1000)
			rc = add_flag(res, &update_flags[c - 1000], optarg);
		else {
			update_usage(c == 'h' ? stdout : stderr);
			rc = c == 'h' ? 0 : 1;
			json_object_put(res);
			return rc;
		}
	}
	const char *id;
	if (rc || oci_need_id(argc, argv, "update", &id)) {
		json_object_put(res);
		return 1;
	}
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (file) {
		int r = strcmp(file, "-") == 0 ? read_fd_max(STDIN_FILENO, SPEC_MAX_FILE_SIZE, &buf, &len)
					       : read_file_at(AT_FDCWD, file, SPEC_MAX_FILE_SIZE, &buf, &len);
		if (r < 0) {
			json_object_put(res);
			return oci_failf("update: read resources '%s': %s", file, strerror(-r));
		}
	} else {
		buf = strdup(json_object_to_json_string(res));
		len = strlen(buf);
	}
	json_object_put(res);
	struct spec_resources sr;
	struct hutch_err err = { 0 };
	if (spec_resources_parse(buf, len, &sr, &err) < 0)
		return oci_failf("update: resources: %s", err.msg);
	int r = container_update(oci.root, id, &sr, &err);
	spec_resources_release(&sr);
	return r < 0 ? oci_fail(&err) : 0;
}

static void print_stats(const char *id, const struct cgroup_stats *s)
{
	struct json_object *o = json_object_new_object();
	struct json_object *data = json_object_new_object();
	struct json_object *cpu = json_object_new_object(), *cu = json_object_new_object();
	json_object_object_add(cu, "total", json_object_new_uint64(s->cpu_usage_ns));
	json_object_object_add(cu, "user", json_object_new_uint64(s->cpu_user_ns));
	json_object_object_add(cu, "kernel", json_object_new_uint64(s->cpu_system_ns));
	json_object_object_add(cpu, "usage", cu);
	struct json_object *mem = json_object_new_object(), *mu = json_object_new_object();
	json_object_object_add(mu, "usage", json_object_new_uint64(s->memory_usage));
	json_object_object_add(mu, "limit", json_object_new_uint64(s->memory_limit));
	json_object_object_add(mu, "max", json_object_new_uint64(s->memory_max_usage));
	json_object_object_add(mem, "usage", mu);
	json_object_object_add(mem, "oomKills", json_object_new_uint64(s->oom_kills));
	struct json_object *pids = json_object_new_object();
	json_object_object_add(pids, "current", json_object_new_uint64(s->pids_current));
	json_object_object_add(pids, "limit", json_object_new_uint64(s->pids_limit));
	json_object_object_add(data, "cpu", cpu);
	json_object_object_add(data, "memory", mem);
	json_object_object_add(data, "pids", pids);
	json_object_object_add(o, "type", json_object_new_string("stats"));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "data", data);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(o);
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool once = false;
	long interval_ms = 5000;
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 's') {
			once = true;
		} else if (c == 'i') {
			char *end;
			double secs = strtod(optarg, &end);
			if (end == optarg || secs <= 0)
				return oci_failf("events: invalid interval '%s'", optarg);
			if (*end == 'm' && end[1] == 's')
				secs /= 1000, end += 2;
			else if (*end == 's')
				end++;
			if (*end)
				return oci_failf("events: invalid interval '%s'", optarg);
			interval_ms = (long)(secs * 1000);
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: hutch-oci events [--stats] [--interval 5s] ID\n\n"
				"Prints resource statistics as JSON lines, once with --stats, else every\n"
				"interval until the container stops.\n");
			return c == 'h' ? 0 : 1;
		}
	}
	const char *id;
	if (oci_need_id(argc, argv, "events", &id))
		return 1;
	for (;;) {
		struct cgroup_stats s;
		enum container_status st = STATUS_CREATING;
		struct hutch_err err = { 0 };
		if (container_stats(oci.root, id, &s, &st, &err) < 0)
			return st == STATUS_STOPPED && !once ? 0 : oci_fail(&err);
		print_stats(id, &s);
		if (once)
			return 0;
		struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
	}
}
