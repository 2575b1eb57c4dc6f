/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Driving a sandbox pty from our terminal (hutch exec -t). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "hutch/hutch.h"

/* Our terminal's size (24x80 when stdin is no terminal). */
void pty_winsize(unsigned *rows, unsigned *cols);

/*
 * Pumps the pty master to our stdout, and with relay_stdin our stdin to it (our terminal in
 * raw mode meanwhile), until the pty hangs up. SIGWINCH must be blocked by the caller: it is
 * read here and turned into a resize of process id on conn (which nobody else may use while
 * this runs).
 */
void pty_relay(int master, bool relay_stdin, struct hutch_agent *conn, uint32_t id);
