/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OCI mount options → MS_* flags, mount_setattr attributes, propagation and a data string.
 *
 * Trust boundary: the option strings come straight from config.json. Their number and the
 * length of the resulting data string are capped, and nothing here touches the kernel.
 */
#include <string.h>
#include <sys/mount.h>

#include "err.h"
#include "fs-internal.h"
#include "rootfs.h"

enum opt_kind {
	OPT_FLAG,      /* set flag (clear it from .clear) */
	OPT_CLEAR,     /* clear flag (record it in .clear) */
	OPT_PROP,      /* propagation */
	OPT_REC_SET,   /* recursive mount attribute to set */
	OPT_REC_CLR,   /* recursive mount attribute to clear */
	OPT_REC_ATIME, /* recursive atime mode */
	OPT_BIND,
	OPT_RBIND,
	OPT_IDMAP,
	OPT_RIDMAP,
	OPT_TMPCOPYUP,
	OPT_IGNORE,
};

struct opt_def {
	const char *name;
	enum opt_kind kind;
	unsigned long value;
};

/* Sorted only for the reader; looked up linearly (about 60 entries, a few options each). */
static const struct opt_def opt_table[] = {
    {"defaults", OPT_IGNORE, 0},
    {"ro", OPT_FLAG, MS_RDONLY},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_FLAG, MS_NOSUID},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_FLAG, MS_NODEV},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_FLAG, MS_NOEXEC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_FLAG, MS_SYNCHRONOUS},
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_FLAG, MS_DIRSYNC},
    {"remount", OPT_FLAG, MS_REMOUNT},
    {"mand", OPT_FLAG, MS_MANDLOCK},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_FLAG, MS_NOATIME},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_FLAG, MS_NODIRATIME},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_FLAG, MS_RELATIME},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_FLAG, MS_STRICTATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"lazytime", OPT_FLAG, MS_LAZYTIME},
    {"nolazytime", OPT_CLEAR, MS_LAZYTIME},
    {"silent", OPT_FLAG, MS_SILENT},
    {"loud", OPT_CLEAR, MS_SILENT},
    {"nosymfollow", OPT_FLAG, MS_NOSYMFOLLOW},
    {"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
    {"bind", OPT_BIND, 0},
    {"rbind", OPT_RBIND, 0},
    {"private", OPT_PROP, MS_PRIVATE},
    {"rprivate", OPT_PROP, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROP, MS_SHARED},
    {"rshared", OPT_PROP, MS_SHARED | MS_REC},
    {"slave", OPT_PROP, MS_SLAVE},
    {"rslave", OPT_PROP, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROP, MS_UNBINDABLE},
    {"runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC},
    {"rro", OPT_REC_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_REC_CLR, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID},
    {"rsuid", OPT_REC_CLR, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV},
    {"rdev", OPT_REC_CLR, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC},
    {"rexec", OPT_REC_CLR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", OPT_REC_CLR, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", OPT_REC_CLR, MOUNT_ATTR_NOSYMFOLLOW},
    {"rrelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME},
    {"rnorelatime", OPT_REC_ATIME, MOUNT_ATTR_RELATIME | REC_ATIME_NEGATED},
    {"rnoatime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME},
    {"ratime", OPT_REC_ATIME, MOUNT_ATTR_NOATIME | REC_ATIME_NEGATED},
    {"rstrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", OPT_REC_ATIME, MOUNT_ATTR_STRICTATIME | REC_ATIME_NEGATED},
    {"idmap", OPT_IDMAP, 0},
    {"ridmap", OPT_RIDMAP, 0},
    {"tmpcopyup", OPT_TMPCOPYUP, 0},
};

static const struct opt_def *opt_lookup(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(opt_table); i++)
		if (strcmp(opt_table[i].name, s) == 0)
			return &opt_table[i];
	return NULL;
}

bool mount_opt_is_known(const char *s)
{
	return opt_lookup(s) != NULL;
}

/* Appends one unknown option to the data string, comma-separated, within the cap. */
static int data_append(char *buf, size_t *len, const char *s, struct hutch_err *err)
{
	size_t n = strlen(s);
	size_t need = *len + (*len ? 1 : 0) + n;
	if (need > MOUNT_OPTS_DATA_MAX)
		return err_set(err, E2BIG, "mount data longer than %d bytes", MOUNT_OPTS_DATA_MAX);
	if (*len)
		buf[(*len)++] = ',';
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
	return 0;
}

/*
 * An atime mode is one value of a field, not a bit: "ratime" (negated rnoatime) and the other
 * negated forms fall back to relatime, which is what the kernel gives a mount by default.
 */
static void rec_atime(struct mount_opts *o, unsigned long v)
{
	o->rec_attr_clr |= MOUNT_ATTR__ATIME;
	o->rec_attr_set &= ~(uint64_t)MOUNT_ATTR__ATIME;
	if (!(v & REC_ATIME_NEGATED))
		o->rec_attr_set |= v & MOUNT_ATTR__ATIME;
}

static void apply_opt(struct mount_opts *o, const struct opt_def *d)
{
	switch (d->kind) {
	case OPT_FLAG:
		o->flags |= d->value;
		o->clear &= ~d->value;
		break;
	case OPT_CLEAR:
		o->clear |= d->value;
		o->flags &= ~d->value;
		break;
	case OPT_PROP:
		o->propagation = d->value;
		if (d->value & MS_REC)
			o->recursive = true;
		break;
	case OPT_REC_SET:
		o->rec_attr_set |= d->value;
		o->rec_attr_clr &= ~(uint64_t)d->value;
		o->recursive = true;
		break;
	case OPT_REC_CLR:
		o->rec_attr_clr |= d->value;
		o->rec_attr_set &= ~(uint64_t)d->value;
		o->recursive = true;
		break;
	case OPT_REC_ATIME:
		rec_atime(o, d->value);
		o->recursive = true;
		break;
	case OPT_BIND:
		o->bind = true;
		break;
	case OPT_RBIND:
		o->bind = true;
		o->rbind = true;
		o->recursive = true;
		break;
	case OPT_IDMAP:
		o->idmap = true;
		break;
	case OPT_RIDMAP:
		o->idmap = true;
		o->idmap_recursive = true;
		o->recursive = true;
		break;
	case OPT_TMPCOPYUP:
		o->tmpcopyup = true;
		break;
	case OPT_IGNORE:
		break;
	}
}

int mount_opts_parse(char *const *options, struct mount_opts *ret, struct hutch_err *err)
{
	struct mount_opts o = {0};
	char data[MOUNT_OPTS_DATA_MAX + 1];
	size_t dlen = 0;
	size_t n = 0;

	data[0] = '\0';
	for (; options && options[n]; n++) {
		const char *s = options[n];
		if (n >= MOUNT_OPTS_MAX)
			return err_set(err, E2BIG, "more than %d mount options", MOUNT_OPTS_MAX);
		if (!*s)
			continue;
		const struct opt_def *d = opt_lookup(s);
		if (d) {
			apply_opt(&o, d);
			continue;
		}
		int r = data_append(data, &dlen, s, err);
		if (r < 0)
			return r;
	}
	if (dlen) {
		o.data = strdup(data);
		if (!o.data)
			return err_set_errno(err, ENOMEM, "mount options");
	}
	*ret = o;
	return 0;
}

void mount_opts_release(struct mount_opts *o)
{
	if (!o)
		return;
	free(o->data);
	o->data = NULL;
}
