/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The config.json that `hutch-oci spec` writes: the same document as `runc spec` (runc 1.1),
 * key for key, so tools and tutorials written for runc work unchanged. The rootless variant
 * makes the changes runc's --rootless makes: a user namespace mapping the caller's uid/gid to
 * root, no network namespace, no device cgroup rules, /sys bind-mounted (a new sysfs needs a
 * network namespace the caller owns), and no gid=5 on /dev/pts (gid 5 is not mapped).
 */
#include <json-c/json.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "spec.h"

struct builder {
	bool oom;
};

static json_object *add(struct builder *b, json_object *parent, const char *key, json_object *v)
{
	if (!v) {
		b->oom = true;
		return NULL;
	}
	int r = key ? json_object_object_add(parent, key, v) : json_object_array_add(parent, v);
	if (r < 0) {
		json_object_put(v);
		b->oom = true;
		return NULL;
	}
	return v;
}

static json_object *obj(struct builder *b, json_object *parent, const char *key)
{
	return parent ? add(b, parent, key, json_object_new_object()) : NULL;
}

static void str(struct builder *b, json_object *parent, const char *key, const char *s)
{
	if (parent)
		add(b, parent, key, json_object_new_string(s));
}

static void num(struct builder *b, json_object *parent, const char *key, int64_t n)
{
	if (parent)
		add(b, parent, key, json_object_new_int64(n));
}

static void boolean(struct builder *b, json_object *parent, const char *key, bool v)
{
	if (parent)
		add(b, parent, key, json_object_new_boolean(v));
}

/* A string array from a NULL-terminated list. */
static json_object *strv(struct builder *b, json_object *parent, const char *key,
			 const char *const *v)
{
	json_object *a = parent ? add(b, parent, key, json_object_new_array()) : NULL;
	for (size_t i = 0; a && v[i]; i++)
		str(b, a, NULL, v[i]);
	return a;
}

static void add_process(struct builder *b, json_object *top)
{
	static const char *const args[] = {"sh", NULL};
	static const char *const env[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
	    NULL};
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};
	static const char *const sets[] = {"bounding", "effective", "permitted", "ambient"};

	json_object *p = obj(b, top, "process");
	boolean(b, p, "terminal", true);
	json_object *u = obj(b, p, "user");
	num(b, u, "uid", 0);
	num(b, u, "gid", 0);
	strv(b, p, "args", args);
	strv(b, p, "env", env);
	str(b, p, "cwd", "/");
	json_object *c = obj(b, p, "capabilities");
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
		strv(b, c, sets[i], caps);
	json_object *rl = p ? add(b, p, "rlimits", json_object_new_array()) : NULL;
	json_object *nofile = rl ? add(b, rl, NULL, json_object_new_object()) : NULL;
	str(b, nofile, "type", "RLIMIT_NOFILE");
	num(b, nofile, "hard", 1024);
	num(b, nofile, "soft", 1024);
	boolean(b, p, "noNewPrivileges", true);
}

static void add_mount(struct builder *b, json_object *mounts, const char *dest, const char *type,
		      const char *source, const char *const *options)
{
	json_object *m = mounts ? add(b, mounts, NULL, json_object_new_object()) : NULL;
	str(b, m, "destination", dest);
	str(b, m, "type", type);
	str(b, m, "source", source);
	if (options)
		strv(b, m, "options", options);
}

static void add_mounts(struct builder *b, json_object *top, bool rootless)
{
	static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	/* gid=5 (tty) only exists inside when the container has the host's gids mapped. */
	static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
					  "mode=0620", "gid=5",	 NULL};
	static const char *const pts_rootless[] = {"nosuid",	    "noexec",	 "newinstance",
						   "ptmxmode=0666", "mode=0620", NULL};
	static const char *const shm[] = {"nosuid",    "noexec",      "nodev",
					  "mode=1777", "size=65536k", NULL};
	static const char *const mqueue[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const sys_bind[] = {"rbind", "nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const cgroup[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};

	json_object *m = add(b, top, "mounts", json_object_new_array());
	add_mount(b, m, "/proc", "proc", "proc", NULL);
	add_mount(b, m, "/dev", "tmpfs", "tmpfs", dev);
	add_mount(b, m, "/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts);
	add_mount(b, m, "/dev/shm", "tmpfs", "shm", shm);
	add_mount(b, m, "/dev/mqueue", "mqueue", "mqueue", mqueue);
	if (rootless)
		add_mount(b, m, "/sys", "none", "/sys", sys_bind);
	else
		add_mount(b, m, "/sys", "sysfs", "sysfs", sys);
	add_mount(b, m, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup);
}

static void add_mapping(struct builder *b, json_object *l, const char *key, uint32_t host_id)
{
	json_object *a = l ? add(b, l, key, json_object_new_array()) : NULL;
	json_object *m = a ? add(b, a, NULL, json_object_new_object()) : NULL;
	num(b, m, "containerID", 0);
	num(b, m, "hostID", host_id);
	num(b, m, "size", 1);
}

static void add_linux(struct builder *b, json_object *top, bool rootless)
{
	static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount", NULL};
	static const char *const ns_rootless[] = {"pid", "ipc", "uts", "mount", "user", NULL};
	static const char *const masked[] = {"/proc/acpi",
					     "/proc/asound",
					     "/proc/kcore",
					     "/proc/keys",
					     "/proc/latency_stats",
					     "/proc/timer_list",
					     "/proc/timer_stats",
					     "/proc/sched_debug",
					     "/sys/firmware",
					     "/proc/scsi",
					     NULL};
	static const char *const readonly[] = {
	    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};

	json_object *l = obj(b, top, "linux");
	if (rootless) {
		add_mapping(b, l, "uidMappings", geteuid());
		add_mapping(b, l, "gidMappings", getegid());
	} else {
		/* Deny every device; the default /dev gets its nodes from the runtime. */
		json_object *res = obj(b, l, "resources");
		json_object *devs = res ? add(b, res, "devices", json_object_new_array()) : NULL;
		json_object *all = devs ? add(b, devs, NULL, json_object_new_object()) : NULL;
		boolean(b, all, "allow", false);
		str(b, all, "access", "rwm");
	}
	json_object *nsl = l ? add(b, l, "namespaces", json_object_new_array()) : NULL;
	for (const char *const *n = rootless ? ns_rootless : ns; nsl && *n; n++) {
		json_object *e = add(b, nsl, NULL, json_object_new_object());
		str(b, e, "type", *n);
	}
	strv(b, l, "maskedPaths", masked);
	strv(b, l, "readonlyPaths", readonly);
}

char *spec_default_json(bool rootless)
{
	struct builder b = {0};
	json_object *top = json_object_new_object();
	if (!top)
		return NULL;
	str(&b, top, "ociVersion", "1.0.2-dev");
	add_process(&b, top);
	json_object *root = obj(&b, top, "root");
	str(&b, root, "path", "rootfs");
	boolean(&b, root, "readonly", true);
	str(&b, top, "hostname", "runc");
	add_mounts(&b, top, rootless);
	add_linux(&b, top, rootless);

	char *out = NULL;
	if (!b.oom) {
		/* Tabs and "key": value, as Go's MarshalIndent writes; no "\/" escapes. */
		const char *s = json_object_to_json_string_ext(
		    top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB |
			     JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
		out = s ? strdup(s) : NULL;
	}
	json_object_put(top);
	return out;
}
