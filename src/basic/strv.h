/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string vectors (argv, env, mount options). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

size_t strv_length(char *const *v);
void strv_free(char **v);
static inline void strv_freep(char ***v)
{
	strv_free(*v);
}
#define _cleanup_strv_ __attribute__((cleanup(strv_freep)))

/* Appends a copy of s; returns 0 or -ENOMEM. *v may be NULL. */
int strv_push(char ***v, const char *s);
/* Appends s itself (takes ownership, also on failure); returns 0 or -ENOMEM. */
int strv_consume(char ***v, char *s);
char **strv_copy(char *const *v);
bool strv_contains(char *const *v, const char *s);
/* For "KEY=VALUE" vectors: the entry whose key is `key` (given as "KEY"), or NULL. */
const char *strv_env_get(char *const *v, const char *key);
/* Sets KEY=VALUE from `assignment`, replacing an entry with the same key. */
int strv_env_set(char ***v, const char *assignment);
