/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state, list, ps: read-only views of containers. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "engine/container.h"
#include "oci.h"
#include "strv.h"

static int only_help(int argc, char **argv, const char *usage)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		fputs(usage, c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 1;
	}
	return -1;
}

int cmd_state(int argc, char **argv)
{
	int r = only_help(argc, argv, "usage: hutch-oci state ID\n\nPrints the container's state as JSON.\n");
	if (r >= 0)
		return r;
	const char *id;
	if (oci_need_id(argc, argv, "state", &id))
		return 1;
	struct hutch_err err = { 0 };
	struct container_state st;
	enum container_status status;
	if (container_load(oci.root, id, &st, &status, &err) < 0)
		return oci_fail(&err);
	_cleanup_free_ char *json = state_to_json(&st, status, true);
	container_state_release(&st);
	if (!json)
		return oci_failf("out of memory");
	printf("%s\n", json);
	return 0;
}

static const char *format_arg(int argc, char **argv, const char *cmd, int *ret)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *format = "table";
	int c;
	*ret = -1;
	while ((c = getopt_long(argc, argv, "+f:qh", opts, NULL)) != -1) {
		if (c == 'f') {
			format = optarg;
		} else if (c == 'q') {
			format = "quiet";
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: hutch-oci %s [-f table|json] [-q]%s\n", cmd,
				strcmp(cmd, "ps") == 0 ? " ID" : "");
			*ret = c == 'h' ? 0 : 1;
			return NULL;
		}
	}
	if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "quiet")) {
		*ret = oci_failf("%s: unknown format '%s' (table or json)", cmd, format);
		return NULL;
	}
	return format;
}

int cmd_list(int argc, char **argv)
{
	int r;
	const char *format = format_arg(argc, argv, "list", &r);
	if (!format)
		return r;
	struct hutch_err err = { 0 };
	_cleanup_strv_ char **ids = NULL;
	if (container_list(oci.root, &ids, &err) < 0)
		return oci_fail(&err);
	bool json = strcmp(format, "json") == 0;
	struct json_object *arr = json ? json_object_new_array() : NULL;
	if (strcmp(format, "table") == 0)
		printf("%-24s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	for (size_t i = 0; ids[i]; i++) {
		struct container_state st;
		enum container_status status;
		if (container_load(oci.root, ids[i], &st, &status, NULL) < 0)
			continue;
		int pid = status == STATUS_STOPPED ? 0 : st.pid;
		if (json) {
			_cleanup_free_ char *s = state_to_json(&st, status, false);
			json_object_array_add(arr, json_tokener_parse(s));
		} else if (strcmp(format, "quiet") == 0) {
			printf("%s\n", ids[i]);
		} else {
			printf("%-24s %-8d %-10s %-40s %-30s %s\n", ids[i], pid,
			       container_status_name(status), st.bundle ? st.bundle : "",
			       st.created ? st.created : "", st.owner ? st.owner : "");
		}
		container_state_release(&st);
	}
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
									JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	return 0;
}

int cmd_ps(int argc, char **argv)
{
	int r;
	const char *format = format_arg(argc, argv, "ps", &r);
	if (!format)
		return r;
	const char *id;
	if (oci_need_id(argc, argv, "ps", &id))
		return 1;
	struct hutch_err err = { 0 };
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (container_pids(oci.root, id, &pids, &n, &err) < 0)
		return oci_fail(&err);
	if (strcmp(format, "json") == 0) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		return 0;
	}
	/* Table: like runc, hand the pids to ps(1) for the columns. */
	printf("%-8s %s\n", "PID", "CMD");
	for (size_t i = 0; i < n; i++) {
		char path[64], comm[256] = "";
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pids[i]);
		FILE *f = fopen(path, "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		printf("%-8d %s\n", (int)pids[i], comm);
	}
	return 0;
}
