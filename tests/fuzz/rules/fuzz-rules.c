/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes the path rules parsers and the matcher (src/lib/rules/rules.c): the input is a
 * rules file (JSON) or, after a first line "#lines", one-line rules; every rule parsed is
 * then matched against paths taken from the input, exercising the glob DP with hostile
 * patterns, and the text form must round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

static void probe(const struct rule_set *s, const char *path)
{
	(void)rule_set_access(s, path, RULE_ACCESS_WRITE);
	(void)rule_set_has_rules_below(s, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct rule_set s = { .default_access = RULE_ACCESS_LAYOUT };
	struct hutch_err err = { 0 };
	if (strncmp(text, "#lines\n", 7) == 0) {
		for (char *save = NULL, *l = strtok_r(text + 7, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			rule_set_add_text(&s, l, &err);
	} else {
		rule_set_add_json(&s, text, size, "fuzz", &err);
	}
	for (size_t i = 0; i < s.n; i++) {
		char *t = rule_to_text(&s.rules[i]);
		struct rule_set back = { 0 };
		if (t && rule_set_add_text(&back, t, &err) == 0 &&
		    strcmp(back.rules[0].pattern, s.rules[i].pattern) != 0)
			abort(); /* the one-line form must round-trip */
		rule_set_release(&back);
		free(t);
		probe(&s, s.rules[i].pattern);
	}
	probe(&s, "/work/a/b/c.pem");
	probe(&s, "/");
	/* The input itself as a path (normalised first, as the server would see it). */
	char norm[RULE_PATTERN_MAX + 8];
	memcpy(text, data, size);
	text[size] = '\0';
	if (rule_normalise(text, norm, sizeof(norm), &err) == 0)
		probe(&s, norm);
	rule_set_release(&s);
	free(text);
	return 0;
}
