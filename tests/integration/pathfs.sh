#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pathfs: the FUSE server that enforces path rules (src/lib/pathfs). Each test serves a
# fresh source tree at $M through tests/pathfs/pathfs-harness (as if $M were /work in a
# sandbox) and checks what root and a non-root uid can do there, for each access level
# (none, view, read, write) and rule kind (file, directory, glob), on paths that exist and
# on paths created later. The harness must exit when the mount goes away.
. "$(dirname "$0")/lib.sh"

HARNESS=$HUTCH_BUILD/tests/pathfs/pathfs-harness
USER_ID=${PATHFS_TEST_UID:-1000}
AS=root

pf_skip_reason() {
	[ -x "$HARNESS" ] || { echo "harness '$HARNESS' is not built"; return; }
	[ "$(id -u)" = 0 ] || { echo "needs root (mount)"; return; }
	[ -c /dev/fuse ] || { echo "no /dev/fuse"; return; }
	command -v setpriv >/dev/null || echo "setpriv not installed"
}

# pf_start FALLBACK RULES_JSON: serves $S at $M; arms the cleanup trap.
pf_start() {
	local why
	why=$(pf_skip_reason)
	[ -z "$why" ] || skip "$why"
	# The test dir is 0700: the non-root uid must reach the mount point.
	chmod 0755 "$T"
	S=$T/src M=$T/mnt
	mkdir -p "$S" "$M"
	echo "$2" >"$T/rules.json"
	trap pf_cleanup EXIT
	# PF_NOFILE: a lower fd limit for the harness, which bounds its node table
	local limit=()
	[ -n "${PF_NOFILE:-}" ] && limit=(prlimit --nofile="$PF_NOFILE" --)
	"${limit[@]}" "$HARNESS" /work "$S" "$M" "$1" "$T/rules.json" >"$T/harness.out" \
		2>"$T/harness.err" &
	PF_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qx ready "$T/harness.out" 2>/dev/null && return 0
		kill -0 "$PF_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "harness did not start: $(cat "$T/harness.err")"
}

pf_cleanup() {
	if mountpoint -q "$M" 2>/dev/null; then
		umount "$M" 2>/dev/null || umount -l "$M" 2>/dev/null
	fi
	if [ -n "${PF_PID:-}" ] && kill -0 "$PF_PID" 2>/dev/null; then
		sleep 0.2
		kill -KILL "$PF_PID" 2>/dev/null
	fi
	wait 2>/dev/null
	return 0
}

# Unmounts and checks the server ended cleanly and nothing stayed mounted.
pf_stop() {
	umount "$M" || fail "umount '$M'"
	local rc=0
	wait "$PF_PID" || rc=$?
	PF_PID=""
	expect_eq "$rc" 0 "harness exit status ($(cat "$T/harness.err"))"
	mountpoint -q "$M" && fail "'$M' still mounted"
	return 0
}

as() {
	if [ "$AS" = root ]; then
		"$@"
	else
		setpriv --reuid="$USER_ID" --regid="$USER_ID" --clear-groups -- "$@"
	fi
}
# ok CMD: a shell command run in $M as $AS must succeed; its output is left in $OUT.
ok() { OUT=$(as sh -c "cd '$M' && $1" 2>&1) || fail "as $AS: '$1' failed: $OUT"; }
fails_with() { # message, command
	OUT=$(as sh -c "cd '$M' && $2" 2>&1) && fail "as $AS: '$2' succeeded (output: $OUT)"
	expect_contains "$OUT" "$1" "as $AS: '$2'"
}
denied() { fails_with "Permission denied" "$1"; }
# EACCES from the rules, or EPERM where the kernel refuses first (chmod of another's
# file, protected_hardlinks on a file shown read-only)
refused() {
	OUT=$(as sh -c "cd '$M' && $1" 2>&1) && fail "as $AS: '$1' succeeded (output: $OUT)"
	[[ "$OUT" == *"Permission denied"* || "$OUT" == *"Operation not permitted"* ]] ||
		fail "as $AS: '$1': $OUT"
}
missing() { fails_with "No such file or directory" "$1"; }
listed() { ok "ls -a $2"; grep -qx -- "$1" <<<"$OUT" || fail "as $AS: '$1' not listed in '$2': $OUT"; }
unlisted() { ok "ls -a $2"; grep -qx -- "$1" <<<"$OUT" && fail "as $AS: '$1' listed in '$2'"; return 0; }
host_absent() { [ ! -e "$S/$1" ] && [ ! -L "$S/$1" ] || fail "'$1' was created on the host"; }

# The tree for the access-level tests: every level gets a file rule, a directory rule and
# a glob rule, each on a path that exists (file1, dir1, sub/e.lvl) and on one that does
# not yet (file2, dir2, sub/n*.lvl). Everything is world-writable, so only the rules
# (and the server) stand between the non-root uid and a change.
level_tree() {
	S=$T/src
	mkdir -p "$S/dir1" "$S/sub" "$S/free"
	echo file1 >"$S/file1"
	echo inner >"$S/dir1/inner"
	echo elvl >"$S/sub/e.lvl"
	echo free >"$S/free/f"
	chmod -R a+rwX "$S"
}
level_rules() { # access
	cat <<-EOF
	[{"pattern": "/work/file1", "kind": "file", "access": "$1"},
	 {"pattern": "/work/file2", "kind": "file", "access": "$1"},
	 {"pattern": "/work/dir1", "kind": "directory", "access": "$1"},
	 {"pattern": "/work/dir2", "kind": "directory", "access": "$1"},
	 {"pattern": "/work/**/*.lvl", "access": "$1"}]
	EOF
}

# Nothing the rules deny may have been created or changed on the host.
host_unchanged() {
	host_absent file2
	host_absent dir2
	expect_eq "$(cat "$S/file1")" file1 "file1 content on the host"
	expect_eq "$(cat "$S/dir1/inner")" inner "dir1/inner content on the host"
	expect_eq "$(ls "$S/sub" | grep '^n' || true)" "" "new .lvl files on the host"
}

check_none() {
	unlisted file1 .; unlisted dir1 .; unlisted e.lvl sub
	missing "stat file1"; missing "stat dir1"; missing "stat sub/e.lvl"
	missing "cat file1"; missing "cat dir1/inner"; missing "cat sub/e.lvl"; missing "ls dir1"
	denied "echo x > file1"; denied "echo x > file2"; denied "echo x > sub/n$AS.lvl"
	missing "rm file1"; missing "rm -r dir1"; missing "mv file1 free/g"
	denied "mv free/f file2"; denied "mv free/f sub/n$AS.lvl"; denied "cp free/f file2"
	denied "mkdir dir1"; denied "mkdir dir2"; missing "mkdir dir1/x"; denied "mkdir sub/n$AS.lvl"
	denied "ln -s free/f file2"; denied "ln free/f file2"; denied "mkfifo dir2"
	missing "touch dir1/inner"
	host_unchanged
}

# view and read share the denials of every change
check_no_change() {
	denied "echo x >> file1"; denied "echo x > file1"; denied "echo x > file2"
	denied "echo x > dir1/inner"; denied "echo x > dir1/new"; denied "echo x > sub/n$AS.lvl"
	denied "echo x > sub/e.lvl"; denied "touch file1"; denied "truncate -s 0 file1"
	refused "chmod 600 file1"; denied "rm -f file1"; denied "rm -f dir1/inner"
	denied "rmdir dir1"; denied "mv file1 free/g"; denied "mv free/f file2"
	denied "mv free/f dir1/g"; denied "mkdir dir2"; denied "mkdir dir1/x"
	denied "ln -s x file2"; refused "ln free/f dir1/l"; refused "ln file1 free/l"
	host_unchanged
}

check_view() {
	listed file1 .; listed dir1 .; listed e.lvl sub; listed inner dir1
	ok "stat -c %s file1"; expect_eq "$OUT" 6 "size of file1"
	ok "stat dir1/inner"; ok "stat sub/e.lvl"
	denied "cat file1"; denied "cat dir1/inner"; denied "cat sub/e.lvl"
	check_no_change
}

check_read() {
	listed file1 .; listed inner dir1; listed e.lvl sub
	ok "cat file1"; expect_eq "$OUT" file1
	ok "cat dir1/inner"; expect_eq "$OUT" inner
	ok "cat sub/e.lvl"; expect_eq "$OUT" elvl
	check_no_change
}

check_write() {
	local n=$AS
	ok "cat file1 dir1/inner sub/e.lvl"
	ok "echo $n >> file1"; ok "echo $n > file2.$n"
	ok "mkdir -m 777 dir2 2>/dev/null || test -d dir2; echo $n > dir2/$n"
	ok "echo $n > sub/n$n.lvl && cat sub/n$n.lvl"; expect_eq "$OUT" "$n"
	ok "mv sub/n$n.lvl sub/m$n.lvl && rm sub/m$n.lvl"
	ok "mkdir dir1/$n && echo x > dir1/$n/f && mv dir1/$n dir1/$n.2 && rm -r dir1/$n.2"
	ok "touch file1 && { [ $n = user ] || chmod 666 file1; } && truncate -s 100 file2.$n && rm file2.$n"
	ok "ln -s ../file1 sub/l$n.lvl && cat sub/l$n.lvl && rm sub/l$n.lvl"
	ok "ln dir1/inner dir1/hl$n && rm dir1/hl$n"
	[ -f "$S/dir2/$n" ] || fail "dir2/$n not on the host"
}

# Runs check_LEVEL as root and as the non-root uid.
level_test() { # level
	level_tree
	pf_start write "$(level_rules "$1")"
	AS=root "check_$1"
	AS=user "check_$1"
	pf_stop
}

t_access_none() { level_test none; }
t_access_view() { level_test view; }
t_access_read() { level_test read; }
t_access_write() { level_test write; }

# With the fallback none, only what a rule opens exists.
t_fallback_none() {
	S=$T/src
	mkdir -p "$S/pub" "$S/priv"
	echo p >"$S/pub/f"; echo s >"$S/priv/f"
	pf_start none '[{"pattern": "/work/pub", "access": "read"}]'
	for AS in root user; do
		ok "ls"; expect_eq "$OUT" pub "listing of the root"
		ok "cat pub/f"; missing "cat priv/f"; denied "echo x > new"; denied "echo x > pub/new"
	done
	pf_stop
}

# The deciding rule: priority first, then kind (file > directory > glob), then length.
t_precedence() {
	S=$T/src
	mkdir -p "$S/p" "$S/k" "$S/l/in" "$S/g"
	for f in p/f k/f k/g l/f l/in/f g/f; do echo "$f" >"$S/$f"; done
	pf_start write '[
	 {"pattern": "/work/p", "kind": "directory", "access": "read", "priority": 5},
	 {"pattern": "/work/p/f", "kind": "file", "access": "none"},
	 {"pattern": "/work/k", "kind": "directory", "access": "read"},
	 {"pattern": "/work/k/f", "kind": "file", "access": "none"},
	 {"pattern": "/work/k/*", "access": "write"},
	 {"pattern": "/work/l", "kind": "directory", "access": "read"},
	 {"pattern": "/work/l/in", "kind": "directory", "access": "none"},
	 {"pattern": "/work/g/*", "access": "none", "priority": 1},
	 {"pattern": "/work/g/f", "kind": "file", "access": "write"}]'
	for AS in root user; do
		ok "cat p/f"; expect_eq "$OUT" p/f "priority beats kind"
		denied "echo x >> p/f"
		missing "cat k/f"          # file beats glob and directory
		ok "cat k/g"; denied "echo x >> k/g" # directory (read) beats glob (write)
		missing "ls l/in"; ok "cat l/f"; denied "echo x >> l/f" # longer directory wins
		missing "cat g/f"          # priority 1 glob beats the file rule
	done
	pf_stop
}

t_symlink_to_hidden_file() {
	S=$T/src
	mkdir -p "$S/a"
	echo s >"$S/secret"
	ln -s ../secret "$S/a/rel"
	chmod -R a+rwX "$S"
	pf_start write '[{"pattern": "/work/secret", "kind": "file", "access": "none"}]'
	ln -s "$M/secret" "$S/a/abs"
	for AS in root user; do
		missing "cat a/rel"; missing "cat a/abs"
		ok "readlink a/rel"; expect_eq "$OUT" ../secret
		ok "ln -s ../secret a/new$AS"; missing "cat a/new$AS"
		missing "cat a/../secret"; missing "cd a && cat ../secret"
		unlisted secret "a/.."
	done
	pf_stop
}

t_hard_link_to_hidden_or_read_only() {
	S=$T/src
	mkdir -p "$S/a"
	echo s >"$S/secret"; echo r >"$S/ro"; chmod -R a+rwX "$S"
	pf_start write '[{"pattern": "/work/secret", "kind": "file", "access": "none"},
	 {"pattern": "/work/ro", "kind": "file", "access": "read"}]'
	for AS in root user; do
		missing "ln secret a/l$AS"
		refused "ln ro a/l$AS"   # a writable name for read-only content
		host_absent "a/l$AS"
	done
	expect_eq "$(stat -c %h "$S/secret") $(stat -c %h "$S/ro")" "1 1" "link counts"
	pf_stop
}

# A directory with rules beneath cannot be renamed (EXDEV), so paths cannot be moved out
# from under their rules, nor a directory moved to where rules are.
t_rename_dir_with_rules_below() {
	S=$T/src
	mkdir -p "$S/d/keep" "$S/e" "$S/free"
	echo s >"$S/d/keep/secret"; echo x >"$S/e/f"
	pf_start write '[{"pattern": "/work/d/keep/secret", "kind": "file", "access": "none"},
	 {"pattern": "/work/z/f", "kind": "file", "access": "none"}]'
	cd "$M"
	capture perl -e 'rename("d", "d2") or die "$!\n"'
	expect_contains "$OUT" "Invalid cross-device link" "rename of d"
	capture perl -e 'rename("d/keep", "free/keep") or die "$!\n"'
	expect_contains "$OUT" "Invalid cross-device link" "rename of d/keep"
	capture perl -e 'rename("e", "z") or die "$!\n"'
	expect_contains "$OUT" "Invalid cross-device link" "rename to z"
	[ -f "$S/d/keep/secret" ] || fail "secret moved"
	ok "mv free free2 && ls free2"   # no rule below: a real rename
	cd /
	pf_stop
}

# Renames keep the cached paths right: the moved tree answers under its new name. A glob
# that cannot match beneath the directory does not stop the rename.
t_rename_updates_paths() {
	S=$T/src
	mkdir -p "$S/a/b"; echo x >"$S/a/b/f"; echo h >"$S/a/top.hid"; chmod -R a+rwX "$S"
	pf_start write '[{"pattern": "/work/*.hid", "access": "none"},
	 {"pattern": "/work/e/*.ro", "access": "read"}]'
	AS=root
	ok "cat a/b/f && ls a/b && mv a c && cat c/b/f && echo y > c/b/g && ls c/b"
	expect_eq "$(echo $OUT)" "x f x f g" "listings before and after"
	missing "ls a"; denied "mv c x.hid"; ok "mv c/b/f c/b/f.ro"
	ok "mkdir -p a/b && echo z > a/b/f && cat a/b/f c/b/f.ro"; expect_eq "$(echo $OUT)" "z x"
	cd "$M"
	capture perl -e 'rename("c", "e") or die "$!\n"'
	expect_contains "$OUT" "Invalid cross-device link" "rename of c to e, with e/*.ro"
	# RENAME_NOREPLACE and RENAME_EXCHANGE are honoured, other flags refused
	echo 1 >"$S/c/one"; echo 2 >"$S/c/two"
	cd "$M/c"
	capture perl -e 'my ($a, $b) = ("one", "two"); syscall(316, -100, $a, -100, $b, 1) == 0 or die "$!\n"'
	expect_contains "$OUT" "File exists" "RENAME_NOREPLACE"
	perl -e 'my ($a, $b) = ("one", "two"); syscall(316, -100, $a, -100, $b, 2) == 0 or die "$!\n"'
	expect_eq "$(cat one)$(cat two)" 21 "RENAME_EXCHANGE"
	capture perl -e 'my ($a, $b) = ("one", "two"); syscall(316, -100, $a, -100, $b, 4) == 0 or die "$!\n"'
	expect_contains "$OUT" "Invalid argument" "RENAME_WHITEOUT"
	cd /
	pf_stop
}

# fsuid: a non-root caller cannot write a root-owned 0644 file, nor create in a root-owned
# 0755 directory, though the server runs as root; what it creates is its own.
t_caller_identity() {
	S=$T/src
	mkdir -p "$S/rootdir" "$S/open"
	echo r >"$S/rootfile"; chmod 0644 "$S/rootfile"; chmod 1777 "$S/open"
	echo c >"$S/open/chmodme"; chmod 0666 "$S/open/chmodme"
	pf_start write '[]'
	AS=user
	ok "cat rootfile"
	denied "echo x >> rootfile"; denied "echo x > rootdir/f"; denied "rm rootfile"
	fails_with "Operation not permitted" "chmod 777 open/chmodme"
	fails_with "Operation not permitted" "chown $USER_ID open/chmodme"
	ok "echo mine > open/mine"
	expect_eq "$(stat -c %u:%g "$S/open/mine")" "$USER_ID:$USER_ID" "owner of a created file"
	expect_eq "$(cat "$S/rootfile")" r
	AS=root
	ok "echo x >> rootfile && chown $USER_ID open/chmodme"
	pf_stop
}

t_large_file_round_trip() {
	S=$T/src
	mkdir -p "$S"
	head -c 20971520 /dev/urandom >"$T/big"
	pf_start write '[]'
	cp "$T/big" "$M/big"
	cmp "$T/big" "$S/big" || fail "written through the mount, differs on the host"
	cmp "$T/big" "$M/big" || fail "read through the mount, differs"
	dd if="$M/big" bs=1M skip=7 count=3 status=none | cmp - <(dd if="$T/big" bs=1M skip=7 count=3 status=none) ||
		fail "offset read differs"
	pf_stop
}

# Hidden entries are left out of big listings too (READDIR and READDIRPLUS, many pages).
t_listing_many_files() {
	S=$T/src
	mkdir -p "$S/many"
	(cd "$S/many" && for i in $(seq 1 1500); do : >"f$i"; : >"f$i.env"; done)
	pf_start write '[{"pattern": "/work/**/*.env", "access": "none"}]'
	expect_eq "$(ls "$M/many" | wc -l)" 1500 "plain listing"
	expect_eq "$(ls -l "$M/many" | grep -c '^-')" 1500 "long listing"
	expect_eq "$(find "$M" -name '*.env' | wc -l)" 0 "find"
	pf_stop
}

t_device_nodes_refused() {
	S=$T/src
	mkdir -p "$S"
	pf_start write '[]'
	expect_fail mknod "$M/null" c 1 3
	host_absent null
	mkfifo "$M/fifo" && [ -p "$S/fifo" ] || fail "fifo"
	pf_stop
}

# The node table is bounded (here by a low fd limit: 300 nodes): past it lookups fail with
# ENOMEM and the server lives on; FORGET frees nodes, so lookups work again afterwards.
t_node_table_bounded() {
	S=$T/src
	mkdir -p "$S/many"
	(cd "$S/many" && for i in $(seq 1 600); do echo "$i" >"f$i"; done)
	PF_NOFILE=600 pf_start write '[]'
	capture sh -c "cd '$M/many' && cat f* | wc -l"
	expect_contains "$OUT" "Cannot allocate memory" "past the node limit"
	sync
	echo 2 >/proc/sys/vm/drop_caches # the kernel forgets its inodes: FORGET
	sleep 0.2
	expect_eq "$(cat "$M/many/f599")" 599 "lookup after the nodes were forgotten"
	pf_stop
}

# The server ends when the mount goes away, also while files are open on it.
t_unmount_ends_server() {
	S=$T/src
	mkdir -p "$S"; echo x >"$S/f"
	pf_start write '[]'
	exec 9<"$M/f"
	exec 9<&-
	local pid=$PF_PID
	pf_stop
	kill -0 "$pid" 2>/dev/null && fail "harness still running"
	return 0
}

run_tests
