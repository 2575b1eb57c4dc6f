#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An attacker's review of path rules and the pathfs server, end to end through `hutch run`.
# Each t_fixed_* test reproduces a way around a rule or the workspace quota: it fails while
# the hole is open and passes once it is fixed. The t_held_* tests are attacks that were
# tried and held; they stay as regression tests.
#
# The workload is root in its own user namespace, without capabilities, under seccomp and
# no_new_privs; what it writes to /work lands in a host directory. Commands in the sandbox
# are the host's own tools (the sandbox root is the host root, read-only).
. "$(dirname "$0")/lib.sh"
# Sandbox scripts are single-quoted on purpose: they expand inside the sandbox.
# shellcheck disable=SC2016

R=/tmp/hutch-review-root-$$
hutch() { timeout 60 "$HUTCH" --root "$R" "$@"; }
KIB=1024
QUOTA_KIB=1024 # every quota test: --workspace-quota 1m

ws() { mkdir -p "$T/ws" && cd "$T/ws" || exit; }
run() { hutch run "$@"; }

# Our FUSE servers (holding an fd of $1, a workspace): none may outlive the test.
our_servers() {
	local p ino
	ino=$(stat -c %i "$1" 2>/dev/null) || return 0
	for p in $(ps -e -o pid=,stat=,comm= | awk '$3 == "hutch-pathfs" && $2 !~ /^Z/ {print $1}'); do
		cat "/proc/$p/fdinfo/"* 2>/dev/null | grep -qx "ino:[[:space:]]*$ino" && echo "$p"
	done
	true
}
wait_no_servers() { # workspace
	for _ in $(seq 50); do
		[ -z "$(our_servers "$1")" ] && return 0
		sleep 0.05
	done
	fail "hutch-pathfs left running: $(our_servers "$1")"
}

# Bytes the workspace holds on the host (allocated), in KiB.
host_kib() { du -sk "$1" | awk '{print $1}'; }
# The quota may be overrun by at most one write's worth (64 KiB) plus name costs.
expect_within_quota() { # dir what
	local used
	used=$(host_kib "$1")
	[ "$used" -le $((QUOTA_KIB + 256)) ] ||
		fail "$2: the workspace holds ${used} KiB on the host with --workspace-quota 1m"
}

# ---- holes ----

# O_APPEND: the server charges growth from the offset the kernel sends (its cached size of
# THIS name), but the host fd is O_APPEND, so pwrite lands at the host's end of file. A
# second name (hard link: its own FUSE inode, own cached size) makes the two differ, and
# every append is then charged nothing. Root cause: pathfs-ops.c pfs_op_write.
t_fixed_quota_append_through_stale_name() {
	ws
	run --workspace-quota 1m -- sh -c '
		cd /work && : >a && ln a b && exec 3>>a
		dd if=/dev/zero of=b bs=64k count=12 conv=notrunc 2>/dev/null
		i=0
		while [ $i -lt 64 ] && dd if=/dev/zero bs=64k count=1 2>/dev/null >&3; do
			i=$((i + 1))
		done
		echo "appends: $i"' || true
	expect_within_quota "$T/ws" "appends to a hard-linked file"
	wait_no_servers "$T/ws"
}

# A removed file is credited its whole size, even while an open fd (and the server's node
# fd) keeps its blocks on disk: write, unlink, keep the fd, again. Root cause:
# pathfs-ops.c remove_entry credits st_size whenever st_nlink == 1.
t_fixed_quota_unlinked_open_files() {
	ws
	local out
	out=$(run --workspace-quota 1m -- sh -c '
		cd /work; n=0
		for fd in 3 4 5 6 7 8; do
			eval "exec $fd>f$fd"
			dd if=/dev/zero bs=64k count=12 2>/dev/null >&$fd || break
			rm f$fd; n=$((n + 1))
		done
		echo "held: $n"
		df -k /work | tail -1') || true
	echo "$out"
	# 768 KiB each: with a 1 MiB quota the second one must not fit.
	local n
	n=$(echo "$out" | awk '$1 == "held:" {print $2}')
	[ "${n:-0}" -le 1 ] || fail "$n unlinked-but-open files of 768 KiB held at once with a 1 MiB quota"
	wait_no_servers "$T/ws"
}

# fallocate is charged `len`, but it grows the apparent size to off+len, and removals and
# truncation credit the apparent size: fallocate far past EOF, truncate, and the budget is
# back to zero. Root cause: pathfs-ops.c pfs_op_fallocate charges len, not the growth.
# The default seccomp profile refuses allocating fallocate() modes (EOPNOTSUPP) since the disk
# reserve guard came; unconfined, the calls reach the server's own accounting, tested here.
t_fixed_quota_fallocate_past_eof() {
	ws
	command -v fallocate >/dev/null || skip "fallocate(1) not installed"
	run --seccomp unconfined --workspace-quota 1m -- sh -c '
		cd /work
		for i in 1 2 3 4 5; do
			head -c 900000 /dev/zero >a$i || break
			fallocate -o 100M -l 4096 b && truncate -s 0 b && rm b || break
		done' 2>/dev/null || true
	expect_within_quota "$T/ws" "fallocate past EOF then truncate"
	wait_no_servers "$T/ws"
}

# A --mount nested in the workspace, and rules both in /work and in the mount: the mount's
# server is merged into /work's (rules-plan.c merge_servers), but the nested bind mount is
# stacked over /work's FUSE mount, so nothing serves it: its rule is not enforced at all
# (inspect still says "fuse at /work").
t_fixed_rule_under_nested_mount() {
	ws
	mkdir -p "$T/ws/data" "$T/data"
	echo e >"$T/ws/.env"
	echo k >"$T/data/key"
	local out
	out=$(run --mount "$T/data:/work/data" --deny /work/.env --deny /work/data/key -- \
		sh -c 'cat /work/data/key 2>&1; cat /work/.env 2>&1; true')
	echo "$out"
	expect_contains "$out" "/work/.env: No such file or directory" "sanity: .env hidden"
	expect_contains "$out" "/work/data/key: No such file or directory" \
		"--deny /work/data/key under a --mount in /work"
	wait_no_servers "$T/ws"
}

# The server is anchored at the rule's parent (/work/a/b), so its EXDEV guard never sees a
# rename of an ancestor (/work/a) through the plain workspace mount: the hidden file moves
# out from under its rule, and the next run with the same rule reads it. Root cause:
# rules-plan.c anchor_of; pathfs-ops.c rename_check only guards inside the anchor.
t_fixed_rename_ancestor_of_anchor() {
	ws
	mkdir -p a/b && echo TOPSECRET >a/b/secret
	run --deny /work/a/b/secret -- sh -c 'mv /work/a /work/z' 2>/dev/null || true
	[ -f "$T/ws/a/b/secret" ] ||
		fail "the directory above a --deny'd file was renamed: $(cd "$T/ws" && find . -name secret)"
	local out
	out=$(run --deny /work/a/b/secret -- sh -c 'cat /work/z/b/secret 2>&1; true')
	expect_not_contains "$out" TOPSECRET "the denied file read at its new name in the next run"
	wait_no_servers "$T/ws"
}

# The workspace is also visible at its host path through the read-only host root: rules
# name /work/..., so a denied file is read at its host path. (Under /tmp and /var/tmp the
# sandbox's own tmpfs happens to hide it, so the workspace here lives under /var/lib.)
# Root cause: rules-plan.c applies rules to sandbox paths only, never to the host paths of
# bind regions (the workspace, --mount sources) that the root bind also shows.
t_fixed_workspace_at_host_path() {
	local w
	w=$(mktemp -d /var/lib/hutch-review-ws.XXXXXX)
	chmod 755 "$w"
	echo secret >"$w/.env"
	chmod 644 "$w/.env"
	local out
	out=$(cd "$w" && run --deny .env -- sh -c "cat /work/.env 2>&1; cat '$w/.env' 2>&1; true")
	wait_no_servers "$w"
	rm -rf "$w"
	echo "$out"
	expect_not_contains "$out" secret "--deny .env read at the workspace's host path"
}

# Precedence: at equal priority a directory rule beats a glob, so any --allow-read of a
# directory lifts every --deny glob inside it, even one written for that very directory.
# docs/sandbox.md's own example (`--deny '**/*.pem' --allow-read docs`) shows docs/*.pem.
# Root cause: rules.c wins() ranks kind before access; documented, but a deny that any
# allow can silently undo is not what the example promises.
# Precedence is the documented one (rules.h): at equal priority a directory rule beats a
# glob, so --allow-read docs shows docs/x.pem despite --deny '**/*.pem'; a glob given a
# higher priority (--rule none:glob:10:...) holds everywhere.
t_fixed_allow_dir_lifts_deny_glob() {
	ws
	mkdir docs && echo key >docs/x.pem && echo key >top.pem
	local out
	out=$(run --deny .env --deny '**/*.pem' --allow-read docs -- \
		sh -c 'cat /work/top.pem 2>&1; cat /work/docs/x.pem 2>&1; true')
	expect_contains "$out" "/work/top.pem: No such file or directory" "sanity: top.pem hidden"
	expect_contains "$out" "key" "equal priority: the directory rule decides for docs/x.pem"
	out=$(run --deny .env --rule 'none:glob:10:**/*.pem' --allow-read docs -- \
		sh -c 'cat /work/top.pem 2>&1; cat /work/docs/x.pem 2>&1; true')
	expect_contains "$out" "/work/docs/x.pem: No such file or directory" \
		"a priority-10 deny glob holds under --allow-read docs"
	expect_not_contains "$out" "key" "no .pem content with the priority-10 glob"
	wait_no_servers "$T/ws"
}

# Shared writable mmap: the kernel writes dirty pages back in FUSE WRITE requests that carry
# no caller (uid 0, pid 0). Since the server runs as the sandbox's host uid
# (pathfs-confine.c), pfs_caller_enter cannot take uid 0 and answers EPERM: msync fails
# and the data never reaches the file (lld, mold and databases write through mmap). Root
# cause: pathfs.c pfs_caller_enter on fh-based ops, whose fd was opened as the caller.
t_fixed_mmap_write_through_pathfs() {
	ws
	command -v python3 >/dev/null || skip "python3 not installed"
	printf aaaaaaaa >f
	run --deny .env -- python3 -c '
import mmap, os
fd = os.open("/work/f", os.O_RDWR)
m = mmap.mmap(fd, 8)
m[0:4] = b"XXXX"
m.flush()' 2>&1 || true
	expect_eq "$(cat "$T/ws/f")" XXXXaaaa "content written through a shared mmap"
	wait_no_servers "$T/ws"
}

# ---- held ----

# The quota with one name per file: appends, truncate then regrow, a hard link then writes
# through either name without O_APPEND all reach ENOSPC near the quota.
t_held_quota_single_name_paths() {
	ws
	run --workspace-quota 1m -- sh -c '
		cd /work
		exec 3>>a
		i=0; while [ $i -lt 32 ] && dd if=/dev/zero bs=64k count=1 2>/dev/null >&3; do i=$((i+1)); done
		exec 3>&-
		truncate -s 0 a
		truncate -s 2M a 2>/dev/null
		ln a b 2>/dev/null
		dd if=/dev/zero of=b bs=64k count=32 conv=notrunc 2>/dev/null
		dd if=/dev/zero of=a bs=64k count=32 seek=16 conv=notrunc 2>/dev/null
		true'
	expect_within_quota "$T/ws" "single-name writes"
	local size
	size=$(stat -c %s "$T/ws/a")
	[ "$size" -le $((QUOTA_KIB * KIB)) ] || fail "a is $size bytes with --workspace-quota 1m"
	wait_no_servers "$T/ws"
}

# Renaming a directory that a glob may reach into (the glob's wildcard in the directory's
# own name) fails with EXDEV, in both directions; names with wildcard characters and
# dot files are matched as the docs say.
t_held_glob_rename_guard() {
	ws
	mkdir -p secret other && echo k >secret/key && echo o >other/key
	local out
	out=$(run --deny '/work/s*/key' -- sh -c '
		mv /work/secret /work/tmp 2>&1 || true
		mv /work/other /work/sx 2>&1 || true
		cat /work/secret/key 2>&1; cat /work/other/key; true')
	echo "$out"
	[ -f "$T/ws/secret/key" ] && [ -f "$T/ws/other/key" ] || fail "a guarded directory was renamed"
	expect_contains "$out" "/work/secret/key: No such file or directory"
	expect_contains "$out" "o"
	wait_no_servers "$T/ws"
}

# A read rule on a file in a served directory: no write, link, rename or chmod lifts it,
# and a view file gives no content to open, exec or a hard link.
t_held_read_and_view_cannot_be_lifted() {
	ws
	echo r >ro && echo v >vw && chmod 755 vw
	local out
	out=$(run --allow-read /work/ro --allow-view /work/vw -- sh -c '
		cd /work
		echo x >>ro 2>/dev/null && echo WROTE
		ln ro ro2 2>/dev/null && echo x >>ro2 2>/dev/null && echo LINKED
		mv ro ro3 2>/dev/null && echo MOVED
		chmod 666 ro 2>/dev/null && echo CHMOD
		cat vw 2>/dev/null && echo READ_VIEW
		./vw 2>/dev/null && echo EXEC_VIEW
		ln vw vw2 2>/dev/null && cat vw2 2>/dev/null && echo LINK_VIEW
		true')
	echo "$out"
	expect_eq "$out" "" "lifting read/view"
	expect_eq "$(cat "$T/ws/ro" "$T/ws/vw" | tr '\n' ' ')" "r v " "host files"
	[ ! -e "$T/ws/ro2" ] && [ ! -e "$T/ws/vw2" ] || fail "a hard link was made to a read/view file"
	wait_no_servers "$T/ws"
}

# The server keeps at most CAP_SETUID/CAP_SETGID, no supplementary groups (FUSE does not pass
# the caller's, and the server's own would widen every group check), no_new_privs.
t_held_server_privileges() {
	ws
	echo e >.env
	local sb p st
	sb=$(hutch create --deny .env) || fail "hutch create"
	p=$(our_servers "$T/ws")
	if [ -z "$p" ]; then
		hutch rm -f "$sb" >/dev/null 2>&1
		fail "no hutch-pathfs serving the workspace"
	fi
	st=$(cat "/proc/$p/status")
	hutch rm -f "$sb" >/dev/null 2>&1 || true
	expect_eq "$(awk '$1 == "Groups:" {print $2}' <<<"$st")" "" "server supplementary groups"
	# CAP_SETUID|CAP_SETGID at most (none once it runs as the sandbox's own host uid; the
	# bounding set then does not matter: no_new_privs, and exec is not possible)
	local cap
	for cap in CapEff CapPrm; do
		case $(awk -v k="$cap:" '$1 == k {print $2}' <<<"$st") in
		0000000000000000 | 00000000000000c0) ;;
		*) fail "server $cap: $(grep "^$cap" <<<"$st")" ;;
		esac
	done
	expect_eq "$(awk '$1 == "NoNewPrivs:" {print $2}' <<<"$st")" 1 "server no_new_privs"
	wait_no_servers "$T/ws"
}

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP path rules tests run as root"; exit 0; }
[ -x "$HUTCH" ] || { echo "1..0 # SKIP no hutch binary at $HUTCH"; exit 0; }
[ -c /dev/fuse ] || { echo "1..0 # SKIP no /dev/fuse"; exit 0; }
trap 'rm -rf "$R"' EXIT
run_tests
