/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

size_t strv_length(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int strv_consume(char ***v, char *s)
{
	if (!s)
		return -ENOMEM;
	size_t n = strv_length(*v);
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[n] = s;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

int strv_push(char ***v, const char *s)
{
	return strv_consume(v, strdup(s));
}

char **strv_copy(char *const *v)
{
	size_t n = strv_length(v);
	char **c = calloc(n + 1, sizeof(char *));
	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i]) {
			strv_free(c);
			return NULL;
		}
	}
	return c;
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool env_key_matches(const char *entry, const char *key, size_t keylen)
{
	return strncmp(entry, key, keylen) == 0 && entry[keylen] == '=';
}

const char *strv_env_get(char *const *v, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 0; v && v[i]; i++)
		if (env_key_matches(v[i], key, kl))
			return v[i] + kl + 1;
	return NULL;
}

int strv_env_set(char ***v, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	size_t kl = eq ? (size_t)(eq - assignment) : strlen(assignment);
	for (size_t i = 0; *v && (*v)[i]; i++) {
		if (env_key_matches((*v)[i], assignment, kl)) {
			char *c = strdup(assignment);
			if (!c)
				return -ENOMEM;
			free((*v)[i]);
			(*v)[i] = c;
			return 0;
		}
	}
	return strv_push(v, assignment);
}
