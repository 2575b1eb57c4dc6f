/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"
#include "hutch/hutch.h"
#include "macro.h"

_public_ const char *hutch_version(void)
{
	return HUTCH_VERSION;
}

_public_ const char *hutch_err_message(const struct hutch_err *err)
{
	if (!err || err->code == 0)
		return "no error";
	return err->msg;
}
