#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The runtime under test (OCI_RUNTIME, default hutch-oci) driven by a real, private containerd
# through ctr and containerd-shim-runc-v2, next to runc: run, exit codes, terminals, exec, pause,
# kill, ps, delete, and nothing left afterwards. One containerd serves the whole file.
#
#   OCI_RUNTIME=/usr/sbin/runc bash tests/integration/containerd.sh   (must pass today)
#   bash tests/integration/containerd.sh                               (hutch-oci)
source "$(dirname "$0")/lib.sh"

# run_cmp ID ARGS...: `ctr run --rm IMAGE ID ARGS` with runc, then with the runtime under test;
# output and exit status must match. Leaves them in OUT and RC.
run_cmp() {
	local id=$1; shift
	trap "ctr_cleanup $id-ref $id" EXIT
	capture ctr_run "$RUNC" --rm "$TEST_IMAGE" "$id-ref" "$@"
	local ref_out=$OUT ref_rc=$RC
	capture ctr_run "$RT" --rm "$TEST_IMAGE" "$id" "$@"
	expect_eq "$OUT" "$ref_out" "output of '$*' differs from runc's"
	expect_eq "$RC" "$ref_rc" "exit status of '$*' differs from runc's"
	ctr_assert_gone "$id"
	ctr_assert_gone "$id-ref"
}

# Waits until the task's status (RUNNING, PAUSED, STOPPED...) is STATUS.
wait_status() { # id, status
	local i s
	for i in $(seq 100); do
		s=$(ctr_ task ls | awk -v id="$1" '$1 == id {print $3}')
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	fail "task '$1' status is '$s', not '$2'"
}

# The runtime under test must really have been the one that made container ID.
expect_runtime_used() { # id
	grep -q " create .*--bundle .* $1\$" "$RT_LOG" ||
		fail "no '$OCI_RUNTIME create ... $1' call in the runtime log"
}

# Reads the counter a task writes into its rootfs, from the host side.
# It is rewritten in place, so an empty read (between truncate and write) is retried.
counter() { # id
	local i v
	for i in $(seq 50); do
		v=$(cat "$DAEMON_DIR/state/io.containerd.runtime.v2.task/$CTR_NS/$1/rootfs/tmp/count" \
			2>/dev/null || true)
		[ -n "$v" ] && { echo "$v"; return 0; }
		sleep 0.02
	done
	fail "no counter written by '$1'"
}

t_run_echo() {
	need_daemon
	run_cmp hutch-echo echo hi
	expect_eq "$OUT" "hi"
	expect_eq "$RC" 0
	expect_runtime_used hutch-echo
}

t_exit_codes() {
	need_daemon
	run_cmp hutch-exit sh -c 'exit 3'
	expect_eq "$RC" 3
	run_cmp hutch-false false
	expect_eq "$RC" 1
	# A missing binary: the message quotes the runtime's own words, so only the status is
	# compared.
	trap 'ctr_cleanup hutch-nf hutch-nf-ref' EXIT
	capture ctr_run "$RUNC" --rm "$TEST_IMAGE" hutch-nf-ref /no/such/binary
	local ref_rc=$RC
	capture ctr_run "$RT" --rm "$TEST_IMAGE" hutch-nf /no/such/binary
	expect_eq "$RC" "$ref_rc" "status for a missing binary differs from runc's"
	expect_contains "$OUT" "/no/such/binary"
	ctr_cleanup hutch-nf hutch-nf-ref
	ctr_assert_gone hutch-nf
	run_cmp hutch-env sh -c 'echo "$PATH"; pwd; id -u; hostname'
	expect_contains "$OUT" "/usr/sbin:/usr/bin"
}

t_terminal() {
	need_daemon
	local rt id out ref rc
	trap 'ctr_cleanup hutch-tty hutch-tty-ref' EXIT
	for rt in "$RUNC" "$RT"; do
		id=hutch-tty
		[ "$rt" = "$RUNC" ] && id=hutch-tty-ref
		# script gives ctr a pty of its own. Its stdin is /dev/null, so script echoes one
		# "^@" when it meets the end of input: that and the pty's CRs are dropped.
		out=$(timeout "$CLIENT_TIMEOUT" script -qefc "ctr --address $CTR_SOCK --namespace $CTR_NS \
			run -t --runc-binary $rt --runc-root $DAEMON_DIR/root-$(basename "$rt") \
			--fifo-dir $DAEMON_DIR/fifo --rm \
			$TEST_IMAGE $id sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys; echo hi; exit 4'" \
			/dev/null </dev/null) && rc=0 || rc=$?
		out="$(printf '%s' "$out" | sed 's/\^@//g' | tr -d '\r')/rc=$rc"
		[ "$rt" = "$RUNC" ] && ref=$out
	done
	expect_eq "$out" "/dev/pts/0
both-ttys
hi/rc=4"
	expect_eq "$out" "$ref" "terminal output differs from runc's"
	ctr_assert_gone hutch-tty
	expect_runtime_used hutch-tty
}

t_exec() {
	need_daemon
	local rt id ref=""
	trap 'ctr_cleanup hutch-exec hutch-exec-ref' EXIT
	for rt in "$RUNC" "$RT"; do
		id=hutch-exec
		[ "$rt" = "$RUNC" ] && id=hutch-exec-ref
		ctr_run "$rt" -d "$TEST_IMAGE" "$id" sleep 1000 >/dev/null
		wait_status "$id" RUNNING
		# stdout and stderr apart: their interleaving is not defined.
		local rc got
		ctr_ task exec --fifo-dir "$DAEMON_DIR/fifo" --exec-id x1 "$id" sh -c 'echo out; echo err >&2; exit 5' \
			>"$T/out" 2>"$T/err" && rc=0 || rc=$?
		got="$(cat "$T/out")|$(cat "$T/err")/$rc"
		capture ctr_ task exec --fifo-dir "$DAEMON_DIR/fifo" --exec-id x2 "$id" sh -c 'cat /proc/1/cmdline | tr "\0" " "'
		got="$got/$OUT/$RC"
		# A second task of the same container: the runtime options stored with it are reused.
		ctr_ task kill -s SIGKILL "$id"
		wait_status "$id" STOPPED
		ctr_ task delete "$id" >/dev/null 2>&1
		ctr_ task start --fifo-dir "$DAEMON_DIR/fifo" -d "$id" >/dev/null
		wait_status "$id" RUNNING
		capture ctr_ task exec --fifo-dir "$DAEMON_DIR/fifo" --exec-id x3 "$id" echo again
		got="$got/$OUT/$RC"
		ctr_cleanup "$id"
		ctr_assert_gone "$id"
		if [ "$rt" = "$RUNC" ]; then ref=$got; fi
	done
	expect_contains "$got" "out|err/5/"
	expect_contains "$got" "sleep 1000"
	expect_contains "$got" "again/0"
	expect_eq "$got" "$ref" "exec output/status differ from runc's"
	[ "$(grep -c " start hutch-exec\$" "$RT_LOG")" -eq 2 ] ||
		fail "task start -d did not use the runtime under test again"
}

t_pause_resume() {
	need_daemon
	local id=hutch-pause a b
	trap "ctr_cleanup $id" EXIT
	ctr_run "$RT" -d "$TEST_IMAGE" "$id" \
		sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.05; done' >/dev/null
	wait_status "$id" RUNNING
	sleep 0.3
	ctr_ task pause "$id"
	wait_status "$id" PAUSED
	a=$(counter "$id")
	sleep 1
	b=$(counter "$id")
	expect_eq "$b" "$a" "counter advanced while paused"
	ctr_ task resume "$id"
	wait_status "$id" RUNNING
	sleep 0.5
	b=$(counter "$id")
	[ "$b" -gt "$a" ] || fail "counter did not advance after resume ($a, $b)"
	ctr_cleanup "$id"
	ctr_assert_gone "$id"
}

# kill_case RUNTIME ID [ctr task kill args]: an attached `ctr run` of a task that traps SIGTERM,
# killed from another ctr; prints what ctr run printed and its exit status.
kill_case() {
	local rt=$1 id=$2 pid rc; shift 2
	ctr_run "$rt" --rm "$TEST_IMAGE" "$id" \
		sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
		>"$T/$id.out" 2>&1 &
	pid=$!
	wait_status "$id" RUNNING
	local i
	for i in $(seq 50); do grep -q ready "$T/$id.out" && break; sleep 0.1; done
	ctr_ task kill "$@" "$id"
	wait "$pid" && rc=0 || rc=$?
	echo "$(grep -v 'level=' "$T/$id.out")/rc=$rc"
}

t_kill() {
	need_daemon
	local ref got
	trap 'ctr_cleanup hutch-term hutch-term-ref hutch-kill hutch-kill-ref' EXIT
	ref=$(kill_case "$RUNC" hutch-term-ref)
	got=$(kill_case "$RT" hutch-term)
	expect_eq "$got" "ready
got TERM/rc=7"
	expect_eq "$got" "$ref" "SIGTERM outcome differs from runc's"
	ref=$(kill_case "$RUNC" hutch-kill-ref --signal SIGKILL)
	got=$(kill_case "$RT" hutch-kill --signal SIGKILL)
	expect_eq "$got" "ready/rc=137"
	expect_eq "$got" "$ref" "SIGKILL outcome differs from runc's"
	ctr_assert_gone hutch-term
	ctr_assert_gone hutch-kill
}

t_ps() {
	need_daemon
	local id=hutch-ps pid pids
	trap "ctr_cleanup $id" EXIT
	ctr_run "$RT" -d "$TEST_IMAGE" "$id" sh -c 'sleep 1000 & sleep 1001 & wait' >/dev/null
	wait_status "$id" RUNNING
	pid=$(ctr_ task ls | awk -v id="$id" '$1 == id {print $2}')
	sleep 0.3
	pids=$(ctr_ task ps "$id" | awk 'NR > 1 {print $1}' | sort -n | tr '\n' ' ')
	expect_contains " $pids" " $pid " "task pid not in 'task ps'"
	expect_eq "$(echo $pids | wc -w)" 3 "'task ps' should list sh and two sleeps: $pids"
	for p in $pids; do
		grep -q "pids:/$CTR_NS/$id\$" /proc/"$p"/cgroup || fail "pid $p not in the pids cgroup of '$id'"
	done
	ctr_cleanup "$id"
	ctr_assert_gone "$id"
}

t_delete() {
	need_daemon
	local id=hutch-del
	trap "ctr_cleanup $id" EXIT
	ctr_run "$RT" -d "$TEST_IMAGE" "$id" sleep 1000 >/dev/null
	wait_status "$id" RUNNING
	[ -d "/sys/fs/cgroup/pids/$CTR_NS/$id" ] || fail "no pids cgroup for a running task"
	expect_fail ctr_ task delete "$id"
	expect_contains "$OUT" "running"
	ctr_ task kill -s SIGKILL "$id"
	wait_status "$id" STOPPED
	ctr_ task delete "$id" >/dev/null 2>&1
	ctr_ container delete "$id"
	ctr_assert_gone "$id"
	# No shim of this namespace at all is left once the last task is gone.
	local shims
	shims=$(pgrep -f -- "containerd-shim.* -namespace $CTR_NS .*-address $CTR_SOCK" || true)
	[ -z "$shims" ] || fail "shims left in namespace '$CTR_NS': $shims"
	grep -q " delete .*hutch-del\$" "$RT_LOG" || fail "the runtime under test was not asked to delete"
}

containerd_setup
with_deadlines
run_tests
