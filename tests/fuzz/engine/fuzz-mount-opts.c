/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzzes mount_opts_parse: the input is split into options at '\n' (as config.json would
 * hold them, one string each). Checks the invariants callers rely on: on success data fits
 * the cap and holds no option the table knows; on failure nothing is allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "fs/fs-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* at most one option per byte, plus the terminating NULL */
	char **opts = calloc(size + 2, sizeof(char *));
	if (!opts) {
		free(buf);
		return 0;
	}
	size_t n = 0;
	for (char *s = buf, *e; s; s = e) {
		e = strchr(s, '\n');
		if (e)
			*e++ = '\0';
		opts[n++] = s;
	}
	struct mount_opts o;
	struct hutch_err err = {0};
	int r = mount_opts_parse(opts, &o, &err);
	if (r == 0) {
		if (o.data && strlen(o.data) > MOUNT_OPTS_DATA_MAX)
			abort();
		if (o.rbind && !o.bind)
			abort();
		if (o.idmap_recursive && !o.idmap)
			abort();
		if (o.flags & o.clear)
			abort(); /* one option cannot be both set and cleared */
		if (o.rec_attr_set & o.rec_attr_clr & ~(uint64_t)MOUNT_ATTR__ATIME)
			abort();
		(void)mount_flags_to_attr(o.flags);
		(void)mount_clear_to_attr(o.flags, o.clear);
		mount_opts_release(&o);
	} else if (err.msg[0] == '\0' || strlen(err.msg) >= sizeof(err.msg)) {
		abort();
	}
	free(opts);
	free(buf);
	return 0;
}
