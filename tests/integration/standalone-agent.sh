#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hutch-agent standalone inside a Docker container: a private dockerd (helpers/dockerd.sh) runs
#   docker run -d -v $DIR:/hutch busybox:hutch-test /hutch/hutch-agent --listen /hutch/sock
# with the static agent copied into $DIR, and the host drives it through the socket in $DIR:
# `hutch exec --socket` (when this build has it; else agentctl), the library (agentctl and
# examples/example.c): exec with passed fds, exit codes, sessions, background processes, file
# operations, and a token that must be given. Every test removes its container, even on
# failure; the daemon goes when the file ends. Skips if dockerd cannot start.
#
# The container runs under Docker's default runtime (runc): what is tested is the agent
# inside someone else's container, not hutch-oci.
OCI_RUNTIME=${OCI_RUNTIME:-/usr/sbin/runc}
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

AGENT=$HUTCH_BUILD/src/agent/hutch-agent
CTL=$HUTCH_BUILD/tests/unit/agent/agentctl
EXAMPLE=$TESTS_DIR/../examples/example.c
TEST_DEADLINE=90

need_all() {
	need_daemon
	[ -x "$AGENT" ] || skip "hutch-agent not built at $AGENT"
	[ -x "$CTL" ] || skip "agentctl not built at $CTL"
	file -L "$AGENT" | grep -q 'statically linked' ||
		skip "hutch-agent is not static (sanitizer build?): it cannot run in a busybox image"
}

# Starts a container running the agent on $D/sock ($D is bind-mounted at /hutch). With a
# token, the agent reads it from a file in $D, which is removed once the agent has it.
start_container() { # [token]
	need_all
	D=$T/hutch
	mkdir -p "$D"
	cp "$AGENT" "$D/hutch-agent"
	CNAME=hutch-sa-$$-$RANDOM
	trap stop_container EXIT
	local cmd=(/hutch/hutch-agent --listen /hutch/sock --stop-timeout 1)
	if [ -n "${1:-}" ]; then
		(umask 077; echo "$1" >"$D/token")
		cmd=(sh -c 'exec /hutch/hutch-agent --listen /hutch/sock --stop-timeout 1 --token-stdin </hutch/token')
	fi
	docker_ run -d --name "$CNAME" --network none -v "$D:/hutch" "$DOCKER_IMAGE" "${cmd[@]}" \
		>/dev/null || fail "docker run failed"
	for _ in $(seq 200); do
		[ -S "$D/sock" ] && break
		sleep 0.05
	done
	rm -f "$D/token"
	[ -S "$D/sock" ] || fail "agent socket did not appear; logs: $(docker_ logs "$CNAME" 2>&1 | tail -5)"
	SOCK=$D/sock
}

stop_container() {
	[ -n "${CNAME:-}" ] || return 0
	docker_ rm -f "$CNAME" >/dev/null 2>&1 || true
	CNAME=
}

ctl() { "$CTL" "$SOCK" "$@"; }

# hutch exec --socket if this build has it, else the library through agentctl.
have_cli_exec() { [ -x "$HUTCH" ] && "$HUTCH" exec --help 2>&1 | grep -q -- '--socket'; }
sa_exec() { # args... (stdin passed)
	if have_cli_exec; then
		"$HUTCH" exec -i --socket "$SOCK" -- "$@"
	else
		ctl exec -- "$@"
	fi
}

t_exec_runs_inside_the_container() {
	start_container
	have_cli_exec && echo "using hutch exec --socket" || echo "using agentctl (no hutch exec --socket)"
	# PID 1 of the container is the agent; the files are the busybox image's, not the host's
	expect_eq "$(sa_exec cat /proc/1/comm)" "hutch-agent"
	expect_eq "$(sa_exec sh -c 'readlink /bin/ls')" "/bin/busybox"
	expect_eq "$(sa_exec sh -c 'test -e /usr/bin/dpkg && echo host || echo container')" "container"
	expect_eq "$(sa_exec hostname)" "$(docker_ inspect -f '{{.Config.Hostname}}' "$CNAME")"
	local rc=0
	sa_exec sh -c 'exit 3' || rc=$?
	expect_eq "$rc" 3
	rc=0
	sa_exec sh -c 'kill -KILL $$' || rc=$?
	expect_eq "$rc" 137
	expect_fail sa_exec /no/such/command
}

t_exec_passes_fds() {
	start_container
	# The process in the container writes to the host's pipe itself: no relay.
	ctl exec --print-own-fd1 -- readlink /proc/self/fd/1 2>"$T/own" | cat >"$T/child"
	expect_contains "$(cat "$T/own")" "pipe:["
	expect_eq "$(cat "$T/child")" "$(cat "$T/own")" "child stdout is the host client's pipe"
	expect_eq "$(echo piped | sa_exec cat)" "piped"
	# stderr apart from stdout
	sa_exec sh -c 'echo out; echo err >&2' >"$T/o" 2>"$T/e"
	expect_eq "$(cat "$T/o")" "out"
	expect_eq "$(cat "$T/e")" "err"
	# captured output and a timeout through the library
	expect_eq "$(ctl run --stdin 'from the host' -- cat)" "from the host"
	local rc=0
	ctl run --timeout 300 -- sleep 30 || rc=$?
	expect_eq "$rc" 137
}

t_sessions_and_background() {
	start_container
	local s id rc=0
	s=$(ctl session-new)
	ctl session-exec "$s" 'cd /tmp && export FOO=bar'
	expect_eq "$(ctl session-exec "$s" 'pwd; echo $FOO')" "/tmp
bar"
	ctl session-exec "$s" 'echo e >&2; exit 4' 2>"$T/e" || rc=$?
	expect_eq "$rc" 4
	expect_eq "$(cat "$T/e")" "e"
	ctl session-close "$s"
	# a detached process outlives its client; its output is replayed later
	id=$(ctl spawn --tag bg -- sh -c 'echo one; sleep 0.2; echo two')
	expect_contains "$(ctl list)" "tag=bg"
	rc=0
	ctl wait "$id" || rc=$?
	expect_eq "$rc" 0
	expect_eq "$(ctl attach "$id")" "one
two"
	ctl release "$id"
}

t_example_program() {
	start_container
	command -v cc >/dev/null || skip "no C compiler"
	[ -e "$HUTCH_BUILD/src/lib/libhutch.so" ] || skip "libhutch.so not built"
	cc -I"$TESTS_DIR/../include" "$EXAMPLE" -L"$HUTCH_BUILD/src/lib" -lhutch \
		-Wl,-rpath,"$HUTCH_BUILD/src/lib" -o "$T/example" || fail "example.c does not build"
	local out
	out=$("$T/example" "$SOCK") || fail "example failed: $out"
	expect_contains "$out" "stdout: hello from Linux"
	expect_contains "$out" "exit code: 3"
	expect_contains "$out" "session[1] exit 0: hi from /tmp"
}

t_file_ops() {
	start_container
	# Paths are the container's: /root of the busybox image, not the host's /root.
	local p=/root/sa-$$-$RANDOM
	ctl mkdir -p "$p/a/b"
	ctl write "$p/a/f" "written from the host" 0640
	[ ! -e "$p" ] || fail "file op reached the host's $p"
	expect_eq "$(docker_ exec "$CNAME" cat "$p/a/f")" "written from the host"
	expect_eq "$(ctl read "$p/a/f")" "written from the host"
	expect_contains "$(ctl stat "$p/a/f")" "type=1 mode=640"
	expect_eq "$(ctl ls "$p/a" | sort | tr '\n' ' ')" "b 2 f 1 "
	ctl mv "$p/a/f" "$p/a/g"
	ctl chmod 600 "$p/a/g"
	expect_eq "$(docker_ exec "$CNAME" stat -c %a "$p/a/g")" "600"
	ctl open-write "$p/h" "through an fd"
	expect_eq "$(ctl open-read "$p/h")" "through an fd"
	ctl rm -r "$p"
	expect_fail docker_ exec "$CNAME" test -e "$p"
}

t_token_required() {
	start_container "tok-$RANDOM$RANDOM"
	local tok
	tok=$(docker_ exec "$CNAME" cat /proc/1/cmdline | tr '\0' ' ')
	expect_not_contains "$tok" "tok-" "the token is not on the agent's command line"
	tok=$(docker_ inspect -f '{{.Args}}' "$CNAME")
	expect_not_contains "$tok" "tok-"
	expect_fail ctl run -- true
	expect_contains "$OUT" "needs a token"
	expect_fail "$CTL" --token nope "$SOCK" run -- true
	expect_contains "$OUT" "wrong token"
}

# The token itself: set by the test, so it is known here (and given to the client).
t_token_accepted() {
	local secret="s3cret-$RANDOM"
	start_container "$secret"
	expect_eq "$("$CTL" --token "$secret" "$SOCK" run -- echo ok)" "ok"
	if have_cli_exec; then
		(umask 077; echo "$secret" >"$T/tokfile")
		expect_eq "$("$HUTCH" exec --socket "$SOCK" --token-file "$T/tokfile" -- echo cli)" "cli"
		echo wrong >"$T/badtok"
		expect_fail "$HUTCH" exec --socket "$SOCK" --token-file "$T/badtok" -- echo cli
	fi
}

t_docker_stop_ends_the_agent() {
	start_container
	ctl spawn -- sh -c 'trap "" TERM; sleep 1000' >/dev/null
	local t0=$SECONDS
	docker_ stop -t 10 "$CNAME" >/dev/null
	[ $((SECONDS - t0)) -lt 8 ] || fail "the agent did not stop on SIGTERM (docker waited for the kill)"
	expect_eq "$(docker_ inspect -f '{{.State.ExitCode}}' "$CNAME")" "0"
	[ ! -e "$D/sock" ] || fail "socket left behind"
}

docker_setup
with_deadlines
run_tests
