/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spec (a default config.json) and features (what this runtime supports, as JSON). */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "oci.h"
#include "path.h"
#include "security/security.h"
#include "spec/spec.h"

int cmd_spec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bundle = ".";
	bool rootless = false;
	int c;
	while ((c = getopt_long(argc, argv, "+b:h", opts, NULL)) != -1) {
		if (c == 'b') {
			bundle = optarg;
		} else if (c == 'r') {
			rootless = true;
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: hutch-oci spec [--bundle DIR] [--rootless]\n\n"
				"Writes a default config.json (busybox-friendly: runs 'sh').\n");
			return c == 'h' ? 0 : 1;
		}
	}
	if (optind < argc)
		return oci_failf("spec: unexpected argument '%s'", argv[optind]);
	_cleanup_free_ char *path = path_join(bundle, "config.json");
	if (!path)
		return oci_failf("out of memory");
	if (access(path, F_OK) == 0)
		return oci_failf("spec: '%s' exists; remove it first", path);
	_cleanup_free_ char *json = spec_default_json(rootless);
	if (!json)
		return oci_failf("out of memory");
	int r = write_file_atomic(path, json, strlen(json), 0644);
	if (r < 0)
		return oci_failf("spec: write '%s': %s", path, strerror(-r));
	return 0;
}

static struct json_object *strings(const char *const *v)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static struct json_object *capability_names(void)
{
	struct json_object *a = json_object_new_array();
	int last = cap_last_cap();
	for (int i = 0; i <= last && spec_cap_name(i); i++)
		json_object_array_add(a, json_object_new_string(spec_cap_name(i)));
	return a;
}

int cmd_features(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: hutch-oci features\n\nPrints what this runtime supports (OCI features JSON).\n");
		return 0;
	}
	static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
					     "startContainer", "poststart", "poststop", NULL };
	static const char *const mount_opts[] = {
		"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap",
		"mand", "noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime",
		"nostrictatime", "nosuid", "nosymfollow", "private", "rbind", "relatime", "remount",
		"ridmap", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw", "shared",
		"slave", "strictatime", "suid", "sync", "unbindable", NULL };
	static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid",
						  "time", "user", "uts", NULL };
	static const char *const actions[] = {
		"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
		"SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
		"SCMP_ACT_TRAP", NULL };
	static const char *const operators[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
						 "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
						 "SCMP_CMP_NE", NULL };
	static const char *const archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
					     "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL };
	static const char *const flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
					     "SECCOMP_FILTER_FLAG_TSYNC", NULL };
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string("1.2.0"));
	json_object_object_add(o, "hooks", strings(hooks));
	json_object_object_add(o, "mountOptions", strings(mount_opts));
	struct json_object *l = json_object_new_object();
	json_object_object_add(l, "namespaces", strings(namespaces));
	json_object_object_add(l, "capabilities", capability_names());
	struct json_object *cg = json_object_new_object();
	json_object_object_add(cg, "v1", json_object_new_boolean(1));
	json_object_object_add(cg, "v2", json_object_new_boolean(1));
	json_object_object_add(cg, "systemd", json_object_new_boolean(0));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(0));
	json_object_object_add(cg, "rdma", json_object_new_boolean(0));
	json_object_object_add(l, "cgroup", cg);
	struct json_object *sc = json_object_new_object();
	json_object_object_add(sc, "enabled", json_object_new_boolean(1));
	json_object_object_add(sc, "actions", strings(actions));
	json_object_object_add(sc, "operators", strings(operators));
	json_object_object_add(sc, "archs", strings(archs));
	json_object_object_add(sc, "knownFlags", strings(flags));
	json_object_object_add(sc, "supportedFlags", strings(flags));
	json_object_object_add(l, "seccomp", sc);
	struct json_object *aa = json_object_new_object();
	json_object_object_add(aa, "enabled", json_object_new_boolean(0));
	json_object_object_add(l, "apparmor", aa);
	struct json_object *se = json_object_new_object();
	json_object_object_add(se, "enabled", json_object_new_boolean(0));
	json_object_object_add(l, "selinux", se);
	struct json_object *im = json_object_new_object();
	json_object_object_add(im, "enabled", json_object_new_boolean(1));
	json_object_object_add(l, "mountExtensions", json_object_new_object());
	json_object_object_add(json_object_object_get(l, "mountExtensions"), "idmap", im);
	json_object_object_add(o, "linux", l);
	struct json_object *ann = json_object_new_object();
	json_object_object_add(ann, "org.opencontainers.runtime-spec.features.hutch.version",
			       json_object_new_string(hutch_version()));
	json_object_object_add(o, "annotations", ann);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}
