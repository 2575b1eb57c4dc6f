/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding a sandbox by id, prefix or name, and reaching its agent. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/state.h"
#include "err.h"
#include "path.h"
#include "sandbox/store.h"

char *sandbox_agent_socket(const char *root, const char *id)
{
	char *p = NULL;
	if (asprintf(&p, "%s/agents/%s.sock", root, id) < 0)
		return NULL;
	return p;
}

static bool is_sandbox_dir(const char *root, const char *id)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", root, id);
	return container_id_valid(id) && strncmp(id, "sb-", 3) == 0 && lstat(path, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* A name: <root>/names/<name> → id. */
static int by_name(const char *root, const char *name, char ret_id[SANDBOX_ID_MAX])
{
	if (!container_id_valid(name))
		return -ENOENT;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/names/%s", root, name);
	ssize_t n = readlink(path, ret_id, SANDBOX_ID_MAX - 1);
	if (n <= 0)
		return -ENOENT;
	ret_id[n] = '\0';
	return is_sandbox_dir(root, ret_id) ? 0 : -ENOENT;
}

/* A unique prefix of an id ("sb-1a2b" or just "1a2b"). -EEXIST if ambiguous. */
static int by_prefix(const char *root, const char *prefix, char ret_id[SANDBOX_ID_MAX])
{
	char want[SANDBOX_ID_MAX + 4];
	snprintf(want, sizeof(want), "%s%s", strncmp(prefix, "sb-", 3) == 0 ? "" : "sb-", prefix);
	size_t wl = strlen(want);
	if (wl <= 3)
		return -ENOENT;
	DIR *d = opendir(root);
	if (!d)
		return -ENOENT;
	int found = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, want, wl) != 0 || !is_sandbox_dir(root, de->d_name))
			continue;
		if (found++)
			break;
		snprintf(ret_id, SANDBOX_ID_MAX, "%s", de->d_name);
	}
	closedir(d);
	return found == 1 ? 0 : found ? -EEXIST : -ENOENT;
}

int sandbox_resolve(const char *root, const char *id_or_name, char ret_id[SANDBOX_ID_MAX],
		    struct hutch_err *err)
{
	if (!id_or_name || !*id_or_name || strlen(id_or_name) >= 256)
		return err_set(err, EINVAL, "invalid sandbox id or name");
	if (is_sandbox_dir(root, id_or_name) && strlen(id_or_name) < SANDBOX_ID_MAX) {
		snprintf(ret_id, SANDBOX_ID_MAX, "%s", id_or_name);
		return 0;
	}
	if (by_name(root, id_or_name, ret_id) == 0)
		return 0;
	int r = by_prefix(root, id_or_name, ret_id);
	if (r == -EEXIST)
		return err_set(err, EEXIST, "'%s' matches more than one sandbox", id_or_name);
	if (r < 0)
		return err_set(err, ENOENT, "sandbox '%s' does not exist", id_or_name);
	return 0;
}

int sandbox_connect(const char *root, const char *id_or_name, struct hutch_agent **ret,
		    char ret_id[SANDBOX_ID_MAX], struct hutch_err *err)
{
	char id[SANDBOX_ID_MAX];
	int r = sandbox_resolve(root, id_or_name, id, err);
	if (r < 0)
		return r;
	if (ret_id)
		memcpy(ret_id, id, SANDBOX_ID_MAX);
	_cleanup_free_ char *sock = sandbox_agent_socket(root, id);
	if (!sock)
		return err_set(err, ENOMEM, "out of memory");
	r = hutch_agent_connect(sock, NULL, ret, err);
	if (r == -ECONNREFUSED || r == -ENOENT)
		return err_set(err, ESRCH, "sandbox '%s' is not running", id_or_name);
	return r < 0 ? err_prefix(err, "sandbox '%s'", id_or_name) : 0;
}
