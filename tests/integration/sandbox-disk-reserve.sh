#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The disk reserve guard (--disk-reserve, hutch-agent --reserve): a sandbox that fills a
# writable host file system (the workspace, a rw --mount) is killed before the file system is
# full, with exit code 123 and a message; nothing starts in it while free space is below the
# reserve, and everything works again once space is back. The "host disk" of each test is a
# small tmpfs under $T, so a failure of the guard fills nothing but that.
. "$(dirname "$0")/lib.sh"

R=/tmp/hutch-reserve-root-$$
hutch() { timeout 60 "$HUTCH" --root "$R" "$@"; }

need_root() { [ "$(id -u)" = 0 ] || skip "mounts a tmpfs as the test's disk (root)"; }

# A tmpfs of $2 at $1, unmounted when the test's subshell exits.
small_disk() { # dir size
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" reserve-test "$1"
	DISKS+=("$1")
	trap cleanup EXIT
}
DISKS=()
SB=""
cleanup() {
	[ -n "$SB" ] && sandbox_rm_wait "$SB"
	for d in "${DISKS[@]}"; do umount -l "$d" 2>/dev/null; done
	rm -rf "$R"
}

# expect_exit CODE CMD...: CMD must exit with CODE; its combined output is left in $OUT.
expect_exit() {
	local want=$1
	shift
	capture "$@"
	[ "$RC" = "$want" ] || fail "expected exit $want from $*, got $RC (output: $OUT)"
}

free_mib() { df -Pm "$1" | awk 'NR == 2 {print $4}'; }

# Fills what is left of the workspace, 1 MiB at a time, as an attacker would.
FILL='dd if=/dev/zero of=/work/fill bs=1M count=100000 2>/dev/null; echo "dd ended: $?"'

t_filling_the_workspace_is_stopped_at_the_reserve() {
	need_root
	small_disk "$T/disk" 256m
	cd "$T/disk"
	set +e
	out=$(hutch run --disk-reserve 64m -- sh -c "$FILL" 2>&1)
	rc=$?
	set -e
	echo "$out"
	expect_eq "$rc" 123 "exit code of a command the guard killed"
	expect_contains "$out" "fell below its free-space reserve"
	expect_not_contains "$out" "dd ended" "the writer was killed, it did not run into ENOSPC"
	left=$(free_mib "$T/disk")
	echo "free after: $left MiB"
	# The guard looks every 2 ms when close: a few MiB past the reserve (measured: 2 MiB;
	# half the reserve leaves room for a loaded machine's scheduling delays).
	[ "$left" -ge 32 ] || fail "only $left MiB left of the 64 MiB reserve"
}

t_default_reserve_guards_the_workspace() {
	need_root
	small_disk "$T/disk" 768m
	cd "$T/disk"
	# auto: 5% of 768 MiB (the tmpfs is charged to the sandbox's 1 GiB of memory: it fits).
	hutch run -- sh -c 'tr "\0" " " </proc/1/cmdline' >"$T/cmdline"
	expect_contains "$(cat "$T/cmdline")" "--reserve 40265318,"
	set +e
	out=$(hutch run -- sh -c "$FILL" 2>&1)
	rc=$?
	set -e
	echo "$out"
	expect_eq "$rc" 123
	left=$(free_mib "$T/disk")
	echo "free after: $left MiB"
	[ "$left" -ge 1 ] || fail "the workspace's file system was filled"
}

t_running_out_of_inodes_is_stopped_at_the_reserve() {
	need_root
	small_disk "$T/disk" 256m,nr_inodes=20000
	cd "$T/disk"
	cmdline=$(hutch run -- sh -c 'tr "\0" " " </proc/1/cmdline')
	expect_contains "$cmdline" ",1000:/work" "5% of the inodes kept free"
	# Empty files, made by the shell itself (no fork per file): only inodes are used up.
	set +e
	out=$(hutch run -- sh -c 'i=0; while : >"/work/f$i"; do i=$((i + 1)); done; echo "stopped at $i"' 2>&1)
	rc=$?
	set -e
	echo "$out" | tail -3
	expect_eq "$rc" 123
	expect_contains "$out" "inodes free, below the reserve of 1000"
	left=$(df -Pi "$T/disk" | awk 'NR == 2 {print $4}')
	echo "inodes free after: $left"
	[ "$left" -ge 500 ] || fail "only $left inodes left of the 1000 reserved"
}

# fallocate() could take the whole disk in one call, before the guard looks: the default
# profile only lets through the modes that free space.
t_fallocate_cannot_allocate() {
	command -v fallocate >/dev/null || skip "fallocate(1) not installed"
	mkdir -p "$T/ws"
	cd "$T/ws"
	out=$(hutch run -- sh -c 'fallocate -l 1g /work/big; echo "rc=$?"
		head -c 65536 /dev/zero >/work/small && fallocate -p -o 0 -l 4096 /work/small && echo punched' 2>&1)
	echo "$out"
	expect_contains "$out" "Operation not supported"
	expect_contains "$out" "rc=1"
	expect_contains "$out" "punched"
	[ "$(stat -c %s big)" = 0 ] || fail "fallocate grew the file"
	[ "$(stat -c %b big)" = 0 ] || fail "fallocate allocated blocks"
}

t_auto_reserve_is_capped_at_2g() {
	# The host's own disk (the suite's temp dir): 5% of it, at most 2 GiB.
	mkdir -p "$T/ws"
	cd "$T/ws"
	size=$(df -P --block-size=1 . | awk 'NR == 2 {print $2}')
	want=$(( size / 20 < 2147483648 ? size / 20 : 2147483648 ))
	out=$(hutch run -- sh -c 'tr "\0" " " </proc/1/cmdline')
	r=$(echo "$out" | grep -o -- '--reserve [0-9,]*:/work' | awk '{print $2}' | cut -d, -f1)
	[ -n "$r" ] || fail "no guard on /work: $out"
	diff=$(( r > want ? r - want : want - r ))
	[ "$diff" -le 1048576 ] || fail "reserve $r, expected about $want"
}

t_nothing_starts_below_the_reserve_and_everything_after() {
	need_root
	small_disk "$T/disk" 128m
	cd "$T/disk"
	SB=$(hutch create --disk-reserve 32m)
	hutch exec -d "$SB" -- sleep 1000 >/dev/null
	sid=$(hutch session new "$SB")
	# The host, not the sandbox, eats the space: the guard holds whoever fills the disk.
	fallocate -l 110m "$T/disk/host-file"
	for _ in $(seq 100); do
		hutch ps "$SB" --json | jq -e '.[0].running == false' >/dev/null && break
		sleep 0.05
	done
	ps=$(hutch ps "$SB")
	echo "$ps"
	expect_contains "$ps" "disk reserve"
	hutch ps "$SB" --json | jq -e '.[0].reserve_killed == true and .[0].status == 123' >/dev/null ||
		fail "ps --json: $(hutch ps "$SB" --json)"
	expect_exit 123 hutch exec "$SB" -- true
	expect_contains "$OUT" "below the reserve of 32.0 MiB"
	expect_fail hutch session new "$SB"
	expect_contains "$OUT" "below the reserve"
	# The session's shell was killed with everything else.
	expect_fail hutch session exec "$SB" "$sid" -- true
	expect_contains "$OUT" "its shell exited"
	# Inspect still works (it must not need free space).
	hutch inspect "$SB" >/dev/null
	rm "$T/disk/host-file"
	expect_eq "$(hutch exec "$SB" -- echo back)" back
	sid=$(hutch session new "$SB")
	expect_eq "$(hutch session exec "$SB" "$sid" -- echo session)" session
}

t_run_refused_when_already_below() {
	need_root
	small_disk "$T/disk" 64m
	cd "$T/disk"
	fallocate -l 60m "$T/disk/host-file"
	expect_exit 123 hutch run --disk-reserve 8m -- true
	expect_contains "$OUT" "nothing starts until space is freed"
	# A sandbox that stays, with a main command: the same code, and nothing left behind.
	expect_exit 123 hutch create --disk-reserve 8m -- true
	expect_contains "$OUT" "nothing starts until space is freed"
	expect_eq "$(hutch ls -aq)" "" "a sandbox left by the failed create"
	# Turned off, the same run works.
	hutch run --disk-reserve 0 -- true
}

t_rw_mounts_are_guarded_ro_mounts_not() {
	need_root
	small_disk "$T/data" 128m
	small_disk "$T/ro" 16m
	mkdir -p "$T/ws"
	cd "$T/ws"
	cmdline=$(hutch run --mount "$T/data:/tmp/data:rw" --mount "$T/ro:/tmp/ro:ro" -- \
		sh -c 'tr "\0" " " </proc/1/cmdline')
	echo "$cmdline"
	expect_contains "$cmdline" ":/tmp/data"
	expect_contains "$cmdline" ":/work"
	expect_not_contains "$cmdline" ":/tmp/ro"
	set +e
	out=$(hutch run --disk-reserve 30% --mount "$T/data:/tmp/data:rw" -- \
		sh -c 'dd if=/dev/zero of=/tmp/data/fill bs=1M count=100000 2>/dev/null; echo "dd ended: $?"' 2>&1)
	rc=$?
	set -e
	echo "$out"
	expect_eq "$rc" 123
	left=$(free_mib "$T/data")
	[ "$left" -ge 19 ] || fail "only $left MiB left of the 38 MiB (30%) reserve"
}

t_reserve_off_and_read_only_workspace_have_no_guard() {
	mkdir -p "$T/ws"
	cd "$T/ws"
	out=$(hutch run --disk-reserve 0 -- sh -c 'tr "\0" " " </proc/1/cmdline')
	expect_not_contains "$out" "--reserve"
	out=$(hutch run --read-only -- sh -c 'tr "\0" " " </proc/1/cmdline')
	expect_not_contains "$out" "--reserve"
	out=$(hutch run --workspace '' -- sh -c 'tr "\0" " " </proc/1/cmdline')
	expect_not_contains "$out" "--reserve"
}

t_rootfs_changes_dir_is_guarded() {
	chmod 755 "$T" # the sandbox's user must reach its rootfs
	make_rootfs "$T/rootfs"
	mkdir -p "$T/ws" "$T/keep"
	cd "$T/ws"
	out=$(hutch run --workspace '' --rootfs "$T/rootfs" --rootfs-changes "$T/keep" -- \
		sh -c 'tr "\0" " " </proc/1/cmdline')
	echo "$out"
	expect_contains "$out" "--reserve "
	echo "$out" | grep -qE -- '--reserve [0-9,]+:/( |$)' || fail "no guard on / (the changes dir)"
	# Without --rootfs-changes the writes go to a bounded tmpfs: no guard.
	out=$(hutch run --workspace '' --rootfs "$T/rootfs" -- sh -c 'tr "\0" " " </proc/1/cmdline')
	expect_not_contains "$out" "--reserve"
}

t_setting_from_config_and_bad_values() {
	mkdir -p "$T/ws"
	cd "$T/ws"
	expect_eq "$(hutch run --print-config | jq -r .disk_reserve)" auto
	echo '{"default": {"disk_reserve": "10%"}}' >hutch.json
	expect_eq "$(hutch run --print-config | jq -r .disk_reserve)" 10%
	echo '{"default": {"disk_reserve": 0}}' >hutch.json
	out=$(hutch run -- sh -c 'tr "\0" " " </proc/1/cmdline')
	expect_not_contains "$out" "--reserve"
	rm hutch.json
	for bad in 5x 100% 0% -1 '' 1e400%; do
		expect_exit 2 hutch run --disk-reserve "$bad" -- true
		expect_contains "$OUT" "--disk-reserve"
	done
	echo '{"default": {"disk_reserve": "lots"}}' >hutch.json
	expect_fail hutch run -- true
	expect_contains "$OUT" "disk_reserve"
}

t_persistent_sandbox_keeps_its_reserve() {
	mkdir -p "$T/ws"
	cd "$T/ws"
	SB=$(hutch create --disk-reserve 1g)
	trap 'sandbox_rm_wait "$SB"' EXIT
	expect_contains "$(hutch exec "$SB" -- sh -c 'tr "\0" " " </proc/1/cmdline')" "--reserve 1073741824,"
	hutch inspect "$SB" | jq -e '.[0].settings.diskReserve | length == 1 and .[0].path == "/work"
		and .[0].keepFreeBytes == 1073741824 and .[0].keepFreeInodes > 0' >/dev/null ||
		fail "inspect: $(hutch inspect "$SB" | jq -c '.[0].settings.diskReserve')"
	hutch stop "$SB" >/dev/null
	hutch start "$SB" >/dev/null
	expect_contains "$(hutch exec "$SB" -- sh -c 'tr "\0" " " </proc/1/cmdline')" "--reserve 1073741824,"
}

# A sandbox where nothing runs cannot write: its agent is not woken to look (1000 idle
# sandboxes must stay idle); while something runs, it looks at least once a second.
t_guard_sleeps_while_nothing_runs() {
	mkdir -p "$T/ws"
	cd "$T/ws"
	SB=$(hutch create)
	trap 'sandbox_rm_wait "$SB"' EXIT
	local apid
	apid=$(hutch inspect "$SB" | jq -r '.[0].state.agentPid')
	switches() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$apid/status"; }
	sleep 0.3
	local a b
	a=$(switches)
	sleep 2.5
	b=$(switches)
	expect_eq "$b" "$a" "wakeups of an idle sandbox's agent in 2.5 s"
	hutch exec -d "$SB" -- sleep 30 >/dev/null
	sleep 0.3
	a=$(switches)
	sleep 2.5
	b=$(switches)
	[ "$b" -gt "$a" ] || fail "the guard did not look while a process ran ($a -> $b)"
}

t_agent_rejects_bad_reserve_args() {
	agent=$HUTCH_BUILD/src/agent/hutch-agent
	for bad in 10 :/x 10:x 10:/nonexistent/dir x:/tmp 10,:/tmp 10,x:/tmp -5:/tmp; do
		expect_exit 2 "$agent" --listen "$T/s" --reserve "$bad"
		expect_contains "$OUT" "--reserve"
	done
}

run_tests
