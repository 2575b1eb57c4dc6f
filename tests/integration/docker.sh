#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The runtime under test (OCI_RUNTIME, default hutch-oci) as a runtime of a real, private dockerd
# (`--runtime hutch`), each case compared with docker's default runtime, runc: output, exit codes,
# stdin, terminals, exec, stop, memory and pids limits, read-only root, capabilities, seccomp.
# One dockerd (on its own containerd) serves the whole file; containers run with --network none.
#
#   OCI_RUNTIME=/usr/sbin/runc bash tests/integration/docker.sh   (must pass today)
#   bash tests/integration/docker.sh                               (hutch-oci)
source "$(dirname "$0")/lib.sh"

IMG=$DOCKER_IMAGE

# The runtime under test must really have made a container since the log was last cleared.
expect_runtime_used() {
	grep -q " create " "$RT_LOG" || fail "dockerd never called '$OCI_RUNTIME create'"
}

t_run_echo() {
	need_daemon
	: >"$RT_LOG"
	docker_both "$IMG" echo hi
	expect_eq "$OUT" "hi"
	expect_eq "$RC" 0
	expect_runtime_used
	docker_assert_clean
}

t_exit_codes() {
	need_daemon
	docker_both "$IMG" sh -c 'exit 3'
	expect_eq "$RC" 3
	docker_both "$IMG" false
	expect_eq "$RC" 1
	# Death by a signal (PID 1 itself cannot get SIGKILL from inside its namespace).
	docker_both "$IMG" sh -c 'sh -c "kill -KILL \$\$"; exit $?'
	expect_eq "$RC" 137
	# A missing binary: docker maps the runtime's failure to 127; only the status is compared,
	# the message quotes the runtime's own words.
	capture docker_ run --rm --network none --runtime runc "$IMG" /no/such/binary
	local ref=$RC
	capture docker_ run --rm --network none --runtime hutch "$IMG" /no/such/binary
	expect_eq "$RC" "$ref" "status for a missing binary differs from runc's"
	docker_both --user 65534:65534 -w /tmp -e FOO=bar --hostname box "$IMG" \
		sh -c 'id -u; id -g; pwd; echo $FOO; hostname'
	expect_eq "$OUT" "65534
65534
/tmp
bar
box"
	docker_assert_clean
}

t_stdin() {
	need_daemon
	local ref got
	ref=$(printf 'x\ny\n' | docker_ run -i --rm --network none --runtime runc "$IMG" cat)
	got=$(printf 'x\ny\n' | docker_ run -i --rm --network none --runtime hutch "$IMG" cat)
	expect_eq "$got" "x
y"
	expect_eq "$got" "$ref" "stdin piping differs from runc's"
	# End of input reaches the container: wc finishes and counts.
	got=$(head -c 100000 /dev/zero | docker_ run -i --rm --network none --runtime hutch "$IMG" wc -c)
	expect_eq "$(echo "$got" | tr -d " ")" 100000
	docker_assert_clean
}

t_terminal() {
	need_daemon
	local rt out ref rc
	for rt in runc hutch; do
		# script gives docker a pty; stdin is /dev/null, so script echoes a "^@" at the
		# end of input: that and the pty's CRs are dropped.
		out=$(timeout "$CLIENT_TIMEOUT" script -qefc "$DOCKER -H unix://$DAEMON_DIR/docker.sock \\
			run -t --rm --network none --runtime $rt $IMG \\
			sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys; echo hi; exit 4'" \
			/dev/null </dev/null) && rc=0 || rc=$?
		out="$(printf '%s' "$out" | sed 's/\^@//g' | tr -d '\r')/rc=$rc"
		[ "$rt" = runc ] && ref=$out
	done
	expect_eq "$out" "/dev/pts/0
both-ttys
hi/rc=4"
	expect_eq "$out" "$ref" "terminal output differs from runc's"
	docker_assert_clean
}

# exec_stop_case RUNTIME: a detached container, two execs, a stop; prints what happened.
exec_stop_case() {
	local rt=$1 name=hutch-exec-$1 rc
	docker_ run -d --name "$name" --network none --runtime "$rt" "$IMG" sleep 1000 >/dev/null
	docker_ exec "$name" sh -c 'echo out; echo err >&2; exit 5' >"$T/out" 2>"$T/err" &&
		rc=0 || rc=$?
	echo "exec: $(cat "$T/out")|$(cat "$T/err")/$rc"
	echo "ps: $(docker_ exec "$name" ps -o comm | tr '\n' ' ')"
	echo "stdin: $(echo piped | docker_ exec -i "$name" cat)"
	# sleep is PID 1 and has no handler: SIGTERM is ignored, the stop ends with SIGKILL.
	docker_ stop -t 1 "$name" >/dev/null
	echo "stopped: $(docker_ inspect -f '{{.State.ExitCode}}' "$name")"
	docker_ rm "$name" >/dev/null
	# A PID 1 that handles SIGTERM exits by itself with its own status.
	docker_ run -d --name "$name" --network none --runtime "$rt" "$IMG" \
		sh -c 'trap "exit 143" TERM; while :; do sleep 0.1; done' >/dev/null
	docker_ stop -t 5 "$name" >/dev/null
	echo "trapped: $(docker_ inspect -f '{{.State.ExitCode}}' "$name")"
	docker_ rm "$name" >/dev/null
}

t_exec_stop() {
	need_daemon
	local ref got
	trap 'docker_ rm -f hutch-exec-runc hutch-exec-hutch >/dev/null 2>&1' EXIT
	ref=$(exec_stop_case runc)
	: >"$RT_LOG"
	got=$(exec_stop_case hutch)
	expect_eq "$got" "exec: out|err/5
ps: COMMAND sleep ps 
stdin: piped
stopped: 137
trapped: 143"
	expect_eq "$got" "$ref" "exec/stop outcome differs from runc's"
	grep -q " exec " "$RT_LOG" || fail "docker exec did not go through the runtime under test"
	docker_assert_clean
}

t_memory_limit() {
	need_daemon
	# The shell holds 200 MB in a variable: over the 64 MiB limit (this machine has no swap),
	# so the kernel OOM-kills it and docker reports 137.
	docker_both --memory 64m "$IMG" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes
		x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
	expect_eq "$OUT" 67108864
	expect_eq "$RC" 137
	docker_both --memory 64m "$IMG" sh -c 'x=$(head -c 10000000 /dev/zero | tr "\0" a); echo fits'
	expect_eq "$OUT" fits
	docker_assert_clean
}

t_pids_limit() {
	need_daemon
	# Shell builtins only (read, echo) once the limit is reached: they need no fork.
	docker_both --pids-limit 20 "$IMG" sh -c 'read m </sys/fs/cgroup/pids/pids.max; echo max=$m
		sh -c "for i in \$(seq 100); do sleep 30 & done" 2>/tmp/err; echo bomb=$?
		read c </sys/fs/cgroup/pids/pids.current; [ "$c" -le 20 ] && echo capped
		read l </tmp/err; echo "$l"'
	expect_eq "$OUT" "max=20
bomb=2
capped
sh: can't fork: Resource temporarily unavailable"
	docker_assert_clean
}

t_read_only() {
	need_daemon
	docker_both --read-only "$IMG" sh -c 'touch /x; echo root=$?; touch /tmp/x; echo tmp=$?
		grep " / " /proc/mounts | grep -c "[ ,]ro[ ,]"'
	expect_contains "$OUT" "touch: /x: Read-only file system"
	expect_contains "$OUT" "root=1"
	expect_contains "$OUT" "tmp=1"
	# With a tmpfs asked for, /tmp is writable again.
	docker_both --read-only --tmpfs /tmp "$IMG" sh -c 'touch /tmp/x && echo tmp-ok'
	expect_eq "$OUT" tmp-ok
	docker_assert_clean
}

t_capabilities() {
	need_daemon
	docker_both --cap-drop ALL "$IMG" grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status
	expect_contains "$OUT" "CapEff:	0000000000000000"
	expect_contains "$OUT" "CapBnd:	0000000000000000"
	docker_both --cap-drop NET_RAW "$IMG" grep '^CapEff' /proc/self/status
	local eff=$((16#$(echo "$OUT" | awk '{print $2}')))
	[ $((eff & (1 << 13))) -eq 0 ] || fail "CAP_NET_RAW still effective: $OUT"
	[ $((eff & (1 << 0))) -ne 0 ] || fail "CAP_CHOWN dropped too: $OUT"
	docker_both --cap-drop ALL "$IMG" chown 65534 /tmp
	expect_contains "$OUT" "Operation not permitted"
	docker_assert_clean
}

t_seccomp() {
	need_daemon
	jq -n '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [
		{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}' >"$T/profile.json"
	docker_both --security-opt "seccomp=$T/profile.json" "$IMG" sh -c 'mkdir /tmp/d; echo rc=$?; touch /tmp/f && echo touch-ok'
	expect_eq "$OUT" "rc=1
touch-ok
mkdir: can't create directory '/tmp/d': Operation not permitted"
	docker_both --security-opt "seccomp=$T/profile.json" "$IMG" grep Seccomp: /proc/self/status
	expect_eq "$OUT" "Seccomp:	2"
	docker_assert_clean
}

docker_setup
with_deadlines
run_tests
