/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "cgroup/cgroup.h"
#include "engine/state.h"
#include "err.h"
#include "fileio.h"
#include "path.h"
#include "strv.h"

#define STATE_FILE "state.json"
#define STATE_MAX_SIZE (1u << 20)

void container_state_release(struct container_state *s)
{
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->cgroups_path);
	free(s->created);
	free(s->owner);
	strv_free(s->annotations);
	*s = (struct container_state){ 0 };
}

bool container_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	for (const char *p = id; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '+' || c == '-' || c == '.';
		if (!ok)
			return false;
	}
	return true;
}

int state_dir_create(const char *root, const char *id, int *ret_dirfd, struct hutch_err *err)
{
	if (!container_id_valid(id))
		return err_set(err, EINVAL, "invalid container id '%s'", id);
	int r = mkdir_p(root, 0700);
	if (r < 0)
		return err_set_errno(err, -r, "create state root '%s'", root);
	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_set_errno(err, errno, "open state root '%s'", root);
	if (mkdirat(rootfd, id, 0700) < 0) {
		if (errno == EEXIST)
			return err_set(err, EEXIST, "container '%s' already exists", id);
		return err_set_errno(err, errno, "create state dir '%s/%s'", root, id);
	}
	int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set_errno(err, errno, "open state dir '%s/%s'", root, id);
	*ret_dirfd = fd;
	return 0;
}

int state_dir_open(const char *root, const char *id, int *ret_dirfd, struct hutch_err *err)
{
	if (!container_id_valid(id))
		return err_set(err, EINVAL, "invalid container id '%s'", id);
	_cleanup_free_ char *p = path_join(root, id);
	if (!p)
		return err_set(err, ENOMEM, "out of memory");
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(err, ENOENT, "container '%s' does not exist", id);
		return err_set_errno(err, errno, "open state dir '%s'", p);
	}
	*ret_dirfd = fd;
	return 0;
}

int state_lock(int dirfd, struct hutch_err *err)
{
	int fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_set_errno(err, errno, "open state lock");
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return err_set_errno(err, e, "lock state");
		}
	}
	return fd;
}

int state_dir_remove(const char *root, const char *id)
{
	_cleanup_free_ char *p = path_join(root, id);
	if (!p)
		return -ENOMEM;
	DIR *d = opendir(p);
	if (!d)
		return errno == ENOENT ? 0 : negative_errno();
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return rmdir(p) < 0 && errno != ENOENT ? negative_errno() : 0;
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	if (val)
		json_object_object_add(o, key, json_object_new_string(val));
}

static struct json_object *annotations_json(char *const *ann)
{
	struct json_object *a = json_object_new_object();
	for (size_t i = 0; ann && ann[i]; i++) {
		const char *eq = strchr(ann[i], '=');
		if (!eq)
			continue;
		_cleanup_free_ char *k = strndup(ann[i], (size_t)(eq - ann[i]));
		if (k)
			json_object_object_add(a, k, json_object_new_string(eq + 1));
	}
	return a;
}

int state_save(int dirfd, const struct container_state *s, struct hutch_err *err)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return err_set(err, ENOMEM, "out of memory");
	add_str(o, "id", s->id);
	add_str(o, "bundle", s->bundle);
	add_str(o, "rootfs", s->rootfs);
	add_str(o, "cgroupsPath", s->cgroups_path);
	add_str(o, "created", s->created);
	add_str(o, "owner", s->owner);
	json_object_object_add(o, "pid", json_object_new_int64(s->pid));
	json_object_object_add(o, "pidStart", json_object_new_uint64(s->pid_start));
	json_object_object_add(o, "started", json_object_new_boolean(s->started));
	json_object_object_add(o, "userns", json_object_new_boolean(s->has_userns));
	json_object_object_add(o, "annotations", annotations_json(s->annotations));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d/" STATE_FILE, dirfd);
	int r = write_file_atomic(path, text, strlen(text), 0600);
	json_object_put(o);
	if (r < 0)
		return err_set_errno(err, -r, "write state of container '%s'", s->id);
	return 0;
}

static char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return strdup(json_object_get_string(v));
}

static int64_t get_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_int64(v);
}

int state_load(int dirfd, const char *id, struct container_state *ret, struct hutch_err *err)
{
	_cleanup_free_ char *buf = NULL;
	int r = read_file_at(dirfd, STATE_FILE, STATE_MAX_SIZE, &buf, NULL);
	if (r == -ENOENT) {
		/* A create that died before its first save: report it as half-made. */
		*ret = (struct container_state){ .id = strdup(id) };
		return 0;
	}
	if (r < 0)
		return err_set_errno(err, -r, "read state of container '%s'", id);
	struct json_object *o = json_tokener_parse(buf);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return err_set(err, EBADMSG, "state of container '%s' is corrupt", id);
	}
	struct container_state s = {
		.id = get_str(o, "id"),
		.bundle = get_str(o, "bundle"),
		.rootfs = get_str(o, "rootfs"),
		.cgroups_path = get_str(o, "cgroupsPath"),
		.created = get_str(o, "created"),
		.owner = get_str(o, "owner"),
		.pid = (pid_t)get_int(o, "pid"),
		.pid_start = (uint64_t)get_int(o, "pidStart"),
		.started = get_int(o, "started") != 0,
		.has_userns = get_int(o, "userns") != 0,
	};
	struct json_object *ann;
	if (json_object_object_get_ex(o, "annotations", &ann) &&
	    json_object_is_type(ann, json_type_object)) {
		json_object_object_foreach(ann, k, v)
		{
			char *kv = NULL;
			if (asprintf(&kv, "%s=%s", k, json_object_get_string(v)) >= 0)
				strv_consume(&s.annotations, kv);
		}
	}
	json_object_put(o);
	if (!s.id)
		s.id = strdup(id);
	*ret = s;
	return 0;
}

uint64_t pid_start_time(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *buf = NULL;
	if (pid <= 0 || read_file_at(AT_FDCWD, path, 4096, &buf, NULL) < 0)
		return 0;
	/* The command name may contain spaces and ')': skip to the last ')'. */
	const char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long long start = 0;
	char state;
	/* After ") ": state(3) then fields 4..21, start time is field 22. */
	if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &start) != 2)
		return 0;
	if (state == 'Z' || state == 'X')
		return 0; /* a zombie has stopped running */
	return start;
}

bool state_pid_alive(const struct container_state *s)
{
	return s->pid > 0 && pid_start_time(s->pid) == s->pid_start && s->pid_start != 0;
}

enum container_status state_status_unpaused(const struct container_state *s)
{
	if (s->pid <= 0)
		return STATUS_CREATING;
	if (!state_pid_alive(s))
		return STATUS_STOPPED;
	return s->started ? STATUS_RUNNING : STATUS_CREATED;
}

enum container_status state_status(const struct container_state *s)
{
	enum container_status st = state_status_unpaused(s);
	if (st != STATUS_RUNNING)
		return st;
	_cleanup_cgroup_ struct cgroup *cg = NULL;
	bool frozen = false;
	if (cgroup_open(NULL, s->cgroups_path, s->id, &cg, NULL) >= 0 &&
	    cgroup_is_frozen(cg, &frozen) >= 0 && frozen)
		return STATUS_PAUSED;
	return STATUS_RUNNING;
}

const char *container_status_name(enum container_status st)
{
	static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
	return names[st];
}

char *state_to_json(const struct container_state *s, enum container_status st, bool pretty)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));
	add_str(o, "id", s->id);
	bool alive = st != STATUS_STOPPED; /* creating: pid 0 until the init exists */
	json_object_object_add(o, "pid", json_object_new_int64(alive ? s->pid : 0));
	add_str(o, "status", container_status_name(st));
	add_str(o, "bundle", s->bundle ? s->bundle : "");
	add_str(o, "rootfs", s->rootfs ? s->rootfs : "");
	add_str(o, "created", s->created ? s->created : "");
	add_str(o, "owner", s->owner ? s->owner : "");
	json_object_object_add(o, "annotations", annotations_json(s->annotations));
	char *r = strdup(json_object_to_json_string_ext(
		o, pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE
			  : JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return r;
}
