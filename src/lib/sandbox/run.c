/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One sandbox's life on the engine: the agent's listening socket is made here (outside the
 * sandbox, in a 0700 directory) and handed to the agent as fd 3, so workloads never see it;
 * then create and start in one step, connect, and on the way out delete (which kills
 * everything left).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "log.h"
#include "client/client.h"
#include "engine/container.h"
#include "err.h"
#include "path.h"
#include "sandbox/pathfs-launch.h"
#include "sandbox/run.h"

void sandbox_new_id(char ret[SANDBOX_ID_MAX])
{
	uint8_t b[6];
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		memset(b, 0, sizeof(b));
	snprintf(ret, SANDBOX_ID_MAX, "sb-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

static int socket_path(const char *root, const char *id, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/agents/%s.sock", root, id);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* A listening socket at <root>/agents/<id>.sock, moved to fd 3 without close-on-exec. */
static int make_agent_socket(const char *root, const char *id, struct hutch_err *err)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	if (socket_path(root, id, path, sizeof(path)) < 0)
		return err_set(err, ENAMETOOLONG, "state root '%s' is too long for a socket path", root);
	_cleanup_free_ char *dir = path_join(root, "agents");
	int r = dir ? mkdir_p(dir, 0700) : -ENOMEM;
	if (r < 0)
		return err_set_errno(err, -r, "create '%s'", dir ? dir : root);
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	unlink(path);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 64) < 0)
		return err_set_errno(err, errno, "agent socket '%s'", path);
	chmod(path, 0600);
	if (s != 3 && dup2(s, 3) < 0)
		return err_set_errno(err, errno, "agent socket fd");
	if (s == 3)
		s = -1;
	fcntl(3, F_SETFD, 0);
	return 0;
}

/* A connection to the agent's listening socket, made before the agent runs (see run.h). */
static int connect_early(const char *root, const char *id, struct hutch_agent **ret,
			 struct hutch_err *err)
{
	char path[108];
	socket_path(root, id, path, sizeof(path));
	return client_connect_path(path, NULL, true, ret, err);
}

/* Everything after the agent's socket: the engine container, created and started. */
static int create_and_start(const char *root, const char *id, struct spec *spec, bool one_shot,
			    struct sandbox_started *ret, struct hutch_err *err)
{
	struct sandbox_rules_run rules;
	int r = sandbox_rules_prepare(spec, &rules, err);
	if (r < 0) {
		sandbox_rules_done(&rules);
		close(3);
		return err_prefix(err, "sandbox '%s'", id);
	}
	struct create_opts co = { .bundle = root, .spec = spec, .preserve_fds = 1,
				  .cgroup_best_effort = true, .die_with_parent = one_shot,
				  .start = true };
	struct created cr;
	r = container_create(root, id, &co, &cr, err);
	/* The agent runs already; the path-rule servers are charged to us until they join. */
	if (r >= 0)
		sandbox_rules_join_cgroups(&rules, spec, id);
	/* The sandbox holds its own copies of the mounts now (or failed): the host's go. */
	sandbox_rules_done(&rules);
	if (r >= 0) {
		ret->no_limits = cr.no_cgroup;
		ret->init = cr.pid;
	}
	close(3); /* the agent has it now */
	return r;
}

int sandbox_start(const char *root, const char *id, struct spec *spec, bool one_shot,
		  sandbox_early_fn early, void *userdata, struct sandbox_started *ret,
		  struct hutch_err *err)
{
	/* The agent's socket takes fd 3 first: what the rules open must not be there. */
	int r = make_agent_socket(root, id, err);
	if (r < 0)
		return r;
	struct hutch_agent *a = NULL;
	if ((r = connect_early(root, id, &a, err)) < 0 || (early && (r = early(a, userdata, err)) < 0)) {
		close(3);
		hutch_agent_close(a);
		sandbox_cleanup(root, id);
		return err_prefix(err, "sandbox '%s'", id);
	}
	*ret = (struct sandbox_started){ 0 };
	if ((r = create_and_start(root, id, spec, one_shot, ret, err)) < 0) {
		hutch_agent_close(a);
		sandbox_cleanup(root, id);
		return r;
	}
	ret->agent = a;
	return 0;
}

void sandbox_cleanup_one_shot(const char *root, const char *id, const struct sandbox_started *s)
{
	/* Our unreaped child (one_shot): the pid cannot have been reused. */
	if (s->init > 0)
		kill(s->init, SIGKILL);
	sandbox_cleanup(root, id);
}

void sandbox_cleanup(const char *root, const char *id)
{
	container_delete(root, id, true, NULL);
	char path[108];
	if (socket_path(root, id, path, sizeof(path)) == 0)
		unlink(path);
}

int sandbox_exit_code(const struct hutch_exit *e)
{
	if (e->timed_out)
		return SANDBOX_EXIT_TIMEOUT;
	if (e->reserve_killed)
		return SANDBOX_EXIT_DISK_RESERVE;
	if (e->exited)
		return e->code;
	return 128 + e->signal;
}
