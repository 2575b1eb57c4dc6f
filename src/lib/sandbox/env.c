/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Environment filtering: a sandboxed command sees only allowlisted host variables, minus
 * anything on the blocklist (which wins), plus what the caller sets explicitly. The
 * defaults keep locale, terminal and time zone, and block names that look like secrets.
 */
#include <string.h>

#include "err.h"
#include "glob-match.h"
#include "sandbox/sandbox.h"
#include "strv.h"

static const char *const default_allow[] = {
	"LANG", "LANGUAGE", "LC_*", "TERM", "COLORTERM", "NO_COLOR", "TZ", "COLUMNS", "LINES",
	NULL,
};

static const char *const default_block[] = {
	"*_TOKEN", "*_TOKEN_*", "*TOKEN", "*_SECRET*", "*SECRET", "*_KEY", "*_KEY_*", "*PASSWORD*",
	"*PASSWD*", "*_CREDENTIALS*", "*_AUTH", "AWS_*", "GITHUB_*", "GH_*", "OPENAI_*",
	"ANTHROPIC_*", "GOOGLE_*", "AZURE_*", "HF_*", "HUGGING*", "NPM_*", "DOCKER_*",
	"SSH_AUTH_SOCK", "GPG_*", "KUBECONFIG", "VAULT_*", NULL,
};

static bool matches_any(const char *name, const char *const *globs)
{
	for (size_t i = 0; globs && globs[i]; i++)
		if (glob_match(globs[i], name))
			return true;
	return false;
}

bool sandbox_env_blocked(const struct sandbox_opts *o, const char *name)
{
	return matches_any(name, default_block) ||
	       matches_any(name, (const char *const *)o->env_block);
}

/* The blocklist wins; it is asked second only because most names fail the allowlist, which
 * is the shorter of the two. */
static bool allowed(const struct sandbox_opts *o, const char *name)
{
	bool allow = matches_any(name, default_allow) ||
		     matches_any(name, (const char *const *)o->env_allow);
	return allow && !sandbox_env_blocked(o, name);
}

int sandbox_filter_env(const struct sandbox_opts *o, char *const *host_env, char ***ret,
		       struct hutch_err *err)
{
	_cleanup_strv_ char **env = NULL;
	if (strv_push(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
	    strv_push(&env, "HOME=/work") < 0)
		return err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; host_env && host_env[i]; i++) {
		const char *eq = strchr(host_env[i], '=');
		if (!eq || eq == host_env[i])
			continue;
		char name[256];
		size_t n = (size_t)(eq - host_env[i]);
		if (n >= sizeof(name))
			continue;
		memcpy(name, host_env[i], n);
		name[n] = '\0';
		if (allowed(o, name) && strv_env_set(&env, host_env[i]) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	/* Explicit --env always passes: the caller chose to hand that value over. */
	for (size_t i = 0; o->env && o->env[i]; i++) {
		if (!strchr(o->env[i], '=') || o->env[i][0] == '=')
			return err_set(err, EINVAL, "--env '%s': expected KEY=VALUE", o->env[i]);
		if (strv_env_set(&env, o->env[i]) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	*ret = TAKE_PTR(env);
	return 0;
}
