#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hutch-agent standalone: `hutch-agent --listen $T/sock` on the host, as it runs inside any
# container, driven through the public libhutch API by agentctl (tests/integration/agentctl.c).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

AGENT=$HUTCH_BUILD/src/agent/hutch-agent
CTL=$HUTCH_BUILD/tests/unit/agent/agentctl

need_build() {
	[ -x "$AGENT" ] || skip "hutch-agent not built at $AGENT"
	[ -x "$CTL" ] || skip "agentctl not built at $CTL"
}

# Starts the agent on $T/sock; it is stopped (and checked to leave nothing) when the test ends.
start_agent() { # extra agent args...
	need_build
	"$AGENT" --listen "$T/sock" --stop-timeout 2 "$@" &
	AGENT_PID=$!
	trap stop_agent EXIT
	for _ in $(seq 100); do
		[ -S "$T/sock" ] && return 0
		sleep 0.02
	done
	fail "agent did not create its socket"
}

stop_agent() {
	[ -n "${AGENT_PID:-}" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null || true
	wait "$AGENT_PID" 2>/dev/null || true
	AGENT_PID=
}

ctl() { "$CTL" "$T/sock" "$@"; }

# Waits until a pid is gone (up to ~3 s).
gone() { # pid
	for _ in $(seq 150); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.02
	done
	return 1
}

status_field() { # file key
	tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"
}

t_help_version() {
	need_build
	expect_contains "$("$AGENT" --help)" "--listen PATH"
	expect_contains "$("$AGENT" --version)" "hutch-agent "
	expect_fail "$AGENT"
	expect_fail "$AGENT" --listen a --fd 3
	expect_fail "$AGENT" --listen "$T/s" --stop-timeout abc
}

t_static_and_small() {
	need_build
	file "$AGENT" | grep -qE 'statically linked|static-pie' || skip "agent not static (sanitizer build?)"
	local size rss
	size=$(stat -c %s "$AGENT")
	echo "agent binary: $size bytes"
	[ "$size" -lt 2000000 ] || fail "agent binary is $size bytes"
	start_agent
	ctl run -- true
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
	echo "agent idle RSS: ${rss} kB"
	[ "$rss" -lt 1024 ] || fail "idle RSS ${rss} kB"
}

t_socket_mode_0600() {
	start_agent
	expect_eq "$(stat -c %a "$T/sock")" "600"
}

# A second agent on the socket of a live one is refused, and the first keeps its socket; the
# socket of an agent that is gone is taken over.
t_socket_in_use() {
	start_agent
	set +e
	out=$(timeout 5 "$AGENT" --listen "$T/sock" 2>&1)
	rc=$?
	set -e
	expect_eq "$rc" 1 "second agent on a live socket"
	expect_contains "$out" "in use"
	[ -S "$T/sock" ] || fail "the live agent's socket was removed"
	expect_eq "$("$HUTCH" exec --socket "$T/sock" -- echo still)" still
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null || true
	AGENT_PID=
	[ -S "$T/sock" ] || fail "setup: a killed agent leaves its socket"
	start_agent
	expect_eq "$("$HUTCH" exec --socket "$T/sock" -- echo taken)" taken
}

t_token() {
	need_build
	echo "s3cret" >"$T/token"
	"$AGENT" --listen "$T/sock" --token-stdin <"$T/token" &
	AGENT_PID=$!
	trap stop_agent EXIT
	for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.02; done
	expect_fail ctl run -- true
	expect_contains "$OUT" "needs a token"
	expect_fail "$CTL" --token nope "$T/sock" run -- true
	expect_contains "$OUT" "wrong token"
	expect_eq "$("$CTL" --token s3cret "$T/sock" run -- echo ok)" "ok"
	# hutch exec pipelines its spawn behind the handshake (both sent before any reply): with
	# a wrong token the spawn must not run, and the handshake's error is what is reported.
	echo nope >"$T/badtok"
	expect_fail "$HUTCH" exec --socket "$T/sock" --token-file "$T/badtok" -- touch "$T/ran"
	expect_contains "$OUT" "wrong token"
	sleep 0.2
	[ ! -e "$T/ran" ] || fail "a spawn pipelined behind a refused handshake ran"
	expect_eq "$("$HUTCH" exec --socket "$T/sock" --token-file "$T/token" -- echo cli)" "cli"
}

# A spawned process starts with every signal at its default and none blocked, even when
# whoever started the agent ignored some (nohup, a shell's background job, ...).
t_children_get_default_signals() {
	need_build
	# 34 is one of the signals musl keeps for itself (32-34): its signal() will not reset it.
	(trap '' INT QUIT HUP USR1 PIPE 34; exec "$AGENT" --listen "$T/sock" --stop-timeout 2) &
	AGENT_PID=$!
	trap stop_agent EXIT
	for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.02; done
	out=$(ctl run -- sh -c 'grep -E "^Sig(Ign|Blk)" /proc/self/status')
	# sh itself ignores nothing it did not inherit; all zero is what it inherited.
	expect_eq "$out" "SigBlk:	0000000000000000
SigIgn:	0000000000000000"
}

# The agent stays undumpable (a process of its uid cannot trace it) after spawning a process
# that changes its ids, even where fs.suid_dumpable=1 makes the kernel leave a process that
# changed ids dumpable: a child sharing the agent's memory would make the agent's so. The
# agent runs as uid 4000 with CAP_SETUID/CAP_SETGID, as in a container; /proc/<pid>/ files
# belong to root exactly when a process is not dumpable.
t_agent_stays_undumpable_after_user_switch() {
	[ "$(id -u)" = 0 ] || skip "sets fs.suid_dumpable"
	need_build
	SUID_DUMPABLE_WAS=$(cat /proc/sys/fs/suid_dumpable)
	chmod 777 "$T"
	setpriv --reuid 4000 --regid 4000 --clear-groups --inh-caps +setuid,+setgid \
		--ambient-caps +setuid,+setgid "$AGENT" --listen "$T/sock" --stop-timeout 2 &
	AGENT_PID=$!
	trap 'echo "$SUID_DUMPABLE_WAS" >/proc/sys/fs/suid_dumpable; stop_agent' EXIT
	for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.02; done
	echo 1 >/proc/sys/fs/suid_dumpable
	expect_eq "$(stat -c %u "/proc/$AGENT_PID/environ")" 0 "undumpable from the start"
	expect_eq "$(ctl run --user 4242 -- id -u)" 4242
	expect_eq "$(ctl run -- id -u)" 4000
	expect_eq "$(stat -c %u "/proc/$AGENT_PID/environ")" 0 "the agent became dumpable"
}

t_exec_passes_fds_zero_copy() {
	start_agent
	# The child's stdout must be our pipe itself, not a relay.
	ctl exec --print-own-fd1 -- readlink /proc/self/fd/1 2>"$T/own" | cat >"$T/child"
	expect_contains "$(cat "$T/own")" "pipe:["
	expect_eq "$(cat "$T/child")" "$(cat "$T/own")" "child stdout is the client's pipe"
	# stdin too
	expect_eq "$(echo piped | ctl exec -- cat)" "piped"
}

t_exec_exit_status() {
	start_agent
	local rc=0
	ctl exec -- sh -c 'exit 3' || rc=$?
	expect_eq "$rc" 3
	rc=0
	ctl exec --status "$T/st" -- sh -c 'kill -KILL $$' || rc=$?
	expect_eq "$rc" 137
	expect_eq "$(status_field "$T/st" signal)" 9
	expect_fail ctl exec -- /nonexistent/cmd
	expect_contains "$OUT" "No such file or directory"
	expect_fail ctl exec --cwd /nonexistent -- true
	expect_contains "$OUT" "chdir"
	expect_eq "$(ctl exec --cwd /usr -- pwd)" "/usr"
}

t_run_captures_output() {
	start_agent
	local rc=0
	ctl run -- sh -c 'echo out; echo err >&2; exit 4' >"$T/o" 2>"$T/e" || rc=$?
	expect_eq "$rc" 4
	expect_eq "$(cat "$T/o")" "out"
	expect_eq "$(cat "$T/e")" "err"
	expect_eq "$(ctl run --stdin 'hello stdin' -- cat)" "hello stdin"
	# output cap
	ctl run --max 100 -- sh -c 'head -c 100000 /dev/zero | tr "\0" x' >"$T/o" 2>"$T/e"
	expect_eq "$(stat -c %s "$T/o")" 100
	expect_contains "$(cat "$T/e")" "[truncated]"
	# stdin larger than a pipe buffer
	head -c 90000 /dev/urandom | base64 -w0 >"$T/big"
	expect_eq "$(ctl run --stdin "$(cat "$T/big")" -- wc -c)" "$(stat -c %s "$T/big")"
	# streaming callbacks
	expect_eq "$(ctl stream -- sh -c 'echo a; sleep 0.1; echo b')" "a
b"
}

t_run_timeout() {
	start_agent
	local rc=0 start end
	start=$(date +%s%N)
	ctl run --timeout 300 --status "$T/st" -- sh -c 'sleep 30 & sleep 30' || rc=$?
	end=$(date +%s%N)
	expect_eq "$rc" 137
	expect_eq "$(status_field "$T/st" timed_out)" 1
	[ $(((end - start) / 1000000)) -lt 3000 ] || fail "timeout took too long"
}

t_background_detach_reattach() {
	start_agent
	local id
	id=$(ctl spawn --tag server -- sh -c 'i=0; while [ $i -lt 5 ]; do echo "line $i"; i=$((i+1)); sleep 0.1; done; echo done >&2; read x; echo "got $x"; exit 7')
	# the spawning client is gone; the process is not
	expect_contains "$(ctl list)" "id=$id"
	expect_contains "$(ctl list)" "tag=server"
	expect_contains "$(ctl list | grep "id=$id")" "running=1"
	sleep 0.8
	ctl attach "$id" --status "$T/st" >"$T/o1" 2>"$T/e1"
	expect_eq "$(head -1 "$T/o1")" "line 0"
	expect_eq "$(wc -l <"$T/o1")" 5
	expect_eq "$(cat "$T/e1")" "done"
	local cout cerr
	cout=$(status_field "$T/st" cursor_out)
	cerr=$(status_field "$T/st" cursor_err)
	expect_eq "$(status_field "$T/st" running)" 1
	ctl stdin "$id" "hello" --close
	# resume from the cursor: only the new bytes
	ctl attach "$id" --follow --from "$cout" "$cerr" --status "$T/st" >"$T/o2"
	expect_eq "$(cat "$T/o2")" "got hello"
	expect_eq "$(status_field "$T/st" code)" 7
	local rc=0
	ctl wait "$id" || rc=$?
	expect_eq "$rc" 7
	# replay from 0 after exit still works, then the record can be released
	expect_eq "$(ctl attach "$id" | head -1)" "line 0"
	ctl release "$id"
	expect_fail ctl wait "$id"
	expect_contains "$OUT" "not found"
}

t_ring_buffer_drops_oldest() {
	start_agent
	local id
	id=$(ctl spawn --cap 4096 -- sh -c 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done')
	ctl wait "$id"
	ctl attach "$id" --status "$T/st" >"$T/o"
	[ "$(status_field "$T/st" dropped)" -gt 0 ] || fail "no drop reported"
	[ "$(stat -c %s "$T/o")" -le 4096 ] || fail "more than the cap replayed"
	expect_eq "$(tail -1 "$T/o")" "line 1999"
}

t_signals() {
	start_agent
	local id rc=0
	id=$(ctl spawn -- sh -c 'trap "echo got TERM; exit 5" TERM; while :; do sleep 0.05; done')
	sleep 0.2
	ctl signal "$id" 15
	ctl wait "$id" || rc=$?
	expect_eq "$rc" 5
	expect_contains "$(ctl attach "$id")" "got TERM"
	# group: the shell and its background child both die
	id=$(ctl spawn -- sh -c 'sleep 100 & echo $!; wait')
	sleep 0.2
	local child
	child=$(ctl attach "$id" | head -1)
	kill -0 "$child"
	ctl signal "$id" 9 group
	rc=0
	ctl wait "$id" || rc=$?
	expect_eq "$rc" 137
	gone "$child" || fail "group member $child survived"
	expect_fail ctl signal "$id" 9
	expect_contains "$OUT" "not running"
	# tree: also a descendant that left the group with setsid
	id=$(ctl spawn -- sh -c 'setsid sleep 31003 & echo $!; wait')
	sleep 0.3
	child=$(ctl attach "$id" | head -1)
	[ "$(ps -o sid= -p "$child" | tr -d ' ')" = "$child" ] || fail "escapee did not setsid"
	ctl signal "$id" 9 tree
	gone "$child" || fail "tree signal missed $child"
	ctl wait "$id" || true
}

t_pty() {
	start_agent
	ctl pty >"$T/o"
	expect_contains "$(cat "$T/o")" "/dev/pts/"
	expect_contains "$(cat "$T/o")" "30 100"
	expect_contains "$(cat "$T/o")" "40 120"
}

t_sessions() {
	start_agent
	local s rc
	s=$(ctl session-new)
	ctl session-exec "$s" 'cd /tmp && export FOO=bar && X=42 && f() { echo "fn $X"; }'
	expect_eq "$(ctl session-exec "$s" 'pwd; echo $FOO; f')" "/tmp
bar
fn 42"
	# stdout and stderr apart, exit code per command
	rc=0
	ctl session-exec "$s" 'echo to-out; echo to-err >&2; false' >"$T/o" 2>"$T/e" || rc=$?
	expect_eq "$rc" 1
	expect_eq "$(cat "$T/o")" "to-out"
	expect_eq "$(cat "$T/e")" "to-err"
	# output without a final newline, quotes, and a fake marker from the workload
	expect_eq "$(ctl session-exec "$s" "printf 'a'\"'\"'b'")" "a'b"
	expect_eq "$(ctl session-exec "$s" 'printf "\036hutch-0000\036"; echo after')" "$(printf '\036hutch-0000\036')after"
	# a syntax error is an exit code, not the end of the session
	rc=0
	ctl session-exec "$s" 'if then' 2>/dev/null || rc=$?
	expect_eq "$rc" 2
	# timeout interrupts the command, keeps the session and its state
	rc=0
	ctl session-exec "$s" 'sleep 30' --timeout 300 --status "$T/st" || rc=$?
	expect_eq "$(status_field "$T/st" timed_out)" 1
	expect_eq "$(ctl session-exec "$s" 'echo $FOO')" "bar"
	# a command cannot read the session's command stream
	expect_eq "$(ctl session-exec "$s" 'cat; echo end')" "end"
	ctl session-close "$s"
	expect_fail ctl session-exec "$s" 'true'
	expect_contains "$OUT" "not found"
}

t_session_concurrent_refused() {
	start_agent
	ctl session-busy >"$T/o"
	expect_eq "$(sed -n 1p "$T/o")" "second=-16" "EBUSY for a concurrent command"
	expect_eq "$(sed -n 2p "$T/o")" "first=0"
	expect_eq "$(sed -n 3p "$T/o")" "third=0 out=again"
}

t_session_dies_with_its_connection() {
	start_agent
	local pid
	pid=$(ctl session-owned | sed -n 's/^shpid=//p')
	[ -n "$pid" ] || fail "no shell pid"
	gone "$pid" || fail "session shell $pid survived its connection"
}

t_file_ops() {
	start_agent
	ctl mkdir -p "$T/a/b/c"
	[ -d "$T/a/b/c" ] || fail "mkdir -p"
	ctl write "$T/a/f" "content" 0640
	expect_eq "$(cat "$T/a/f")" "content"
	expect_eq "$(stat -c %a "$T/a/f")" "640"
	expect_eq "$(ctl read "$T/a/f")" "content"
	expect_contains "$(ctl read "$T/a/f" 3 2>&1)" "[truncated]"
	expect_contains "$(ctl stat "$T/a/f")" "type=1 mode=640"
	expect_contains "$(ctl stat "$T/a/f")" "size=7"
	ln -s f "$T/a/link"
	expect_contains "$(ctl stat -p "$T/a/link")" "type=3"
	expect_eq "$(ctl ls "$T/a" | sort | tr '\n' ' ')" "b 2 f 1 link 3 "
	ctl chmod 600 "$T/a/f"
	expect_eq "$(stat -c %a "$T/a/f")" "600"
	ctl chown 65534 65534 "$T/a/f"
	expect_eq "$(stat -c %u:%g "$T/a/f")" "65534:65534"
	ctl mv "$T/a/f" "$T/a/g"
	[ -e "$T/a/g" ] && [ ! -e "$T/a/f" ] || fail "rename"
	ctl open-write "$T/a/h" "through an fd"
	expect_eq "$(ctl open-read "$T/a/h")" "through an fd"
	expect_fail ctl read "$T/missing"
	expect_contains "$OUT" "No such file or directory"
	mkfifo "$T/fifo"
	expect_fail ctl read "$T/fifo" # refused, and the agent did not block on it
	expect_fail ctl rm "$T/a"
	# recursive removal does not follow symlinks out of the tree
	mkdir "$T/outside" && touch "$T/outside/keep"
	ln -s "$T/outside" "$T/a/b/escape"
	ctl rm -r "$T/a"
	[ ! -e "$T/a" ] || fail "rm -r"
	[ -e "$T/outside/keep" ] || fail "rm -r followed a symlink"
}

t_garbage_and_stray_fds() {
	start_agent
	local before after
	before=$(ls "/proc/$AGENT_PID/fd" | wc -l)
	expect_contains "$("$CTL" "$T/sock" raw-garbage)" "closed=1"
	expect_contains "$("$CTL" "$T/sock" raw-fds)" "closed=1"
	expect_contains "$("$CTL" "$T/sock" raw-toolong)" "closed=1"
	local out
	out=$("$CTL" "$T/sock" raw-nohello)
	expect_contains "$out" "closed=1"
	[ "$(echo "$out" | sed 's/.*bytes=//')" -gt 0 ] || fail "no error reply before hanging up"
	sleep 0.2
	after=$(ls "/proc/$AGENT_PID/fd" | wc -l)
	expect_eq "$after" "$before" "agent fd count after bad clients"
	expect_eq "$(ctl run -- echo still serving)" "still serving"
}

t_disconnect_mid_exec_kills() {
	start_agent
	"$CTL" "$T/sock" hold -- sleep 1000 >"$T/hold" &
	local holder=$! pid=
	for _ in $(seq 100); do
		pid=$(sed -n 's/^pid=//p' "$T/hold")
		[ -n "$pid" ] && break
		sleep 0.02
	done
	[ -n "$pid" ] || fail "no pid"
	kill -0 "$pid"
	kill -KILL "$holder"
	wait "$holder" 2>/dev/null || true
	gone "$pid" || fail "process $pid outlived its client"
	expect_eq "$(ctl list | grep -c "pid=$pid " || true)" 0
}

t_many_connections() {
	start_agent
	local i pids=()
	for i in $(seq 40); do
		ctl run -- echo "$i" >"$T/out.$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	for i in $(seq 40); do expect_eq "$(cat "$T/out.$i")" "$i"; done
	# idle clients beyond the limit are refused, and idle ones are dropped after the
	# handshake timeout: afterwards the agent serves again
	pids=()
	for i in $(seq 70); do
		"$CTL" "$T/sock" raw-idle >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fail "an idle client was never disconnected"; done
	expect_eq "$(ctl run -- echo ok)" "ok"
}

t_fork_bomb_killed_on_stop() {
	start_agent
	# A bounded bomb (2^7 processes) that ignores SIGTERM, plus a setsid escapee.
	ctl spawn -- sh -c 'trap "" TERM; b() { [ "$1" -gt 0 ] && { b $(($1-1)) & b $(($1-1)) & }; exec sleep 31000; }; setsid sleep 31001 & b 6' >/dev/null
	sleep 1
	echo "bomb processes: $(ps -e -o args= | grep -c '^sleep 3100[01]$')"
	[ "$(ps -e -o args= | grep -c '^sleep 31000$')" -gt 20 ] || fail "bomb did not start"
	kill -TERM "$AGENT_PID"
	local t0=$SECONDS
	wait "$AGENT_PID" || true
	AGENT_PID=
	[ $((SECONDS - t0)) -lt 10 ] || fail "agent took too long to stop"
	sleep 0.2
	expect_eq "$(ps -e -o args= | grep -c '^sleep 3100[01]$' || true)" 0 "bomb processes left"
	[ ! -e "$T/sock" ] || fail "socket left behind"
}

t_shutdown_leaves_nothing() {
	start_agent
	ctl spawn -- sleep 31002 >/dev/null
	ctl spawn -- sh -c 'sleep 31002 & sleep 31002' >/dev/null
	ctl session-new >/dev/null
	sleep 0.2
	[ "$(ps -e -o args= | grep -c '^sleep 31002$')" -eq 3 ] || fail "processes not started"
	ctl shutdown 500
	wait "$AGENT_PID" || fail "agent exit status $?"
	AGENT_PID=
	expect_eq "$(ps -e -o args= | grep -c '^sleep 31002$' || true)" 0
}

t_inherited_fd_mode() {
	need_build
	command -v python3 >/dev/null || skip "python3 needed to pass a listening socket"
	python3 - "$T/sock" "$AGENT" <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(16)
os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.execv(sys.argv[2], [sys.argv[2], "--fd", "3", "--stop-timeout", "1"])
EOF
	AGENT_PID=$!
	trap stop_agent EXIT
	for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.02; done
	sleep 0.2
	expect_eq "$(ctl run -- echo via fd)" "via fd"
	expect_fail "$AGENT" --fd 0 </dev/null
}

t_pid1_duties() {
	need_build
	unshare -fp --mount-proc true 2>/dev/null || skip "cannot make a pid namespace"
	unshare -fp --mount-proc "$AGENT" --listen "$T/sock" --stop-timeout 1 &
	local ns=$!
	for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.02; done
	AGENT_PID=$(pgrep -P "$ns")
	trap 'kill -KILL $AGENT_PID 2>/dev/null; wait '"$ns" EXIT
	expect_eq "$(ctl run -- cat /proc/1/comm)" "hutch-agent"
	# a workload cannot stop the sandbox by signalling PID 1
	expect_eq "$(ctl run -- sh -c 'kill -TERM 1; kill -INT 1; sleep 0.2; echo alive')" "alive"
	expect_eq "$(ctl run -- echo serving)" "serving"
	# orphans are reparented to PID 1 and reaped
	expect_eq "$(ctl run -- sh -c '(sh -c "exit 0" &); (sleep 0.1 &); sleep 0.5; grep -l "^State:.*Z" /proc/[0-9]*/status | wc -l')" "0"
	# the runtime (outside the namespace) can stop it
	ctl spawn -- sh -c 'trap "" TERM; sleep 31004' >/dev/null
	kill -TERM "$AGENT_PID"
	wait "$ns" || true
	trap - EXIT
	expect_eq "$(ps -e -o args= | grep -c '^sleep 31004$' || true)" 0
}

run_tests
