#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The runtime under test (OCI_RUNTIME, default hutch-oci) driven directly through runc's command
# line: the create/start/state/kill/delete lifecycle, run, exec, list, ps, pause, update, events,
# features, and bundles that must be refused cleanly; where output is defined, the same command
# is run with runc and the two must agree. The t_rootless_* tests do it as an unprivileged user.
#
#   OCI_RUNTIME=/usr/sbin/runc bash tests/integration/oci-lifecycle.sh   (must pass today)
#   bash tests/integration/oci-lifecycle.sh                               (hutch-oci)
source "$(dirname "$0")/lib.sh"

# Every container's cgroup is /hutch-oci-it-<pid of this run>/<id>; the parent exists for the
# whole file, and is this run's own: concurrent runs must not share (or clean up) each other's.
CG=hutch-oci-it-$$
RUSER=hutchtest

# The runtime under test and the reference, each with a state root of its own in the test dir.
oci_() { timeout 30 "$OCI_RUNTIME" --root "$T/root" "$@"; }
ref_() { timeout 30 "$RUNC" --root "$T/ref-root" "$@"; }

# A busybox bundle from `$OCI_RUNTIME spec`, running ARGS.
new_bundle() { # dir, args...
	HUTCH_OCI=$OCI_RUNTIME make_bundle "$@"
}

# Points the bundle's cgroup at /$CG/ID (each container its own), so leaks are visible.
set_cgroup() { # bundle, id
	bundle_jq "$1" ".linux.cgroupsPath = \"/$CG/$2\""
}

# create with the container's stdio on files: a pipe would be held open by the container.
create_with() { # runtime function, bundle, id, [create args]
	local rt=$1 b=$2 id=$3; shift 3
	set_cgroup "$b" "$id"
	"$rt" create --bundle "$b" "$@" "$id" </dev/null >"$T/$id.out" 2>"$T/$id.err" ||
		fail "$rt create '$id': $(cat "$T/$id.err")"
}

# run, its stdout and stderr (in that order) in OUT and the exit status in RC.
run_with() { # runtime function, bundle, id
	set_cgroup "$2" "$3"
	local o e
	o=$("$1" run --bundle "$2" "$3" </dev/null 2>"$T/$3.err") && RC=0 || RC=$?
	e=$(cat "$T/$3.err")
	OUT=$o${e:+${o:+
}$e}
}

status_of() { # runtime function, id
	"$1" state "$2" 2>/dev/null | jq -r .status
}

wait_status() { # runtime function, id, status
	local i s
	for i in $(seq 100); do
		s=$(status_of "$1" "$2")
		[ "$s" = "$3" ] && return 0
		sleep 0.05
	done
	fail "container '$2' is '$s', not '$3'"
}

# Force-deletes whatever either runtime still has: the EXIT trap of every test.
cleanup_all() {
	local id
	for id in $(oci_ list -q 2>/dev/null); do oci_ delete --force "$id" >/dev/null 2>&1; done
	for id in $(ref_ list -q 2>/dev/null); do ref_ delete --force "$id" >/dev/null 2>&1; done
	return 0
}

# Nothing of container ID is left: state dir, cgroup dirs, mounts of its bundle, processes.
assert_gone() { # root dir, id, bundle
	local left
	[ ! -e "$1/$2" ] || fail "state of '$2' left in $1: $(ls -A "$1/$2")"
	left=$(find /sys/fs/cgroup/*/"$CG" -maxdepth 1 -type d -name "$2" 2>/dev/null || true)
	[ -z "$left" ] || fail "cgroups of '$2' left: $left"
	left=$(awk -v d="$3/" 'index($5 "/", d) == 1 {print $5}' /proc/self/mountinfo)
	[ -z "$left" ] || fail "mounts of '$2' left: $left"
	left=$(for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$3/rootfs" ] && echo "${p#/proc/}"
	done || true)
	[ -z "$left" ] || fail "processes of '$2' left: $left"
}

t_lifecycle() {
	trap cleanup_all EXIT
	local id=hutch-lc pid
	new_bundle "$T/b" sleep 1000
	create_with oci_ "$T/b" "$id"
	oci_ state "$id" >"$T/state.json"
	jq -e --arg id "$id" --arg b "$T/b" \
		'.id == $id and .status == "created" and .pid > 0 and .bundle == $b and (.ociVersion | startswith("1."))' \
		"$T/state.json" >/dev/null || fail "bad state after create: $(cat "$T/state.json")"
	pid=$(jq .pid "$T/state.json")
	[ -d "/proc/$pid" ] || fail "init pid $pid of a created container does not exist"
	grep -q "pids:/$CG/$id\$" "/proc/$pid/cgroup" || fail "created init is not in its cgroup"
	oci_ start "$id"
	wait_status oci_ "$id" running
	expect_eq "$(oci_ state "$id" | jq .pid)" "$pid" "pid changed by start"
	# Starting twice is an error.
	expect_fail oci_ start "$id"
	oci_ kill "$id" KILL
	wait_status oci_ "$id" stopped
	oci_ delete "$id"
	expect_fail oci_ state "$id"
	assert_gone "$T/root" "$id" "$T/b"
}

# The same lifecycle under AddressSanitizer (the build-asan tree tests/run-tests makes): a
# use-after-free in create's cleanup (the bundle's spec freed before its mount count was read)
# went unseen with glibc's allocator and crashed the musl-linked hutch-oci under containerd.
t_lifecycle_under_asan() {
	local asan=$HUTCH_BUILD/../build-asan/src/cli/oci/hutch-oci id=hutch-asan
	[ -x "$asan" ] || skip "no ASan build at $asan (tests/run-tests makes one)"
	trap "OCI_RUNTIME=$asan cleanup_all" EXIT
	OCI_RUNTIME=$asan new_bundle "$T/b" sleep 1000
	set_cgroup "$T/b" "$id"
	for step in "create --bundle $T/b $id" "start $id" "state $id" "kill $id KILL" \
		"delete --force $id"; do
		# shellcheck disable=SC2086
		timeout 30 "$asan" --root "$T/root" $step </dev/null >"$T/out" 2>"$T/err" ||
			fail "asan hutch-oci $step: $(head -20 "$T/err")"
		! grep -q "ERROR: AddressSanitizer\|runtime error:" "$T/err" ||
			fail "asan hutch-oci $step: $(head -20 "$T/err")"
	done
}

t_kill_default_signal() {
	trap cleanup_all EXIT
	local id=hutch-term
	new_bundle "$T/b" sh -c 'trap "exit 0" TERM; while :; do sleep 0.05; done'
	create_with oci_ "$T/b" "$id"
	oci_ start "$id"
	wait_status oci_ "$id" running
	sleep 0.2
	oci_ kill "$id"
	wait_status oci_ "$id" stopped
	oci_ delete "$id"
	assert_gone "$T/root" "$id" "$T/b"
}

t_run_exit_code() {
	trap cleanup_all EXIT
	new_bundle "$T/b" sh -c 'echo hi; echo err >&2; exit 3'
	run_with ref_ "$T/b" hutch-run-ref
	local ref_out=$OUT ref_rc=$RC
	run_with oci_ "$T/b" hutch-run
	expect_eq "$OUT" "hi
err"
	expect_eq "$RC" 3
	expect_eq "$OUT/$RC" "$ref_out/$ref_rc" "run differs from runc's"
	assert_gone "$T/root" hutch-run "$T/b"
	# Death by a signal is reported as 128 + signal, like a shell.
	bundle_jq "$T/b" '.process.args = ["sh", "-c", "sh -c \"kill -KILL \\$\\$\"; exit $?"]'
	run_with oci_ "$T/b" hutch-run
	expect_eq "$RC" 137
	assert_gone "$T/root" hutch-run "$T/b"
}

t_delete_running_refused() {
	trap cleanup_all EXIT
	local id=hutch-delrun
	new_bundle "$T/b" sleep 1000
	create_with oci_ "$T/b" "$id"
	oci_ start "$id"
	wait_status oci_ "$id" running
	expect_fail oci_ delete "$id"
	expect_contains "$OUT" "running"
	expect_eq "$(status_of oci_ "$id")" running "refused delete changed the container"
	oci_ delete --force "$id"
	expect_fail oci_ state "$id"
	assert_gone "$T/root" "$id" "$T/b"
	# A created (never started) container goes with --force too.
	create_with oci_ "$T/b" "$id"
	oci_ delete --force "$id"
	assert_gone "$T/root" "$id" "$T/b"
}

t_list_json() {
	trap cleanup_all EXIT
	new_bundle "$T/b1" sleep 1000
	new_bundle "$T/b2" sleep 1000
	create_with oci_ "$T/b1" hutch-list-a
	create_with oci_ "$T/b2" hutch-list-b
	oci_ start hutch-list-b
	wait_status oci_ hutch-list-b running
	oci_ list --format json >"$T/list.json"
	expect_eq "$(jq -r 'sort_by(.id) | map("\(.id)=\(.status)") | join(" ")' "$T/list.json")" \
		"hutch-list-a=created hutch-list-b=running"
	jq -e --arg b "$T/b1" 'map(select(.id == "hutch-list-a"))[0] | .pid > 0 and .bundle == $b' \
		"$T/list.json" >/dev/null || fail "list entry lacks pid or bundle: $(cat "$T/list.json")"
	expect_eq "$(oci_ list -q | sort | tr '\n' ' ')" "hutch-list-a hutch-list-b "
	oci_ delete --force hutch-list-a
	oci_ delete --force hutch-list-b
	expect_eq "$(oci_ list --format json | jq length)" 0 "list after delete"
	assert_gone "$T/root" hutch-list-a "$T/b1"
	assert_gone "$T/root" hutch-list-b "$T/b2"
}

t_ps_json() {
	trap cleanup_all EXIT
	local id=hutch-ps pid
	new_bundle "$T/b" sh -c 'sleep 1000 & wait'
	create_with oci_ "$T/b" "$id"
	oci_ start "$id"
	wait_status oci_ "$id" running
	pid=$(oci_ state "$id" | jq .pid)
	sleep 0.2
	oci_ ps --format json "$id" >"$T/ps.json"
	jq -e --argjson p "$pid" 'type == "array" and length == 2 and (index($p) != null)' \
		"$T/ps.json" >/dev/null || fail "ps --format json: $(cat "$T/ps.json"), init $pid"
	oci_ delete --force "$id"
	assert_gone "$T/root" "$id" "$T/b"
}

t_exec() {
	trap cleanup_all EXIT
	local rt id got ref pid init
	new_bundle "$T/b" sleep 1000
	jq -n '{terminal: false, user: {uid: 65534, gid: 65534}, cwd: "/tmp",
		args: ["sh", "-c", "id -u; id -g; pwd; echo $X"],
		env: ["PATH=/usr/bin:/bin", "X=from-process-json"]}' >"$T/process.json"
	for rt in ref_ oci_; do
		id=hutch-exec
		[ $rt = ref_ ] && id=hutch-exec-ref
		create_with $rt "$T/b" "$id"
		$rt start "$id"
		wait_status $rt "$id" running
		got=$($rt exec "$id" sh -c 'echo in; exit 4' </dev/null 2>&1) && RC=0 || RC=$?
		got="$got/$RC/$($rt exec --process "$T/process.json" "$id" </dev/null 2>&1)"
		got="$got/$($rt exec --env Y=z --cwd /etc "$id" sh -c 'echo $Y; pwd' </dev/null 2>&1)"
		[ $rt = ref_ ] && ref=$got
		[ $rt = ref_ ] && $rt delete --force "$id"
	done
	expect_eq "$got" "in/4/65534
65534
/tmp
from-process-json/z
/etc"
	expect_eq "$got" "$ref" "exec differs from runc's"
	# Detached, with a pid file: the process lives in the container's pid namespace.
	oci_ exec -d --pid-file "$T/exec.pid" "$id" sleep 999 </dev/null >/dev/null 2>&1
	pid=$(cat "$T/exec.pid")
	init=$(oci_ state "$id" | jq .pid)
	[ -d "/proc/$pid" ] || fail "detached exec pid $pid not running"
	expect_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 999 "
	expect_eq "$(readlink "/proc/$pid/ns/pid")" "$(readlink "/proc/$init/ns/pid")" \
		"detached exec is not in the container's pid namespace"
	# exec in a stopped container fails.
	oci_ kill "$id" KILL
	wait_status oci_ "$id" stopped
	expect_fail oci_ exec "$id" true
	oci_ delete "$id"
	[ ! -d "/proc/$pid" ] || fail "detached exec process survived the container"
	assert_gone "$T/root" "$id" "$T/b"
}

# The counter a container writes into its rootfs; it is rewritten in place, so an empty read
# (between truncate and write) is retried.
read_counter() { # file
	local i v
	for i in $(seq 50); do
		v=$(cat "$1" 2>/dev/null || true)
		[ -n "$v" ] && { echo "$v"; return 0; }
		sleep 0.02
	done
	fail "no counter in $1"
}

t_pause_resume() {
	trap cleanup_all EXIT
	local id=hutch-pause a b
	new_bundle "$T/b" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.05; done'
	bundle_jq "$T/b" '.root.readonly = false'
	create_with oci_ "$T/b" "$id"
	oci_ start "$id"
	wait_status oci_ "$id" running
	sleep 0.3
	oci_ pause "$id"
	expect_eq "$(status_of oci_ "$id")" paused
	expect_eq "$(cat "/sys/fs/cgroup/freezer/$CG/$id/freezer.state")" FROZEN
	a=$(read_counter "$T/b/rootfs/tmp/count")
	sleep 0.6
	b=$(read_counter "$T/b/rootfs/tmp/count")
	expect_eq "$b" "$a" "counter advanced while paused"
	oci_ resume "$id"
	expect_eq "$(status_of oci_ "$id")" running
	sleep 0.4
	b=$(read_counter "$T/b/rootfs/tmp/count")
	[ "$b" -gt "$a" ] || fail "counter did not advance after resume ($a, $b)"
	oci_ delete --force "$id"
	assert_gone "$T/root" "$id" "$T/b"
}

t_update_pids() {
	trap cleanup_all EXIT
	local id=hutch-update
	new_bundle "$T/b" sleep 1000
	bundle_jq "$T/b" '.linux.resources.pids = {limit: 100}'
	create_with oci_ "$T/b" "$id"
	oci_ start "$id"
	expect_eq "$(cat "/sys/fs/cgroup/pids/$CG/$id/pids.max")" 100
	echo '{"pids": {"limit": 50}}' | oci_ update --resources - "$id"
	expect_eq "$(cat "/sys/fs/cgroup/pids/$CG/$id/pids.max")" 50
	oci_ update --pids-limit 42 "$id"
	expect_eq "$(cat "/sys/fs/cgroup/pids/$CG/$id/pids.max")" 42
	# A limit that is enforced: 42 processes at most, the 43rd fork fails.
	expect_fail oci_ exec "$id" sh -c 'for i in $(seq 60); do sleep 30 & done'
	expect_contains "$OUT" "can't fork"
	oci_ delete --force "$id"
	assert_gone "$T/root" "$id" "$T/b"
}

t_events_stats() {
	trap cleanup_all EXIT
	local id=hutch-events
	new_bundle "$T/b" sleep 1000
	create_with oci_ "$T/b" "$id"
	oci_ start "$id"
	wait_status oci_ "$id" running
	oci_ events --stats "$id" >"$T/ev.json"
	expect_eq "$(grep -c . "$T/ev.json")" 1 "events --stats prints one line"
	jq -e --arg id "$id" '.type == "stats" and .id == $id and .data.pids.current >= 1 and
		.data.memory.usage.usage > 0' "$T/ev.json" >/dev/null ||
		fail "events --stats: $(head -c 400 "$T/ev.json")"
	oci_ delete --force "$id"
	assert_gone "$T/root" "$id" "$T/b"
}

t_features() {
	oci_ features >"$T/f.json"
	jq -e '(.ociVersionMin | startswith("1.0")) and (.ociVersionMax | startswith("1.")) and
		(.hooks | index("prestart") != null) and (.mountOptions | index("bind") != null)' \
		"$T/f.json" >/dev/null || fail "features: $(head -c 400 "$T/f.json")"
	# At least the namespaces every runtime has (runc also lists "time").
	jq -e '.linux.namespaces | contains(["cgroup", "ipc", "mount", "network", "pid", "user", "uts"])' \
		"$T/f.json" >/dev/null || fail "namespaces in features: $(jq -c .linux.namespaces "$T/f.json")"
}

t_spec() {
	(cd "$T" && oci_ spec)
	jq -e '.ociVersion and .process.args and .root.path == "rootfs" and
		(.linux.namespaces | map(.type) | index("mount") != null)' "$T/config.json" >/dev/null ||
		fail "spec: $(head -c 400 "$T/config.json")"
	# spec refuses to overwrite an existing config.
	expect_fail sh -c "cd '$T' && timeout 30 '$OCI_RUNTIME' spec"
}

# A bundle the runtime must refuse: create fails with exactly one error line on stderr and a
# "level":"error" JSON line in --log, runc refuses it too, and nothing is left behind.
expect_refused() { # bundle, id
	local b=$1 id=$2 lines
	set_cgroup "$b" "$id"
	if ref_ create --bundle "$b" "$id-ref" </dev/null >/dev/null 2>"$T/ref.err"; then
		fail "runc accepts the bundle of '$id'"
	fi
	ref_ delete --force "$id-ref" >/dev/null 2>&1 || true
	if oci_ --log "$T/log.json" --log-format json create --bundle "$b" "$id" \
		</dev/null >"$T/out" 2>"$T/err"; then
		fail "create of '$id' succeeded"
	fi
	lines=$(grep -c . "$T/err" || true)
	expect_eq "$lines" 1 "error lines on stderr ($(cat "$T/err"))"
	grep -q '"level":"error"' "$T/log.json" || fail "no level error in the log: $(cat "$T/log.json")"
	jq -e . "$T/log.json" >/dev/null || fail "log is not JSON lines: $(cat "$T/log.json")"
	[ ! -s "$T/out" ] || fail "create printed on stdout: $(cat "$T/out")"
	expect_fail oci_ state "$id"
	assert_gone "$T/root" "$id" "$b"
	: >"$T/log.json"
}

t_bad_missing_rootfs() {
	trap cleanup_all EXIT
	new_bundle "$T/b" true
	rm -rf "$T/b/rootfs"
	expect_refused "$T/b" hutch-bad-rootfs
	expect_contains "$(cat "$T/err")" rootfs
}

t_bad_json() {
	trap cleanup_all EXIT
	new_bundle "$T/b" true
	head -c 200 "$T/b/config.json" >"$T/b/c" && mv "$T/b/c" "$T/b/config.json"
	# set_cgroup cannot edit a broken file: expect_refused's edit is skipped by a valid stub.
	cp "$T/b/config.json" "$T/broken"
	set_cgroup() { cp "$T/broken" "$1/config.json"; }
	expect_refused "$T/b" hutch-bad-json
}

t_bad_namespace() {
	trap cleanup_all EXIT
	new_bundle "$T/b" true
	bundle_jq "$T/b" '.linux.namespaces += [{"type": "bogus"}]'
	expect_refused "$T/b" hutch-bad-ns
	expect_contains "$(cat "$T/err")" bogus
}

t_bad_seccomp() {
	trap cleanup_all EXIT
	new_bundle "$T/b" true
	bundle_jq "$T/b" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["mkdir"], action: "SCMP_ACT_BOGUS"}]}'
	expect_refused "$T/b" hutch-bad-seccomp
	expect_contains "$(cat "$T/err")" SCMP_ACT_BOGUS
	# A rule on an argument a syscall does not have: refused only once the filter is built.
	bundle_jq "$T/b" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["mkdir"], action: "SCMP_ACT_ERRNO",
			args: [{index: 9, value: 1, op: "SCMP_CMP_EQ"}]}]}'
	expect_refused "$T/b" hutch-bad-seccomp
}

t_bad_id_in_use() {
	trap cleanup_all EXIT
	local id=hutch-dup pid
	new_bundle "$T/b" sleep 1000
	new_bundle "$T/b2" sleep 1000
	create_with oci_ "$T/b" "$id"
	pid=$(oci_ state "$id" | jq .pid)
	set_cgroup "$T/b2" "$id"
	if oci_ --log "$T/log.json" --log-format json create --bundle "$T/b2" "$id" \
		</dev/null >/dev/null 2>"$T/err"; then
		fail "second create with the same id succeeded"
	fi
	expect_eq "$(grep -c . "$T/err")" 1 "error lines on stderr ($(cat "$T/err"))"
	grep -q '"level":"error"' "$T/log.json" || fail "no level error in the log"
	# The first container is untouched.
	expect_eq "$(oci_ state "$id" | jq -r '"\(.status) \(.pid) \(.bundle)"')" "created $pid $T/b"
	oci_ delete --force "$id"
	assert_gone "$T/root" "$id" "$T/b"
	assert_gone "$T/root" "$id" "$T/b2"
}

# A mount destination that is a symlink pointing out of the rootfs: the runtime may refuse the
# bundle, or resolve the destination inside the rootfs (as runc does), but never mount outside.
t_bad_symlink_mount() {
	trap cleanup_all EXIT
	local id=hutch-symlink
	new_bundle "$T/b" sh -c 'grep -c " /evil-target " /proc/self/mountinfo; ls -A /evil/'
	mkdir "$T/outside"
	touch "$T/outside/host-file"
	# Enough ../ to climb out of any rootfs, then the host dir by its absolute path.
	ln -s "../../../../../../../../..$T/outside" "$T/b/rootfs/evil"
	ln -s "/evil-target" "$T/b/rootfs/evil2"
	bundle_jq "$T/b" '.mounts += [
		{destination: "/evil", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=1m"]},
		{destination: "/evil2", type: "tmpfs", source: "tmpfs", options: ["nosuid", "size=1m"]}]'
	run_with oci_ "$T/b" "$id"
	if [ "$RC" -eq 0 ]; then
		# Resolved in the rootfs: the tmpfs is on <rootfs>$T/outside, empty; /evil-target too.
		expect_eq "$OUT" "1"
	else
		expect_eq "$(grep -c . "$T/$id.err")" 1 "error lines on stderr ($(cat "$T/$id.err"))"
	fi
	expect_eq "$(ls -A "$T/outside")" host-file "the host dir was changed"
	[ ! -e /evil-target ] || { rmdir /evil-target; fail "/evil-target made on the host"; }
	awk -v d="$T/outside" '$5 == d {exit 1}' /proc/self/mountinfo || fail "mount on the host dir"
	assert_gone "$T/root" "$id" "$T/b"
}

t_log_json() {
	trap cleanup_all EXIT
	new_bundle "$T/b" sleep 1000
	# A failure of a command on an existing container is logged too.
	expect_fail oci_ --log "$T/log.json" --log-format json start hutch-no-such
	grep -q '"level":"error"' "$T/log.json" || fail "no level error in the log: $(cat "$T/log.json")"
	jq -e 'select(.level == "error") | .msg | length > 0' "$T/log.json" >/dev/null ||
		fail "error entry without msg: $(cat "$T/log.json")"
}

# ---- rootless: the same runtime as an unprivileged user in a user namespace ----

# Runs a command as $RUSER with a private XDG_RUNTIME_DIR and HOME in the test dir.
as_user() {
	setpriv --reuid="$RUSER" --regid="$RUSER" --init-groups \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$T/home" XDG_RUNTIME_DIR="$T/xdg" "$@"
}
ur_() { as_user timeout 30 "$OCI_RUNTIME" --root "$T/xdg/rt" "$@"; }
uref_() { as_user timeout 30 "$RUNC" --root "$T/xdg/ref" "$@"; }

# A rootless bundle owned by $RUSER with a root-owned, world-readable busybox rootfs, and a
# config made by `spec --rootless` as that user (so the id maps are the user's own).
rootless_bundle() { # dir, args...
	local b=$1 args; shift
	id "$RUSER" >/dev/null 2>&1 || skip "no user '$RUSER' (setup could not create it)"
	chmod 0755 "$T"
	mkdir -p "$T/home" "$T/xdg" "$b"
	chown "$RUSER:" "$T/home" "$T/xdg" "$b"
	chmod 0700 "$T/xdg"
	as_user unshare --user --map-root-user true 2>/dev/null ||
		skip "unprivileged user namespaces are not allowed here"
	make_rootfs "$b/rootfs"
	(cd "$b" && as_user "$OCI_RUNTIME" spec --rootless)
	args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	(cd "$b" && as_user sh -c "jq --argjson a '$args' '.process.args = \$a | .process.terminal = false' \
		config.json >config.json.new && mv config.json.new config.json")
}

rootless_cleanup() {
	local id
	for id in $(ur_ list -q 2>/dev/null); do ur_ delete --force "$id" >/dev/null 2>&1; done
	for id in $(uref_ list -q 2>/dev/null); do uref_ delete --force "$id" >/dev/null 2>&1; done
	return 0
}

t_rootless_run() {
	trap rootless_cleanup EXIT
	rootless_bundle "$T/b" sh -c 'id -u; cat /proc/self/uid_map | awk "{print \$2}"; echo hi; exit 3'
	local ref
	ref=$(cd "$T/b" && uref_ run hutch-rl-ref </dev/null 2>&1) && RC=0 || RC=$?
	ref="$ref/$RC"
	OUT=$(cd "$T/b" && ur_ run hutch-rl </dev/null 2>&1) && RC=0 || RC=$?
	expect_eq "$OUT/$RC" "0
$(id -u "$RUSER")
hi/3"
	expect_eq "$OUT/$RC" "$ref" "rootless run differs from runc's"
	assert_gone "$T/xdg/rt" hutch-rl "$T/b"
}

t_rootless_lifecycle() {
	trap rootless_cleanup EXIT
	local id=hutch-rl-lc pid
	rootless_bundle "$T/b" sleep 1000
	(cd "$T/b" && ur_ create "$id" </dev/null >/dev/null 2>"$T/err") ||
		fail "rootless create: $(cat "$T/err")"
	expect_eq "$(ur_ state "$id" | jq -r .status)" created
	pid=$(ur_ state "$id" | jq .pid)
	expect_eq "$(stat -c %u "/proc/$pid")" "$(id -u "$RUSER")" "init is not owned by the user"
	ur_ start "$id"
	expect_eq "$(ur_ state "$id" | jq -r .status)" running
	expect_eq "$(ur_ exec "$id" sh -c 'id -u; echo in; exit 2' </dev/null 2>&1; echo "/$?")" "0
in
/2"
	expect_eq "$(ur_ list --format json | jq -r '.[].id')" "$id"
	ur_ kill "$id" KILL
	local i
	for i in $(seq 100); do
		[ "$(ur_ state "$id" | jq -r .status)" = stopped ] && break
		sleep 0.05
	done
	expect_eq "$(ur_ state "$id" | jq -r .status)" stopped
	ur_ delete "$id"
	expect_fail ur_ state "$id"
	assert_gone "$T/xdg/rt" "$id" "$T/b"
	# Refused cleanly as a user too.
	as_user sh -c "cd '$T/b' && jq '.linux.namespaces += [{\"type\": \"bogus\"}]' config.json \
		>c && mv c config.json"
	(cd "$T/b" && expect_fail ur_ create hutch-rl-bad)
	expect_eq "$(echo "$OUT" | grep -c .)" 1 "error lines ($OUT)"
	assert_gone "$T/xdg/rt" hutch-rl-bad "$T/b"
}

lifecycle_setup() {
	local why
	why=$(runtime_problem)
	if [ -n "$why" ]; then
		# Every test skips with the reason.
		for f in $(declare -F | awk '{print $3}' | grep '^t_'); do
			eval "$f() { skip $(printf %q "$why"); }"
		done
		return 0
	fi
	DAEMON_CGROUP=$CG
	cgroup_parents_create "$CG"
	trap daemons_teardown EXIT
	trap 'exit 130' INT TERM
	id "$RUSER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin "$RUSER" 2>/dev/null || true
}

lifecycle_setup
with_deadlines
run_tests
