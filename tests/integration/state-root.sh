#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hutch's runtime state lives in memory: as root, when /run/hutch would be on a disk file
# system (this machine's /run is ext4), hutch mounts a tmpfs there before it writes any
# state, but never over a directory that already holds state. Each test works in a mount
# namespace of its own, so the host's /run/hutch is left as it is.
. "$(dirname "$0")/lib.sh"

need_root() { [ "$(id -u)" = 0 ] || skip "mounts in a private mount namespace (root)"; }

# in_private_ns SCRIPT: runs SCRIPT with bash in a private mount namespace where the host's
# state tmpfs (if any) is unmounted, with $HUTCH and $T exported.
in_private_ns() {
	HUTCH=$HUTCH T=$T unshare -m --propagation private bash -euc \
		"umount -l /run/hutch 2>/dev/null || true; mkdir -p /run/hutch; $1"
}
# How many tmpfs are mounted at /run/hutch (in the namespace the command runs in).
TMPFS_COUNT='findmnt -n -o FSTYPE --mountpoint /run/hutch | grep -c "^tmpfs\$" || true' 

# A disk directory (on $T's file system) that stands in for /run/hutch.
disk_or_skip() {
	case "$(stat -f -c %T "$T")" in
	tmpfs | ramfs) skip "$T is on a memory file system: no disk to test against" ;;
	esac
}

t_tmpfs_mounted_over_an_empty_disk_dir() {
	need_root
	disk_or_skip
	mkdir "$T/disk"
	out=$(in_private_ns '
		mount --bind "$T/disk" /run/hutch
		"$HUTCH" --root "$T/r" run -- true
		stat -f -c %T /run/hutch
		stat -c %a /run/hutch
		findmnt -n -o OPTIONS,SIZE --mountpoint /run/hutch | tail -1
		ls /run/hutch')
	echo "$out"
	[ "$(sed -n 1p <<<"$out")" = tmpfs ] || fail "/run/hutch is not a tmpfs: $out"
	[ "$(sed -n 2p <<<"$out")" = 700 ] || fail "/run/hutch is not 0700"
	sed -n 3p <<<"$out" | grep -q 'nosuid,nodev,noexec' || fail "mount options: $out"
	sed -n 3p <<<"$out" | grep -q 'nr_inodes=819200' || fail "no inode limit: $out"
	# What the run wrote (the seccomp cache) went to the tmpfs, not to the disk.
	grep -qx cache <<<"$out" || fail "nothing written under /run/hutch"
	[ -z "$(ls -A "$T/disk")" ] || fail "state written to the disk: $(ls -A "$T/disk")"
}

t_no_tmpfs_over_existing_state() {
	need_root
	disk_or_skip
	mkdir -p "$T/disk/sandboxes"
	out=$(in_private_ns '
		mount --bind "$T/disk" /run/hutch
		"$HUTCH" --root "$T/r" run -- true
		stat -f -c %T /run/hutch
		ls /run/hutch')
	echo "$out"
	[ "$(sed -n 1p <<<"$out")" != tmpfs ] || fail "a tmpfs hid the existing state"
	grep -qx sandboxes <<<"$out" || fail "existing state not visible"
}

t_no_mount_when_run_is_tmpfs() {
	need_root
	out=$(in_private_ns '
		mount -t tmpfs run-test /run
		"$HUTCH" --root "$T/r" run -- true
		findmnt -n --mountpoint /run/hutch | wc -l
		stat -f -c %T /run/hutch')
	echo "$out"
	[ "$(sed -n 1p <<<"$out")" = 0 ] || fail "mounted over a tmpfs /run"
	[ "$(sed -n 2p <<<"$out")" = tmpfs ] || fail "/run/hutch not on /run's tmpfs"
}

t_concurrent_first_runs_mount_once() {
	need_root
	disk_or_skip
	mkdir "$T/disk"
	out=$(in_private_ns '
		mount --bind "$T/disk" /run/hutch
		for i in 1 2 3 4 5 6; do "$HUTCH" --root "$T/r$i" run -- true & done
		wait
		'"$TMPFS_COUNT")
	[ "$out" = 1 ] || fail "expected one tmpfs at /run/hutch, found $out"
}

t_unprivileged_user_mounts_nothing() {
	need_root
	id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
	disk_or_skip
	mkdir "$T/disk" "$T/xdg"
	chown nobody "$T/xdg"
	chmod 755 "$T"
	out=$(in_private_ns '
		mount --bind "$T/disk" /run/hutch
		setpriv --reuid=nobody --regid=nogroup --clear-groups env XDG_RUNTIME_DIR="$T/xdg" \
			"$HUTCH" ls >/dev/null 2>&1 || true
		stat -f -c %T /run/hutch')
	[ "$out" != tmpfs ] || fail "an unprivileged hutch mounted a tmpfs"
}

run_tests
