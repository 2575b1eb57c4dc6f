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
		local a
		# Relative links: `busybox --install -s` would point them at this host path.
		for a in $("$tmp/bin/busybox" --list); do
			[ -e "$tmp/bin/$a" ] || ln -s busybox "$tmp/bin/$a"
		done
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
		# /run/hutch itself is the state tmpfs hutch mounts once (runtime-dir.c): no leak.
		grep -E 'hutch' /proc/self/mountinfo | awk '$5 != "/run/hutch" {print $5}' | sort
		# The default parent "hutch" stays (cgroup-ops.c); what is in it must not.
		find /sys/fs/cgroup -maxdepth 3 -type d -name '*hutch*' ! -name hutch 2>/dev/null | sort
		find /sys/fs/cgroup/*/hutch /sys/fs/cgroup/hutch -mindepth 1 -maxdepth 1 -type d \
			2>/dev/null | sort
		# Exact process names (not command lines): a compiler building hutch-oci is no leak.
		# Zombies are not counted: init reaps orphans in its own time.
		ps -e -o stat=,comm= | awk '$1 !~ /^Z/ {print $2}' |
			grep -xE 'hutch-oci|hutch-agent|\.hutch-agent|hutch' | sort
	} 2>/dev/null
}

# Removes a test dir, but first detaches anything still mounted below it: a leaked bind mount
# of a host directory must never be recursed into by rm.
# Removes sandbox $1 (with the caller's hutch() and $R) and waits until its agent and
# hutch's own helpers are reaped: init may reap orphans slowly, and the leak check would
# count their zombies.
sandbox_rm_wait() { # id
	local apid
	apid=$(jq -r .pid "$R/$1/engine/$1/state.json" 2>/dev/null || true)
	hutch rm -f "$1" >/dev/null 2>&1 || true
	for _ in $(seq 100); do
		[ -n "$apid" ] && [ "$apid" != null ] && [ -d "/proc/$apid" ] || break
		ps -o stat= -p "$apid" | grep -q '^Z' && break
		sleep 0.05
	done
	for _ in $(seq 60); do
		ps -e -o stat=,ppid=,comm= | awk '$1 ~ /^Z/ && $2 == 1 && $3 ~ /hutch/ {f=1} END {exit !f}' || break
		sleep 0.05
	done
}

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

# ---- daemons (containerd/docker) ----
# Helpers for the tests that drive the OCI runtime under test from real containerd and dockerd
# (containerd.sh, docker.sh) or directly (oci-lifecycle.sh), always next to runc for comparison.
# A test file calls containerd_setup or docker_setup once before run_tests: that starts a private
# daemon under a temp dir and arms an EXIT trap that stops it and removes everything it made. If
# the daemon cannot start, DAEMON_SKIP says why and every test that calls need_daemon skips with it.
#
# Variables: OCI_RUNTIME (the runtime under test, default $HUTCH_OCI), RUNC (the reference),
# RT (a wrapper of OCI_RUNTIME that logs each call to $RT_LOG, so a test can prove the daemon
# really ran the runtime under test), DAEMON_DIR, CTR_SOCK, CTR_NS, IMAGE_DIR, TEST_IMAGE.
OCI_RUNTIME=${OCI_RUNTIME:-$HUTCH_OCI}
RUNC=${RUNC:-/usr/sbin/runc}
DOCKER=${DOCKER:-/usr/bin/docker}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-20}
TEST_DEADLINE=${TEST_DEADLINE:-60}
IT_HELPERS=$TESTS_DIR/integration/helpers
TEST_IMAGE=docker.io/library/busybox:hutch-test
DOCKER_IMAGE=busybox:hutch-test
DAEMON_SKIP=""
DAEMON_DIR=""
DAEMON_KIND=""
DAEMON_CGROUP=""
DAEMON_MADE_RUN_DIRS=""
IMAGE_DIR=${IMAGE_DIR:-/tmp/hutch-test-image-$$}

# Prints why the runtime under test cannot be used; nothing when it can.
runtime_problem() {
	[ -x "$OCI_RUNTIME" ] || { echo "runtime under test '$OCI_RUNTIME' is not built (set OCI_RUNTIME)"; return; }
	[ -x "$RUNC" ] || echo "reference runtime '$RUNC' not installed (runc)"
}

need_daemon() { [ -z "$DAEMON_SKIP" ] || skip "$DAEMON_SKIP"; }

# capture CMD...: runs CMD, leaves its combined output in OUT and its exit status in RC.
capture() {
	OUT=$("$@" 2>&1) && RC=0 || RC=$?
}

# Builds the busybox image (OCI layout for ctr, rootfs tar for docker) once per run.
build_test_image() {
	"$IT_HELPERS/make-image.sh" "$IMAGE_DIR" "$TEST_IMAGE"
}

# The controllers' parent cgroup for a daemon's containers is made before the first test and
# removed after the last, so the per-test leak check sees only the containers' own cgroups.
cgroup_parents_create() { # name
	local h
	for h in /sys/fs/cgroup/*/; do
		[ -d "$h" ] && [ -w "$h" ] || continue
		mkdir -p "$h$1" 2>/dev/null || continue
		# A new v1 cpuset starts empty, and nothing can join an empty cpuset.
		if [ -f "$h$1/cpuset.cpus" ] && [ -z "$(cat "$h$1/cpuset.cpus")" ]; then
			cat "$h/cpuset.cpus" >"$h$1/cpuset.cpus"
			cat "$h/cpuset.mems" >"$h$1/cpuset.mems"
		fi
	done
}

# Also ends what a broken runtime left running in there (thawed first: a frozen process does
# not die): these cgroups hold only this run's test containers.
cgroup_parents_remove() { # name
	local h f p i
	[ -d "/sys/fs/cgroup/freezer/$1" ] &&
		for f in $(find "/sys/fs/cgroup/freezer/$1" -name freezer.state); do
			echo THAWED >"$f" 2>/dev/null || true
		done
	for i in 1 2 3; do
		for p in $(cat $(find /sys/fs/cgroup/*/"$1" -name cgroup.procs 2>/dev/null) \
			/dev/null 2>/dev/null | sort -u); do
			kill -9 "$p" 2>/dev/null || true
		done
		for h in /sys/fs/cgroup/*/; do
			[ -d "$h$1" ] || continue
			find "$h$1" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		done
		[ -z "$(find /sys/fs/cgroup/*/"$1" -maxdepth 0 2>/dev/null)" ] && return 0
		sleep 0.3
	done
}

# A logging wrapper of OCI_RUNTIME at $DAEMON_DIR/oci-runtime: daemons get this path, so the
# log shows every call they made (args only) and tests can assert the runtime under test ran.
make_runtime_wrapper() {
	RT=$DAEMON_DIR/oci-runtime
	RT_LOG=$DAEMON_DIR/oci-runtime.log
	printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' "$RT_LOG" "$OCI_RUNTIME" >"$RT"
	chmod 0755 "$RT"
	: >"$RT_LOG"
}

daemons_teardown() {
	local d
	case "$DAEMON_KIND" in
	containerd) "$IT_HELPERS/containerd.sh" stop "$DAEMON_DIR" 2>/dev/null ;;
	docker) "$IT_HELPERS/dockerd.sh" stop "$DAEMON_DIR" 2>/dev/null ;;
	esac
	[ -n "$DAEMON_CGROUP" ] && cgroup_parents_remove "$DAEMON_CGROUP"
	[ -n "$DAEMON_DIR" ] && safe_rm "$DAEMON_DIR"
	rm -rf "$IMAGE_DIR"
	# Directories the daemons make at fixed places even with private roots, removed only when
	# this run made them and they are empty.
	for d in $DAEMON_MADE_RUN_DIRS; do
		find "$d" -depth -type d -empty -delete 2>/dev/null || true
	done
	DAEMON_KIND=""
}

# Common start: a temp dir, the wrapper, the trap, the cgroup parent.
daemon_prepare() { # kind, cgroup name
	DAEMON_KIND=$1
	DAEMON_CGROUP=$2
	DAEMON_DIR=$(mktemp -d "/tmp/hutch-$1-XXXXXX")
	local d
	for d in /run/containerd /run/docker; do
		[ -e "$d" ] || DAEMON_MADE_RUN_DIRS="$DAEMON_MADE_RUN_DIRS $d"
	done
	trap daemons_teardown EXIT
	trap 'exit 130' INT TERM
	make_runtime_wrapper
	cgroup_parents_create "$2"
}

# ctr on the private containerd, in the test namespace, with a timeout.
ctr_() { timeout "$CLIENT_TIMEOUT" ctr --address "$CTR_SOCK" --namespace "$CTR_NS" "$@"; }

# ctr_run RUNTIME ARGS...: `ctr run` with the given runtime binary and a state root of its own
# (and the stdio FIFOs in the daemon dir, not in /run/containerd/fifo).
ctr_run() {
	local rt=$1; shift
	ctr_ run --runc-binary "$rt" --runc-root "$DAEMON_DIR/root-$(basename "$rt")" \
		--fifo-dir "$DAEMON_DIR/fifo" "$@" </dev/null
}

containerd_setup() {
	local why
	why=$(runtime_problem)
	[ -z "$why" ] || { DAEMON_SKIP=$why; return 0; }
	command -v ctr >/dev/null || { DAEMON_SKIP="ctr not installed (containerd)"; return 0; }
	# Named after this run: concurrent runs must not share (or clean up) each other's cgroups.
	CTR_NS=hutch-it-$$
	daemon_prepare containerd "$CTR_NS"
	CTR_SOCK=$DAEMON_DIR/containerd.sock
	why=$("$IT_HELPERS/containerd.sh" start "$DAEMON_DIR" 2>&1) ||
		{ DAEMON_SKIP="private containerd did not start: $why"; return 0; }
	why=$(build_test_image 2>&1) || { DAEMON_SKIP="test image: $why"; return 0; }
	why=$(ctr_ images import "$IMAGE_DIR/oci.tar" 2>&1) ||
		{ DAEMON_SKIP="ctr images import: $why"; return 0; }
}

# Kills and deletes tasks and containers, whatever state they are in; for EXIT traps in tests.
ctr_cleanup() { # id...
	local id
	for id in "$@"; do
		ctr_ task kill --all -s SIGKILL "$id" >/dev/null 2>&1 || true
		ctr_ task delete --force "$id" >/dev/null 2>&1 || true
		ctr_ container delete "$id" >/dev/null 2>&1 || true
		ctr_ snapshots rm "$id" >/dev/null 2>&1 || true
	done
}

# Fails unless nothing of container ID is left: no task or container record, no shim, no
# runtime state, no mount, no cgroup dir.
ctr_assert_gone() { # id
	local id=$1 left
	left=$(ctr_ task ls -q | grep -x "$id" || true)
	[ -z "$left" ] || fail "task '$id' still listed"
	left=$(ctr_ container ls -q | grep -x "$id" || true)
	[ -z "$left" ] || fail "container '$id' still listed"
	left=$(pgrep -f -- "containerd-shim.* -namespace $CTR_NS -id $id " || true)
	[ -z "$left" ] || fail "shim of '$id' still running: pid $left"
	left=$(find "$DAEMON_DIR"/root-* -maxdepth 2 -name "$id" 2>/dev/null || true)
	[ -z "$left" ] || fail "runtime state of '$id' left: $left"
	left=$(awk -v d="$DAEMON_DIR/" -v id="/$id/" 'index($5, d) == 1 && index($5, id) {print $5}' \
		/proc/self/mountinfo)
	[ -z "$left" ] || fail "mounts of '$id' left: $left"
	left=$(find /sys/fs/cgroup/*/"$CTR_NS" -maxdepth 1 -type d -name "$id" 2>/dev/null || true)
	[ -z "$left" ] || fail "cgroups of '$id' left: $left"
}

# docker on the private dockerd, with a timeout.
docker_() { timeout "$CLIENT_TIMEOUT" "$DOCKER" -H "unix://$DAEMON_DIR/docker.sock" "$@"; }

docker_setup() {
	local why
	why=$(runtime_problem)
	[ -z "$why" ] || { DAEMON_SKIP=$why; return 0; }
	DOCKER_CG=hutch-docker-$$
	daemon_prepare docker "$DOCKER_CG"
	why=$(DOCKER=$DOCKER "$IT_HELPERS/dockerd.sh" start "$DAEMON_DIR" "$RT" "/$DOCKER_CG" 2>&1) ||
		{ DAEMON_SKIP="private dockerd did not start: $why"; return 0; }
	why=$(build_test_image 2>&1) || { DAEMON_SKIP="test image: $why"; return 0; }
	why=$(docker_ import "$IMAGE_DIR/rootfs.tar" "$DOCKER_IMAGE" 2>&1) ||
		{ DAEMON_SKIP="docker import: $why"; return 0; }
}

# docker_both ARGS...: `docker run --rm --network none ARGS` with runc (REF_OUT, REF_RC) and with
# the runtime under test (OUT, RC); fails unless output and exit status are the same. OUT is the
# run's stdout followed by its stderr: the two streams' interleaving is not defined.
docker_both() {
	docker_run_split --runtime runc "$@"
	REF_OUT=$OUT REF_RC=$RC
	docker_run_split --runtime hutch "$@"
	expect_eq "$OUT" "$REF_OUT" "output of 'docker run $*' differs from runc's"
	expect_eq "$RC" "$REF_RC" "exit status of 'docker run $*' differs from runc's"
}

docker_run_split() {
	local o e
	o=$(docker_ run --rm --network none "$@" 2>"$DAEMON_DIR/stderr") && RC=0 || RC=$?
	e=$(cat "$DAEMON_DIR/stderr")
	OUT=$o${e:+${o:+
}$e}
}

# Fails unless the private dockerd has no container left and no container cgroup dir is left.
docker_assert_clean() {
	local left
	left=$(docker_ ps -aq)
	[ -z "$left" ] || fail "containers left: $left"
	left=$(find /sys/fs/cgroup/*/"$DOCKER_CG" -mindepth 1 -type d 2>/dev/null || true)
	[ -z "$left" ] || fail "container cgroups left: $left"
	left=$(awk -v d="$DAEMON_DIR/" 'index($5, d) == 1 && $5 ~ /\/merged$|\/rootfs$/ {print $5}' \
		/proc/self/mountinfo)
	[ -z "$left" ] || fail "container mounts left: $left"
}

# Puts every t_* test defined so far under a deadline of TEST_DEADLINE seconds: a runtime that
# hangs fails that test instead of hanging the run. Call it just before run_tests.
with_deadlines() {
	local f
	for f in $(declare -F | awk '{print $3}' | grep '^t_'); do
		eval "_body_$f() $(declare -f "$f" | tail -n +2)"
		eval "$f() { run_with_deadline _body_$f; }"
	done
}

descendants() { # pid: every descendant, deepest first
	local c
	for c in $(pgrep -P "$1"); do
		descendants "$c"
		echo "$c"
	done
}

# Runs FN in a child; past the deadline, TERMs the child's descendants (so the command it waits
# for returns and its EXIT trap can clean up, with each client command under its own timeout),
# then after a grace period KILLs whatever is left.
run_with_deadline() { # fn
	local pid i st rc
	(trap 'exit 124' TERM; "$1") &
	pid=$!
	for ((i = 0; i < TEST_DEADLINE * 10; i++)); do
		read -r _ _ st _ 2>/dev/null <"/proc/$pid/stat" || break
		[ "$st" = Z ] && break
		sleep 0.1
	done
	if [ "$i" -ge $((TEST_DEADLINE * 10)) ]; then
		echo "FAILED: test did not finish within ${TEST_DEADLINE}s" >&2
		kill -TERM $(descendants "$pid") "$pid" 2>/dev/null || true
		for ((i = 0; i < (CLIENT_TIMEOUT + 10) * 10; i++)); do
			read -r _ _ st _ 2>/dev/null <"/proc/$pid/stat" || break
			[ "$st" = Z ] && break
			[ $((i % 20)) -eq 19 ] && kill -TERM $(descendants "$pid") 2>/dev/null
			sleep 0.1
		done
		kill -KILL $(descendants "$pid") "$pid" 2>/dev/null || true
		wait "$pid" || true
		return 1
	fi
	wait "$pid" && rc=0 || rc=$?
	return "$rc"
}
