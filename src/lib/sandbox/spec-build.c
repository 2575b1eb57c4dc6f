/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandbox options → OCI spec, built directly in C (no JSON on the start path). Every string
 * is its own allocation so spec_free() releases the result like a parsed one.
 */
#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cgroup/cgroup.h"
#include "engine/ns.h"
#include <sys/random.h>
#include "err.h"
#include "parse.h"
#include "fileio.h"
#include "fs/rootfs.h"
#include "path.h"
#include "sandbox/disk-reserve.h"
#include "sandbox/rules-plan.h"
#include "sandbox/sandbox.h"
#include "security/profile.h"
#include "security/security.h"
#include "strv.h"

#define CPU_PERIOD 100000
#define MAX_USER_MOUNTS 64

/* Appends a mount; options is a comma-separated list. */
static int add_mount(struct spec *s, const char *dst, const char *type, const char *src,
		     const char *options)
{
	struct spec_mount *nm = realloc(s->mounts, (s->n_mounts + 1) * sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	s->mounts = nm;
	struct spec_mount *m = &s->mounts[s->n_mounts];
	*m = (struct spec_mount){ 0 };
	m->destination = strdup(dst);
	m->type = strdup(type);
	m->source = strdup(src);
	if (!m->destination || !m->type || !m->source)
		return -ENOMEM;
	s->n_mounts++;
	_cleanup_free_ char *opts = strdup(options);
	if (!opts)
		return -ENOMEM;
	char *save = NULL;
	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
		if (strv_push(&m->options, o) < 0)
			return -ENOMEM;
	return 0;
}

static int add_namespaces(struct spec *s, bool network_host)
{
	static const int types[] = { CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,   CLONE_NEWIPC,
				     CLONE_NEWUTS,  CLONE_NEWNET, CLONE_NEWCGROUP };
	s->linux.namespaces = calloc(ARRAY_SIZE(types), sizeof(struct spec_namespace));
	if (!s->linux.namespaces)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (network_host && types[i] == CLONE_NEWNET)
			continue;
		s->linux.namespaces[s->linux.n_namespaces++].type = types[i];
	}
	/* Its own network: loopback only, and up (127.0.0.1 and ::1 reachable). */
	return network_host ? 0 : spec_annotation_add(s, LOOPBACK_ANNOTATION, "up");
}

/* One id mapped: the sandbox user → the caller (or the unused sandbox uid, for root). */
static int add_id_maps(struct spec *s, uint32_t uid, uint32_t gid)
{
	bool root = geteuid() == 0;
	s->linux.uid_mappings = calloc(1, sizeof(struct spec_id_map));
	s->linux.gid_mappings = calloc(1, sizeof(struct spec_id_map));
	if (!s->linux.uid_mappings || !s->linux.gid_mappings)
		return -ENOMEM;
	s->linux.uid_mappings[0] = (struct spec_id_map){ uid, root ? SANDBOX_HOST_UID : geteuid(), 1 };
	s->linux.gid_mappings[0] = (struct spec_id_map){ gid, root ? SANDBOX_HOST_UID : getegid(), 1 };
	s->linux.n_uid_mappings = s->linux.n_gid_mappings = 1;
	return 0;
}

static int add_system_mounts(struct spec *s, const struct sandbox_opts *o)
{
	int r;
	if ((r = add_mount(s, "/proc", "proc", "proc", "nosuid,noexec,nodev")) < 0 ||
	    (r = add_mount(s, "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k")) < 0 ||
	    (r = add_mount(s, "/dev/pts", "devpts", "devpts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620")) < 0 ||
	    (r = add_mount(s, "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k")) < 0 ||
	    (r = add_mount(s, "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev")) < 0 ||
	    (r = add_mount(s, "/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro")) < 0 ||
	    (r = add_mount(s, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro")) < 0 ||
	    (r = add_mount(s, "/tmp", "tmpfs", "tmpfs", "nosuid,nodev,mode=1777,size=268435456")) < 0)
		return r;
	if (!o->rootfs) {
		/* The host's /run holds its sockets (docker, containerd, dbus): never show them. */
		if ((r = add_mount(s, "/run", "tmpfs", "tmpfs", "nosuid,nodev,mode=755,size=16m")) < 0 ||
		    (r = add_mount(s, "/var/tmp", "tmpfs", "tmpfs", "nosuid,nodev,mode=1777,size=64m")) < 0)
			return r;
	}
	return add_mount(s, SANDBOX_AGENT_PATH, "bind", o->agent, "bind,ro,nosuid,nodev");
}

/*
 * As root, a bind mount the sandbox writes to is idmapped: the source's on-disk owner shows
 * as the sandbox user (and what the sandbox writes goes to disk as that owner). Without it the
 * sandbox user, an unused host uid, sees "nobody" and may write nothing.
 */
static int idmap_owner(struct spec_mount *m, const struct stat *st)
{
	m->uid_mappings = calloc(1, sizeof(struct spec_id_map));
	m->gid_mappings = calloc(1, sizeof(struct spec_id_map));
	if (!m->uid_mappings || !m->gid_mappings)
		return -ENOMEM;
	m->uid_mappings[0] = (struct spec_id_map){ st->st_uid, SANDBOX_HOST_UID, 1 };
	m->gid_mappings[0] = (struct spec_id_map){ st->st_gid, SANDBOX_HOST_UID, 1 };
	m->n_uid_mappings = m->n_gid_mappings = 1;
	return 0;
}

static int add_workspace(struct spec *s, const struct sandbox_opts *o, struct hutch_err *err)
{
	char cwd[4096];
	const char *ws = o->workspace;
	if (ws && !*ws)
		return 0;
	if (!ws) {
		if (!getcwd(cwd, sizeof(cwd)))
			return err_set_errno(err, errno, "current directory");
		ws = cwd;
	}
	_cleanup_free_ char *real = NULL;
	if (ws[0] != '/') { /* relative to where we were started: the engine works from elsewhere */
		if (!(real = realpath(ws, NULL)))
			return err_set_errno(err, errno, "workspace '%s'", ws);
		ws = real;
	}
	struct stat st;
	if (stat(ws, &st) < 0)
		return err_set_errno(err, errno, "workspace '%s'", ws);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, ENOTDIR, "workspace '%s' is not a directory", ws);
	bool idmap = geteuid() == 0;
	char opts[64];
	snprintf(opts, sizeof(opts), "rbind,nosuid,nodev%s%s", o->read_only ? ",ro" : "",
		 idmap ? ",idmap" : "");
	int r = add_mount(s, "/work", "bind", ws, opts);
	if (r < 0 || (idmap && (r = idmap_owner(&s->mounts[s->n_mounts - 1], &st)) < 0))
		return err_set(err, -r, "out of memory");
	return 0;
}

static bool s_root_is_host(const struct spec *s)
{
	return strcmp(s->root_path, "/") == 0;
}

/* Directories that are fresh mounts in every sandbox, where a mount point can be created. */
static bool writable_area(const char *dst)
{
	static const char *const areas[] = { "/work/", "/tmp/", "/dev/", "/run/", "/var/tmp/" };
	for (size_t i = 0; i < ARRAY_SIZE(areas); i++)
		if (strncmp(dst, areas[i], strlen(areas[i])) == 0)
			return true;
	return false;
}

/* Mount points a user mount may not cover: the sandbox's root, its own /proc (where the
 * kernel's view of the sandbox lives, and which the masks protect), /dev and the agent. */
static bool reserved_destination(const char *dst)
{
	return strcmp(dst, "/") == 0 || strcmp(dst, "/proc") == 0 || strcmp(dst, "/dev") == 0 ||
	       strncmp(dst, "/proc/", 6) == 0 || strcmp(dst, SANDBOX_AGENT_PATH) == 0;
}

/* A mount point missing from the host's read-only root cannot be created: say so early. */
static int check_mount_point(const struct spec *s, const char *flag, const char *arg,
			     const char *dst, struct hutch_err *err)
{
	if (reserved_destination(dst))
		return err_set(err, EINVAL, "%s '%s': cannot mount over '%s' (the sandbox's own)",
			       flag, arg, dst);
	if (!s_root_is_host(s) || writable_area(dst) || access(dst, F_OK) == 0)
		return 0;
	return err_set(err, ENOENT, "%s '%s': '%s' does not exist in the read-only host root "
		       "(use an existing directory, or one under /work or /tmp)", flag, arg, dst);
}

/* "/a/./b/../c//d" → "/a/c/d" in place, by the text alone (no file system). */
static void normalize_lexically(char *p)
{
	char *out = p, *in = p;
	while (*in) {
		while (*in == '/')
			in++;
		size_t len = strcspn(in, "/");
		if (len == 0)
			break;
		if (len == 1 && in[0] == '.') {
			/* skip */
		} else if (len == 2 && in[0] == '.' && in[1] == '.') {
			while (out > p && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, in, len);
			out += len;
		}
		in += len;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

/*
 * A --mount source inside the workspace must not lead out of it through a symlink: a
 * sandbox writes the workspace, and could have turned ./cache into a link to a host
 * directory of its choosing before this run (the same attack as F4, through --mount).
 */
static int check_source_in_workspace(const struct spec *s, const char *arg, const char *src,
				     struct hutch_err *err)
{
	const char *ws = NULL;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i].destination, "/work") == 0)
			ws = s->mounts[i].source;
	_cleanup_free_ char *abs = path_absolute(src);
	if (!abs)
		return err_set(err, ENOMEM, "out of memory");
	normalize_lexically(abs);
	size_t n = ws ? strlen(ws) : 0;
	if (!ws || strncmp(abs, ws, n) != 0 || (abs[n] != '/' && abs[n] != '\0'))
		return 0;
	int fd = rules_open_source(ws, abs + n + (abs[n] == '/'), false, err);
	if (fd < 0)
		return err_prefix(err, "--mount '%s'", arg);
	close(fd);
	return 0;
}

/* --mount SRC:DST[:ro|rw] */
static int add_user_mount(struct spec *s, const char *arg, struct hutch_err *err)
{
	_cleanup_free_ char *copy = strdup(arg);
	if (!copy)
		return err_set(err, ENOMEM, "out of memory");
	char *src = copy, *dst = strchr(copy, ':');
	if (!dst)
		return err_set(err, EINVAL, "--mount '%s': expected SRC:DST[:ro|rw]", arg);
	*dst++ = '\0';
	char *mode = strchr(dst, ':');
	if (mode)
		*mode++ = '\0';
	if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
		return err_set(err, EINVAL, "--mount '%s': mode must be ro or rw, not '%s'", arg, mode);
	if (!path_is_normalized_absolute(dst))
		return err_set(err, EINVAL, "--mount '%s': destination must be an absolute path without '..'", arg);
	_cleanup_free_ char *real = realpath(src, NULL);
	if (!real)
		return err_set_errno(err, errno, "--mount '%s': source '%s'", arg, src);
	int r = check_source_in_workspace(s, arg, src, err);
	if (r < 0)
		return r;
	r = check_mount_point(s, "--mount", arg, dst, err);
	if (r < 0)
		return r;
	bool ro = mode && strcmp(mode, "ro") == 0;
	/* Read-write, as the workspace: idmapped when we are root (see idmap_owner). */
	bool idmap = !ro && geteuid() == 0;
	struct stat st;
	if (idmap && stat(real, &st) < 0)
		return err_set_errno(err, errno, "--mount '%s': source '%s'", arg, src);
	r = add_mount(s, dst, "bind", real,
		      ro ? "rbind,ro,nosuid,nodev" : idmap ? "rbind,nosuid,nodev,idmap" : "rbind,nosuid,nodev");
	if (r < 0 || (idmap && (r = idmap_owner(&s->mounts[s->n_mounts - 1], &st)) < 0))
		return err_set(err, -r, "out of memory");
	return 0;
}

/* --tmpfs DST[:opts] */
static int add_user_tmpfs(struct spec *s, const char *arg, struct hutch_err *err)
{
	_cleanup_free_ char *copy = strdup(arg);
	if (!copy)
		return err_set(err, ENOMEM, "out of memory");
	char *opts = strchr(copy, ':');
	if (opts)
		*opts++ = '\0';
	if (!path_is_normalized_absolute(copy))
		return err_set(err, EINVAL, "--tmpfs '%s': destination must be an absolute path", arg);
	int r = check_mount_point(s, "--tmpfs", arg, copy, err);
	if (r < 0)
		return r;
	char all[512];
	/* The default size first: the user's options come after it, and the last one wins. */
	snprintf(all, sizeof(all), "nosuid,nodev,mode=1777,size=64m%s%s", opts && *opts ? "," : "",
		 opts ? opts : "");
	r = add_mount(s, copy, "tmpfs", "tmpfs", all);
	return r < 0 ? err_set(err, -r, "out of memory") : 0;
}

static int add_masks(struct spec *s)
{
	static const char *const masked[] = { "/proc/acpi", "/proc/asound", "/proc/kcore",
		"/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
		"/proc/sysrq-trigger" };
	static const char *const ro[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys" };
	for (size_t i = 0; i < ARRAY_SIZE(masked); i++)
		if (strv_push(&s->linux.masked_paths, masked[i]) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(ro); i++)
		if (strv_push(&s->linux.readonly_paths, ro[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int add_limits(struct spec *s, const struct sandbox_opts *o)
{
	struct spec_resources *res = &s->linux.resources;
	s->linux.has_resources = true;
	res->pids_limit = o->pids ? o->pids : SANDBOX_DEFAULT_PIDS;
	res->has_memory = true;
	res->memory = (struct spec_memory){ .limit = o->memory ? o->memory : SANDBOX_DEFAULT_MEMORY,
					    .reservation = SPEC_UNSET, .swap = SPEC_UNSET,
					    .kernel = SPEC_UNSET, .kernel_tcp = SPEC_UNSET,
					    .swappiness = SPEC_UNSET };
	/* Swap counts against the same limit: a sandbox cannot page its way past it. */
	res->memory.swap = res->memory.limit;
	double cpus = o->cpus ? o->cpus : SANDBOX_DEFAULT_CPUS;
	res->has_cpu = true;
	res->cpu = (struct spec_cpu){ .shares = SPEC_UNSET, .quota = SPEC_UNSET, .burst = SPEC_UNSET,
				      .period = SPEC_UNSET, .realtime_runtime = SPEC_UNSET,
				      .realtime_period = SPEC_UNSET, .idle = SPEC_UNSET };
	if (cpus > 0) {
		res->cpu.period = CPU_PERIOD;
		res->cpu.quota = (int64_t)(cpus * CPU_PERIOD);
	}
	s->process.rlimits = calloc(2, sizeof(struct spec_rlimit));
	if (!s->process.rlimits)
		return -ENOMEM;
	s->process.rlimits[0] = (struct spec_rlimit){ RLIMIT_NOFILE, 4096, 4096 };
	s->process.rlimits[1] = (struct spec_rlimit){ RLIMIT_CORE, 0, 0 };
	s->process.n_rlimits = 2;
	/* cgroups only in the hierarchies of these limits, the stats and the device rules: each
	 * other one would cost a mkdir, a join and an rmdir per sandbox for nothing. */
	return spec_annotation_add(s, CGROUP_CONTROLLERS_ANNOTATION,
				   "memory,pids,cpu,cpuacct,devices");
}

static int add_caps(struct spec *s, const struct sandbox_opts *o, struct hutch_err *err)
{
	s->process.has_caps = true;
	for (size_t i = 0; o->cap_add && o->cap_add[i]; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s%s",
			 strncasecmp(o->cap_add[i], "CAP_", 4) == 0 ? "" : "CAP_", o->cap_add[i]);
		for (char *p = name; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		int cap = cap_from_spec_name(name);
		if (cap < 0)
			return err_set(err, EINVAL, "--cap-add: unknown capability '%s'", o->cap_add[i]);
		uint64_t bit = 1ULL << cap;
		s->process.caps.bounding |= bit;
		s->process.caps.effective |= bit;
		s->process.caps.permitted |= bit;
		s->process.caps.inheritable |= bit;
		s->process.caps.ambient |= bit; /* so the agent's children keep it */
	}
	return 0;
}

/* Whether buf is one JSON value (and white space), with the error's byte offset if not. */
static int check_json_syntax(const char *buf, size_t len, struct hutch_err *err)
{
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return err_set(err, ENOMEM, "out of memory");
	struct json_object *j = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t at = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	json_object_put(j);
	const char *why = je == json_tokener_continue ? "unexpected end of file"
			  : je != json_tokener_success ? json_tokener_error_desc(je)
			  : at + strspn(buf + at, " \t\r\n") < len ? "trailing data"
								    : NULL;
	return why ? err_set(err, EINVAL, "invalid JSON at byte %zu: %s", at, why) : 0;
}

static int add_seccomp(struct spec *s, const struct sandbox_opts *o, struct hutch_err *err)
{
	if (o->seccomp && strcmp(o->seccomp, "unconfined") == 0)
		return 0;
	if (!o->seccomp) {
		int r = seccomp_default_profile(&s->linux.seccomp);
		return r < 0 ? err_set_errno(err, -r, "default seccomp profile") : 0;
	}
	/* A profile file: the linux.seccomp object of a config.json, as Docker takes it. */
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_file_at(AT_FDCWD, o->seccomp, SPEC_MAX_FILE_SIZE, &buf, &len);
	if (r < 0)
		return err_set_errno(err, -r, "--seccomp '%s'", o->seccomp);
	/* Its own syntax first, so that an error's byte offset is the file's. */
	if ((r = check_json_syntax(buf, len, err)) < 0)
		return err_prefix(err, "--seccomp '%s'", o->seccomp);
	_cleanup_free_ char *wrapped = NULL;
	if (asprintf(&wrapped, "{\"ociVersion\":\"1.2.0\",\"linux\":{\"seccomp\":%s}}", buf) < 0)
		return err_set(err, ENOMEM, "out of memory");
	_cleanup_spec_ struct spec *tmp = NULL;
	if ((r = spec_parse(wrapped, strlen(wrapped), &tmp, err)) < 0)
		return err_prefix(err, "--seccomp '%s'", o->seccomp);
	s->linux.seccomp = TAKE_PTR(tmp->linux.seccomp);
	return 0;
}

/* The upper and work dirs of a kept copy-on-write layer, owned by the sandbox's own uid (the
 * sandbox's root cannot create them in a directory of the host's root). */
static int prepare_changes_dir(const char *dir)
{
	uid_t owner = geteuid() == 0 ? SANDBOX_HOST_UID : geteuid();
	gid_t group = geteuid() == 0 ? SANDBOX_HOST_UID : getegid();
	const char *subs[] = { "upper", "work" };
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		_cleanup_free_ char *p = path_join(dir, subs[i]);
		if (!p)
			return -ENOMEM;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		if (lchown(p, owner, group) < 0)
			return negative_errno();
	}
	return 0;
}

/*
 * As root, each sandbox's user namespace is owned by a host uid of its own, drawn from a
 * range no account uses (see USERNS_OWNER_ANNOTATION): the kernel's per-user counts of one
 * sandbox then come out of neither root's nor another sandbox's.
 */
static int add_userns_owner(struct spec *s)
{
	if (geteuid() != 0)
		return 0;
	uint16_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint16_t)getpid();
	char uid[16];
	snprintf(uid, sizeof(uid), "%u", SANDBOX_OWNER_UID_BASE + 1u + (r % 0xfffeu));
	return spec_annotation_add(s, USERNS_OWNER_ANNOTATION, uid);
}

/* --rootfs is copy-on-write: the engine's overlay annotation (see fs/rootfs.h). */
static int add_rootfs_overlay(struct spec *s, const struct sandbox_opts *o, struct hutch_err *err)
{
	if (!o->rootfs)
		return 0;
	char value[4200];
	if (o->rootfs_changes) {
		_cleanup_free_ char *real = realpath(o->rootfs_changes, NULL);
		if (!real)
			return err_set_errno(err, errno, "--rootfs-changes '%s'", o->rootfs_changes);
		int r = prepare_changes_dir(real);
		if (r < 0)
			return err_set_errno(err, -r, "--rootfs-changes '%s'", o->rootfs_changes);
		snprintf(value, sizeof(value), "dir:%s", real);
	} else {
		int64_t bytes;
		const char *size = o->rootfs_size ? o->rootfs_size : SANDBOX_DEFAULT_ROOTFS_SIZE;
		if (parse_size(size, &bytes) < 0 || bytes <= 0)
			return err_set(err, EINVAL, "--rootfs-size: invalid size '%s'", size);
		snprintf(value, sizeof(value), "tmpfs:%lld", (long long)bytes);
	}
	if (spec_annotation_add(s, ROOTFS_OVERLAY_ANNOTATION, value) < 0)
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}

static int set_process(struct spec *s, const struct sandbox_opts *o)
{
	struct spec_process *p = &s->process;
	s->has_process = true;
	p->no_new_privileges = true;
	p->user.uid = o->has_user ? o->uid : 0;
	p->user.gid = o->has_user ? o->gid : 0;
	const char *args[] = { SANDBOX_AGENT_PATH, "--fd", "3", "--stop-timeout", "2", NULL };
	for (size_t i = 0; args[i]; i++)
		if (strv_push(&p->args, args[i]) < 0)
			return -ENOMEM;
	if (strv_push(&p->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0)
		return -ENOMEM;
	p->cwd = strdup("/");
	return p->cwd ? 0 : -ENOMEM;
}

/*
 * Default access none over the host root: the root becomes an empty directory, read-only,
 * with a small copy-on-write layer that only holds the mount points of what rules allow
 * (made by the engine before the root turns read-only).
 */
static int use_empty_root(struct spec *s, struct hutch_err *err)
{
	/* The sandbox's user namespace walks this path (the runtime dir is 0700 as root):
	 * as root it lives in /run itself, which only root can write. */
	_cleanup_free_ char *dir = geteuid() == 0 ? strdup("/run/hutch-empty-root")
						  : runtime_dir("empty-root");
	if (!dir)
		return err_set(err, ENOMEM, "out of memory");
	int r = mkdir_p(dir, 0755);
	if (r < 0)
		return err_set_errno(err, -r, "create '%s'", dir);
	/* It must be what we made: a directory of ours, not a link, with nothing in it. */
	struct stat st;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022) ||
	    st.st_nlink != 2)
		return err_set(err, EPERM, "'%s' is not an empty directory owned by us", dir);
	free(s->root_path);
	s->root_path = TAKE_PTR(dir);
	s->root_readonly = true;
	if (spec_annotation_add(s, ROOTFS_OVERLAY_ANNOTATION, "tmpfs:1048576") < 0)
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}

/* Path rules, after every layout mount (they are planned against the layout). */
static int add_rules(struct spec *s, const struct sandbox_opts *o, struct hutch_err *err)
{
	if (!o->rules && !o->default_access && !o->workspace_quota)
		return 0;
	_cleanup_(rules_plan_release) struct rules_plan p = { 0 };
	int r = rules_plan_make(s, s->n_mounts, o->rules, o->default_access, o->workspace_quota,
				&p, err);
	if (r < 0 || (r = rules_plan_apply(s, &p, err)) < 0)
		return r;
	return p.empty_root ? use_empty_root(s, err) : 0;
}

static int build(struct spec *s, const struct sandbox_opts *o, struct hutch_err *err)
{
	int r;
	s->oci_version = strdup("1.2.0");
	/* Relative to where we were started: the engine works from elsewhere. */
	_cleanup_free_ char *rootfs = NULL;
	if (o->rootfs && !(rootfs = realpath(o->rootfs, NULL)))
		return err_set_errno(err, errno, "--rootfs '%s'", o->rootfs);
	s->root_path = strdup(rootfs ? rootfs : "/");
	s->root_readonly = !o->rootfs; /* a rootfs is copy-on-write: see add_rootfs_overlay */
	s->hostname = strdup(o->hostname ? o->hostname : SANDBOX_DEFAULT_HOSTNAME);
	s->has_linux = true;
	s->linux.rootfs_propagation = strdup("rprivate");
	if (!s->oci_version || !s->root_path || !s->hostname || !s->linux.rootfs_propagation)
		return err_set(err, ENOMEM, "out of memory");
	if (set_process(s, o) < 0 || add_namespaces(s, o->network_host) < 0 ||
	    add_id_maps(s, s->process.user.uid, s->process.user.gid) < 0 ||
	    add_system_mounts(s, o) < 0 || add_masks(s) < 0 || add_limits(s, o) < 0 ||
	    add_userns_owner(s) < 0)
		return err_set(err, ENOMEM, "out of memory");
	if ((r = add_workspace(s, o, err)) < 0)
		return r;
	size_t n = strv_length(o->mounts) + strv_length(o->tmpfs);
	if (n > MAX_USER_MOUNTS)
		return err_set(err, E2BIG, "too many mounts (%zu, at most %d)", n, MAX_USER_MOUNTS);
	for (size_t i = 0; o->mounts && o->mounts[i]; i++)
		if ((r = add_user_mount(s, o->mounts[i], err)) < 0)
			return r;
	for (size_t i = 0; o->tmpfs && o->tmpfs[i]; i++)
		if ((r = add_user_tmpfs(s, o->tmpfs[i], err)) < 0)
			return r;
	if ((r = add_caps(s, o, err)) < 0 || (r = add_seccomp(s, o, err)) < 0 ||
	    (r = add_rootfs_overlay(s, o, err)) < 0)
		return r;
	/* Guards are planned on the layout's binds (their host sources), placed after rules. */
	_cleanup_(disk_guards_release) struct disk_guards guards = { .n = 0 };
	if ((r = disk_reserve_plan(s, o->disk_reserve, o->rootfs ? o->rootfs_changes : NULL,
				   o->workspace_quota > 0 ? "/work" : NULL, &guards, err)) < 0 ||
	    (r = add_rules(s, o, err)) < 0)
		return r;
	if (disk_reserve_apply(s, &guards) < 0)
		return err_set(err, ENOMEM, "out of memory");
	return spec_validate(s, err);
}

int sandbox_build_spec(const struct sandbox_opts *o, struct spec **ret, struct hutch_err *err)
{
	if (!o->agent)
		return err_set(err, EINVAL, "no hutch-agent binary");
	struct spec *s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(err, ENOMEM, "out of memory");
	s->linux.resources.pids_limit = SPEC_UNSET;
	int r = build(s, o, err);
	if (r < 0) {
		spec_free(s);
		return r;
	}
	*ret = s;
	return 0;
}
