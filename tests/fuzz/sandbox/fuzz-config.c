/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: bytes -> a sandbox config file (hutch.json) -> the settings of one command ->
 * sandbox_opts -> the environment filter and the OCI spec builder, which parse the --mount,
 * --tmpfs and --env strings a config file carries. Everything a project file can say passes
 * through here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/config.h"
#include "spec/spec.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void release_opts(struct sandbox_opts *o)
{
	strv_free(o->mounts);
	strv_free(o->tmpfs);
	strv_free(o->env);
	strv_free(o->env_allow);
	strv_free(o->env_block);
	strv_free(o->cap_add);
}

static void build(const struct sandbox_settings *s)
{
	struct sandbox_opts o = { .agent = "/bin/true" };
	if (sandbox_settings_to_opts(s, &o, NULL) < 0)
		goto out;
	/* A seccomp file is read by path: a FIFO there would hang the fuzzer, not find bugs. */
	o.seccomp = "unconfined";
	static char *host_env[] = { "LANG=C", "TERM=xterm", "GITHUB_TOKEN=x", "HOME=/root", NULL };
	char **env = NULL;
	if (sandbox_filter_env(&o, host_env, &env, NULL) == 0)
		strv_free(env);
	struct spec *spec = NULL;
	if (sandbox_build_spec(&o, &spec, NULL) == 0)
		spec_free(spec);
out:
	release_opts(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct sandbox_config_file *f = NULL;
	if (sandbox_config_parse(text, size, "fuzz.json", "/nonexistent-fuzz", &f, NULL) == 0) {
		/* Each profile in turn (by name), then profile selection by command. */
		for (size_t i = 0; i <= f->n_profiles; i++) {
			struct sandbox_settings s = { 0 };
			const char *name = i < f->n_profiles ? f->profile_names[i] : NULL;
			if (sandbox_config_resolve(&f, 1, name, "/usr/bin/claude", &s, NULL, NULL) == 0) {
				free(sandbox_settings_to_json(&s, NULL, name, "/w"));
				build(&s);
			}
			sandbox_settings_release(&s);
		}
		sandbox_config_file_free(f);
	}
	free(text);
	return 0;
}
