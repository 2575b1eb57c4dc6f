# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for integration tests. A test file defines functions named t_<name>, sources
# this file, and ends with `run_tests`. Each test runs in its own subshell with `set -e`; it
# passes if it returns 0 and leaves the machine as it found it (mounts, cgroups, processes,
# state dirs), which run_tests checks after every test. Output is TAP.
#
# Variables: HUTCH_BUILD (build dir), HUTCH_OCI, HUTCH (binaries), T (a fresh temp dir per test).

set -u
HUTCH_BUILD=${HUTCH_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../build" && pwd)}
HUTCH_OCI=$HUTCH_BUILD/src/cli/oci/hutch-oci
HUTCH=$HUTCH_BUILD/src/cli/hutch/hutch
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# One busybox rootfs per run, shared read-only by the tests (they copy it to write).
ROOTFS_CACHE=${ROOTFS_CACHE:-/tmp/hutch-test-rootfs-$$}

fail() { echo "FAILED: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
expect_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"; }
expect_contains() { [[ "$1" == *"$2"* ]] || fail "${3:-missing text}: '$2' not in '$1'"; }
expect_not_contains() { [[ "$1" != *"$2"* ]] || fail "${3:-unexpected text}: '$2' found in '$1'"; }
# expect_fail CMD...: CMD must exit non-zero; its combined output is left in $OUT.
expect_fail() {
	OUT=$("$@" 2>&1) && fail "expected failure: $* (output: $OUT)"
	return 0
}

# A busybox-static rootfs: /bin/busybox with its applets as symlinks, and the usual dirs.
make_rootfs() { # dir
	local d=$1
	if [ ! -d "$ROOTFS_CACHE" ]; then
		local tmp=$ROOTFS_CACHE.tmp
		rm -rf "$tmp"
		mkdir -p "$tmp"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/sbin,var,run}
		cp /bin/busybox "$tmp/bin/busybox"
		"$tmp/bin/busybox" --install -s "$tmp/bin"
		echo 'root:x:0:0:root:/root:/bin/sh' >"$tmp/etc/passwd"
		echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$tmp/etc/passwd"
		printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/etc/group"
		chmod 1777 "$tmp/tmp"
		mv "$tmp" "$ROOTFS_CACHE"
	fi
	mkdir -p "$d"
	cp -a "$ROOTFS_CACHE/." "$d/"
}

# A bundle with a busybox rootfs and the default config from `hutch-oci spec`, the process
# args replaced by the given command, terminal off. Extra edits: jq filters in $JQ (optional).
make_bundle() { # dir, args...
	local b=$1; shift
	make_rootfs "$b/rootfs"
	(cd "$b" && "$HUTCH_OCI" spec)
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	jq --argjson a "$args" '.process.args = $a | .process.terminal = false' \
		"$b/config.json" >"$b/config.json.new"
	mv "$b/config.json.new" "$b/config.json"
	if [ -n "${JQ:-}" ]; then
		jq "$JQ" "$b/config.json" >"$b/config.json.new"
		mv "$b/config.json.new" "$b/config.json"
	fi
}

# Edits a bundle's config with a jq filter.
bundle_jq() { # dir, filter
	jq "$2" "$1/config.json" >"$1/config.json.new" && mv "$1/config.json.new" "$1/config.json"
}

# What a leak looks like: mounts under test dirs, hutch cgroups, stray runtime processes.
leak_snapshot() {
	{
		grep -E 'hutch' /proc/self/mountinfo | awk '{print $5}' | sort
		find /sys/fs/cgroup -maxdepth 3 -type d -name '*hutch*' 2>/dev/null | sort
		pgrep -a -f 'hutch-(oci|agent)' | grep -v pgrep | awk '{$1=""; print}' | sort
	} 2>/dev/null
}

# Removes a test dir, but first detaches anything still mounted below it: a leaked bind mount
# of a host directory must never be recursed into by rm.
safe_rm() { # dir
	local m
	for m in $(awk -v d="$1/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf --one-file-system "$1"
}

run_tests() {
	local names n=0 i=0 rc
	names=$(declare -F | awk '{print $3}' | grep '^t_' || true)
	[ -n "${ONLY_TEST:-}" ] && names=$(echo "$names" | grep -- "$ONLY_TEST")
	n=$(echo "$names" | grep -c . || true)
	echo "1..$n"
	for name in $names; do
		i=$((i + 1))
		local before after
		before=$(leak_snapshot)
		T=$(mktemp -d /tmp/hutch-it-XXXXXX)
		export T
		(set -e; cd "$T"; "$name") >"$T.log" 2>&1
		rc=$?
		after=$(leak_snapshot)
		if [ "$rc" -eq 77 ]; then
			echo "ok $i - $name # SKIP $(grep '^SKIP:' "$T.log" | head -1 | cut -c7-)"
		elif [ "$rc" -ne 0 ]; then
			echo "not ok $i - $name"
			sed 's/^/# /' "$T.log" | tail -40
		elif [ "$before" != "$after" ]; then
			echo "not ok $i - $name (left something behind)"
			diff <(echo "$before") <(echo "$after") | sed 's/^/# /'
		else
			echo "ok $i - $name"
		fi
		safe_rm "$T"
		rm -f "$T.log"
	done
	rm -rf "$ROOTFS_CACHE"
}
