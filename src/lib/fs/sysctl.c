/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * linux.sysctl: only keys that live in a namespace the container has of its own may be set
 * (runc's rules), so a config cannot change the host's kernel through /proc/sys.
 * Trust boundary: keys are config-controlled and become paths; each component is checked and
 * the file is opened beneath /proc/sys with no symlinks and no mount crossing.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "fs-internal.h"
#include "path.h"

#define SYSCTL_KEY_MAX 256

static bool has_ns(const struct spec *s, int type)
{
	for (size_t i = 0; i < s->linux.n_namespaces; i++)
		if (s->linux.namespaces[i].type == type)
			return true;
	return false;
}

/* "net/ipv4/ip_forward" and "net.ipv4.ip_forward" name the same knob; the dotted form is
 * checked. Returns the /proc/sys relative path in path. */
static int key_to_path(const char *key, char *dotted, char *path, struct hutch_err *err)
{
	size_t n = strlen(key);
	if (n == 0 || n >= SYSCTL_KEY_MAX)
		return err_set(err, EINVAL, "sysctl '%.64s': bad key length", key);
	bool slashes = strchr(key, '/') != NULL;
	for (size_t i = 0; i <= n; i++) {
		/* With slashes, dots belong to a name (an interface "eth0.100"). */
		path[i] = !slashes && key[i] == '.' ? '/' : key[i];
		dotted[i] = key[i] == '/' ? '.' : key[i];
	}
	for (const char *s = path; *s;) {
		const char *e = strchrnul(s, '/');
		size_t c = (size_t)(e - s);
		if (c == 0 || (c == 1 && s[0] == '.') || (c == 2 && s[0] == '.' && s[1] == '.'))
			return err_set(err, EINVAL, "sysctl '%s': bad key", key);
		s = *e ? e + 1 : e;
	}
	if (path[n - 1] == '/')
		return err_set(err, EINVAL, "sysctl '%s': bad key", key);
	return 0;
}

static int check_key(const struct spec *s, const char *key, const char *d, struct hutch_err *err)
{
	static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",	    "kernel.msgmni",
					  "kernel.sem",	   "kernel.shmall",	    "kernel.shmmax",
					  "kernel.shmmni", "kernel.shm_rmid_forced"};
	bool is_ipc = strncmp(d, "fs.mqueue.", 10) == 0;
	for (size_t i = 0; !is_ipc && i < ARRAY_SIZE(ipc); i++)
		is_ipc = strcmp(d, ipc[i]) == 0;
	if (is_ipc) {
		if (!has_ns(s, CLONE_NEWIPC))
			return err_set(err, EPERM,
				       "sysctl '%s': not allowed in the host's ipc namespace", key);
		return 0;
	}
	if (strncmp(d, "net.", 4) == 0) {
		if (!has_ns(s, CLONE_NEWNET))
			return err_set(err, EPERM,
				       "sysctl '%s': not allowed in the host's network namespace",
				       key);
		return 0;
	}
	if (strcmp(d, "kernel.hostname") == 0 || strcmp(d, "kernel.domainname") == 0) {
		if (!has_ns(s, CLONE_NEWUTS))
			return err_set(err, EPERM,
				       "sysctl '%s': not allowed in the host's uts namespace", key);
		return 0;
	}
	return err_set(err, EPERM, "sysctl '%s': not in a separate kernel namespace", key);
}

int sysctl_validate(const struct spec *spec, struct hutch_err *err)
{
	char dotted[SYSCTL_KEY_MAX], path[SYSCTL_KEY_MAX];
	for (size_t i = 0; i < spec->linux.n_sysctl; i++) {
		const char *key = spec->linux.sysctl[i].key;
		int r = key_to_path(key, dotted, path, err);
		if (r == 0)
			r = check_key(spec, key, dotted, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int sysctl_apply(int rootfd, const struct spec *spec, struct hutch_err *err)
{
	if (spec->linux.n_sysctl == 0)
		return 0;
	/* rootfs_setup ran sysctl_validate before any mount: keys are known good here. */
	_cleanup_close_ int dir = open_in_root(rootfd, "/proc/sys", O_PATH | O_DIRECTORY, 0);
	if (dir < 0)
		return err_set_errno(err, -dir, "sysctl: open '/proc/sys'");
	/* Only the real procfs: a directory faked by the image must not take the values. */
	struct statfs sfs;
	if (fstatfs(dir, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return err_set(err, EINVAL, "sysctl: '/proc/sys' is not procfs");
	char dotted[SYSCTL_KEY_MAX], path[SYSCTL_KEY_MAX];
	for (size_t i = 0; i < spec->linux.n_sysctl; i++) {
		const struct spec_key_value *kv = &spec->linux.sysctl[i];
		int r = key_to_path(kv->key, dotted, path, err);
		if (r < 0)
			return r;
		struct open_how how = {
		    .flags = O_WRONLY | O_CLOEXEC | O_NOCTTY,
		    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			       RESOLVE_NO_XDEV,
		};
		_cleanup_close_ int fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
		if (fd < 0)
			return err_set_errno(err, errno, "sysctl '%s'", kv->key);
		r = write_full(fd, kv->value, strlen(kv->value));
		if (r < 0)
			return err_set_errno(err, -r, "sysctl '%s' = '%.64s'", kv->key, kv->value);
	}
	return 0;
}
