#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The public C library as a user sees it: libhutch.so exports only hutch_* symbols (exactly the
# functions of include/hutch/hutch.h), and examples/example.c builds with
# `pkg-config --cflags --libs hutch` against an install into a temp prefix and works against a
# `hutch-agent --listen` on the host.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIB=$HUTCH_BUILD/src/lib/libhutch.so
AGENT=$HUTCH_BUILD/src/agent/hutch-agent
HEADER=$TESTS_DIR/../include/hutch/hutch.h
EXAMPLE=$TESTS_DIR/../examples/example.c

need() {
	[ -e "$LIB" ] || skip "libhutch not built at $LIB"
	command -v nm >/dev/null || skip "nm not installed (binutils)"
}

exported() { nm -D --defined-only "$LIB" | awk '{print $3}' | sort -u; }

# The functions hutch.h declares: identifiers directly followed by '(' after a return type.
declared() {
	sed 's|/\*.*\*/||' "$HEADER" | grep -oE '\bhutch_[a-z0-9_]+\(' | tr -d '(' |
		grep -v '_fn$' | sort -u
}

t_only_hutch_symbols_exported() {
	need
	local all bad
	all=$(exported)
	[ -n "$all" ] || fail "no exported symbols at all"
	bad=$(echo "$all" | grep -v '^hutch_' || true)
	[ -z "$bad" ] || fail "symbols outside hutch_*: $(echo $bad)"
	echo "$(echo "$all" | wc -l) symbols, all hutch_*"
}

t_exports_match_header() {
	need
	local missing extra
	missing=$(comm -13 <(exported) <(declared))
	[ -z "$missing" ] || fail "declared in hutch.h but not exported: $(echo $missing)"
	extra=$(comm -23 <(exported) <(declared))
	[ -z "$extra" ] || fail "exported but not in hutch.h: $(echo $extra)"
}

# Installs the build into $T/inst and sets up pkg-config to find it there.
install_tmp() {
	need
	command -v pkg-config >/dev/null || skip "pkg-config not installed"
	command -v cc >/dev/null || skip "no C compiler"
	meson install -C "$HUTCH_BUILD" --destdir "$T/inst" --no-rebuild >"$T/install.log" 2>&1 ||
		fail "meson install: $(tail -5 "$T/install.log")"
	local pc
	pc=$(find "$T/inst" -name hutch.pc | head -1)
	[ -n "$pc" ] || fail "no hutch.pc installed"
	export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$T/inst
	LIBDIR=$(dirname "$(dirname "$pc")")
	[ -e "$LIBDIR/libhutch.so" ] || fail "libhutch.so not installed in $LIBDIR"
	[ -f "$(pkg-config --variable=includedir hutch)/hutch/hutch.h" ] ||
		fail "hutch.h not installed under $(pkg-config --variable=includedir hutch)"
}

build_example() {
	install_tmp
	local flags
	flags=$(pkg-config --cflags --libs hutch) || fail "pkg-config --cflags --libs hutch failed"
	expect_contains "$flags" "-lhutch"
	expect_contains "$flags" "$T/inst"
	# Strict flags: the public header must be clean C for users' builds too.
	# shellcheck disable=SC2086
	cc -std=c99 -Wall -Wextra -Werror -pedantic "$EXAMPLE" $flags -o "$T/example" ||
		fail "example.c does not build with pkg-config's flags"
	# The program must load the library we just installed, not some other one.
	expect_contains "$(LD_LIBRARY_PATH=$LIBDIR ldd "$T/example" | grep libhutch)" "$T/inst"
}

start_agent() { # extra args... (stdin from $AGENT_STDIN)
	[ -x "$AGENT" ] || skip "hutch-agent not built at $AGENT"
	"$AGENT" --listen "$T/sock" --stop-timeout 1 "$@" <"${AGENT_STDIN:-/dev/null}" &
	AGENT_PID=$!
	trap 'kill -TERM $AGENT_PID 2>/dev/null; wait $AGENT_PID 2>/dev/null' EXIT
	for _ in $(seq 100); do
		[ -S "$T/sock" ] && return 0
		sleep 0.02
	done
	fail "agent did not create its socket"
}

t_example_builds_and_runs() {
	build_example
	start_agent
	local out
	out=$(LD_LIBRARY_PATH=$LIBDIR "$T/example" "$T/sock") || fail "example failed: $out"
	echo "$out"
	expect_contains "$out" "libhutch 0."
	expect_contains "$out" "stdout: hello from Linux"
	expect_contains "$out" "stderr: oops"
	expect_contains "$out" "exit code: 3"
	# the second session command sees the first one's cd and export
	expect_contains "$out" "session[0] exit 0: "
	expect_contains "$out" "session[1] exit 0: hi from /tmp"
}

t_example_with_token() {
	build_example
	echo "t0ken" >"$T/token"
	AGENT_STDIN=$T/token start_agent --token-stdin
	expect_fail env LD_LIBRARY_PATH="$LIBDIR" "$T/example" "$T/sock"
	expect_contains "$OUT" "example: connect: "
	local out
	out=$(HUTCH_TOKEN=t0ken LD_LIBRARY_PATH=$LIBDIR "$T/example" "$T/sock") ||
		fail "example with the token failed: $out"
	expect_contains "$out" "session[1] exit 0: hi from /tmp"
}

t_example_usage_and_bad_socket() {
	build_example
	local rc=0
	LD_LIBRARY_PATH=$LIBDIR "$T/example" >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 2
	expect_fail env LD_LIBRARY_PATH="$LIBDIR" "$T/example" "$T/no-such-socket"
	expect_contains "$OUT" "no-such-socket"
}

run_tests
