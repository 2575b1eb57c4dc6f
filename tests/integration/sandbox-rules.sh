#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Path permission rules end to end (`hutch run`/`create`/`exec` with --deny, --allow-*,
# --rules, hutch.json): every access level on every kind of rule, on paths that exist, that
# the sandbox creates and that the host creates later; precedence; which mechanism enforces
# each rule (inspect); bad rules; escape attempts; and that no FUSE server, staging mount or
# staging dir survives a sandbox.
#
# Every check inside a sandbox goes through PROBE (below), which prints one word per
# operation: ok, ENOENT, EACCES (or EPERM), EROFS, EEXIST or other(...).
. "$(dirname "$0")/lib.sh"

R=/tmp/hutch-rules-root-$$
hutch() { timeout 60 "$HUTCH" --root "$R" "$@"; }
PATHFS_RUN=/run/hutch/pathfs

# ---- inside the sandbox ----
# shellcheck disable=SC2016
PROBE='
w() { # op cmd...: prints op=RESULT
	_l=$1; shift
	if _o=$("$@" 2>&1); then echo "$_l=ok"; return; fi
	case $_o in
	*"No such file"*|*"nonexistent"*) echo "$_l=ENOENT" ;;
	*"Permission denied"*|*"not permitted"*) echo "$_l=EACCES" ;;
	*"Read-only"*) echo "$_l=EROFS" ;;
	*"exists"*) echo "$_l=EEXIST" ;;
	*) echo "$_l=other($(echo "$_o" | tr "\n " "__"))" ;;
	esac
}
listed() { # op dir name
	if ls -a "$2" 2>/dev/null | grep -qxF "$3"; then echo "$1=yes"; else echo "$1=no"; fi
}
# A file: visibility, content, changes; rm last.
pfile() {
	listed listed "$(dirname "$1")" "$(basename "$1")"
	w stat stat "$1"
	w cat cat "$1"
	w append sh -c "echo more >> \"$1\""
	w mv mv "$1" "$1.mv"
	[ -e "$1.mv" ] && mv "$1.mv" "$1"
	w rm rm "$1"
}
# A directory holding the file "in".
pdir() {
	listed listed "$(dirname "$1")" "$(basename "$1")"
	w stat stat "$1"
	w ls ls "$1"
	w cat cat "$1/in"
	w append sh -c "echo more >> \"$1/in\""
	w create sh -c "echo new > \"$1/new\""
	w mkdir mkdir "$1/sub"
	w mv mv "$1/in" "$1/in.mv"
	[ -e "$1/in.mv" ] && mv "$1/in.mv" "$1/in"
	w rm rm "$1/in"
}
# A path that does not exist: can the sandbox make it (a file; pnewd: a directory)?
pnew() {
	w create sh -c "echo made > \"$1\""
	listed listed "$(dirname "$1")" "$(basename "$1")"
}
pnewd() {
	w mkdir mkdir "$1"
	listed listed "$(dirname "$1")" "$(basename "$1")"
}
# Runs a probe on a path and prints one line "PATH k=v k=v...".
p() { echo "$2 $($1 "$2" | tr "\n" " ")"; }
'

# In the sandbox: the probe functions, then "$@" as a script.
sbx() { hutch run "${RUN_OPTS[@]}" -- sh -c "$PROBE
$1"; }

# expect_probe OUTPUT PATH "k=v k=v ...": for each expected k=v the line of PATH in OUTPUT has
# k=v; v may be "a|b" (either) or "!ok" (anything but ok).
expect_probe() {
	local out=$1 path=$2 want=$3 line kv k v got
	line=$(echo "$out" | awk -v p="$path" '$1 == p' | head -1)
	[ -n "$line" ] || fail "no probe of $path in: $out"
	for kv in $want; do
		k=${kv%%=*} v=${kv#*=}
		got=$(echo "$line" | tr ' ' '\n' | awk -F= -v k="$k" '$1 == k {sub(/^[^=]*=/, ""); print}')
		if [ "$v" = '!ok' ]; then
			[ -n "$got" ] && [ "$got" != ok ] || fail "$path: $k=$got, expected a failure ($line)"
		else
			[[ "|$v|" == *"|$got|"* ]] || fail "$path: $k=$got, expected $v ($line)"
		fi
	done
}

# What each access level allows (file / directory / new path), as expect_probe wants it.
F_none='listed=no stat=ENOENT cat=ENOENT append=!ok mv=ENOENT rm=ENOENT'
F_view='listed=yes stat=ok cat=EACCES append=!ok mv=!ok rm=!ok'
F_read='listed=yes stat=ok cat=ok append=!ok mv=!ok rm=!ok'
F_write='listed=yes stat=ok cat=ok append=ok mv=ok rm=ok'
D_none='listed=no stat=ENOENT ls=ENOENT cat=ENOENT append=!ok create=!ok mkdir=!ok mv=ENOENT rm=ENOENT'
D_view='listed=yes stat=ok ls=ok cat=EACCES append=!ok create=!ok mkdir=!ok mv=!ok rm=!ok'
D_read='listed=yes stat=ok ls=ok cat=ok append=!ok create=!ok mkdir=!ok mv=!ok rm=!ok'
D_write='listed=yes stat=ok ls=ok cat=ok append=ok create=ok mkdir=ok mv=ok rm=ok'
N_none='create=!ok listed=no'
N_view='create=!ok listed=no'
N_read='create=!ok listed=no'
N_write='create=ok listed=yes'
ND_none='mkdir=!ok listed=no'
ND_view='mkdir=!ok listed=no'
ND_read='mkdir=!ok listed=no'
ND_write='mkdir=ok listed=yes'
# A file rule gives write on that name only: renaming it to a name outside the rule fails.
F_write_rule='listed=yes stat=ok cat=ok append=ok mv=EACCES rm=ok'

# ---- the host side ----
ws() { mkdir -p "$T/ws" && cd "$T/ws"; }

# The standard workspace of the matrix tests: a file, a directory, a glob's match.
matrix_ws() {
	ws
	echo file >f
	mkdir d && echo in >d/in
	mkdir g && echo key >g/x.k && echo plain >g/x.txt
}

# A rules file giving ACCESS to the matrix paths: f (file), d (directory), g/*.k (glob), and
# nf, nd, g/new*.k that do not exist yet (nf as a file rule). Write rules need something to
# lift: then /work itself is read-only (priority 0) and the rules have priority 1.
matrix_rules() { # access
	local a=$1 prio=0 base=""
	if [ "$a" = write ]; then
		prio=1
		base='{"pattern": "/work", "access": "read", "kind": "directory"},'
	fi
	cat >"$T/rules.json" <<EOF
[ $base
  {"pattern": "f", "access": "$a", "priority": $prio},
  {"pattern": "/work/d", "access": "$a", "priority": $prio},
  {"pattern": "/work/g/*.k", "access": "$a", "priority": $prio},
  {"pattern": "/work/nf", "access": "$a", "kind": "file", "priority": $prio},
  {"pattern": "/work/nd", "access": "$a", "kind": "directory", "priority": $prio}
]
EOF
}

# Existing paths and paths the sandbox creates, in one `hutch run`.
matrix_existing() { # access
	local a=$1 F D N ND out
	matrix_ws
	matrix_rules "$a"
	F=F_$a D=D_$a N=N_$a ND=ND_$a
	[ "$a" = write ] && F=F_write_rule
	RUN_OPTS=(--rules "$T/rules.json")
	out=$(sbx 'p pfile /work/f; p pdir /work/d; p pfile /work/g/x.k; p pfile /work/g/x.txt
		p pnew /work/nf; p pnewd /work/nd; p pnew /work/g/new.k; p pnewd /work/g/newd.k')
	echo "$out"
	expect_probe "$out" /work/f "${!F}"
	expect_probe "$out" /work/d "${!D}"
	expect_probe "$out" /work/g/x.k "${!F}"
	expect_probe "$out" /work/nf "${!N}"
	expect_probe "$out" /work/g/new.k "${!N}"
	expect_probe "$out" /work/nd "${!ND}"
	expect_probe "$out" /work/g/newd.k "${!ND}"
	# Outside the rules, the layout: the workspace is writable (read-only under write's base).
	if [ "$a" = write ]; then
		expect_probe "$out" /work/g/x.txt "$F_read"
	else
		expect_probe "$out" /work/g/x.txt "$F_write"
	fi
	# What the sandbox could not create does not exist on the host either.
	if [ "$a" != write ]; then
		for n in nf nd g/new.k g/newd.k d/new d/sub; do
			[ ! -e "$T/ws/$n" ] || fail "the sandbox created $n under a '$a' rule"
		done
	else
		[ -f "$T/ws/nf" ] && [ -f "$T/ws/g/new.k" ] && [ -f "$T/ws/d/new" ] &&
			[ -d "$T/ws/nd" ] && [ -d "$T/ws/g/newd.k" ] ||
			fail "writes under 'write' rules did not reach the host"
	fi
}

# A running sandbox (hutch create) with the rules; the host then creates the paths; exec looks.
sb_start() {
	SB=$(hutch create "$@") || fail "hutch create $*"
	trap sb_stop EXIT
}

# Also waits for the agent to be gone (init may reap it slowly): the leak check counts it.
sb_stop() {
	local apid
	apid=$(jq -r .pid "$R/$SB/engine/$SB/state.json" 2>/dev/null || true)
	hutch rm -f "$SB" >/dev/null 2>&1 || true
	for _ in $(seq 100); do
		[ -n "$apid" ] && [ "$apid" != null ] && [ -d "/proc/$apid" ] || break
		ps -o stat= -p "$apid" | grep -q '^Z' && break
		sleep 0.05
	done
}

sbexec() { hutch exec "$SB" -- sh -c "$PROBE
$1"; }

matrix_later() { # access
	local a=$1 F D N out
	ws
	mkdir g
	matrix_rules "$a"
	sb_start --rules "$T/rules.json"
	echo file >f
	mkdir d && echo in >d/in
	echo key >g/x.k
	echo hf >nf
	mkdir nd && echo in >nd/in
	F=F_$a D=D_$a
	[ "$a" = write ] && F=F_write_rule
	out=$(sbexec 'p pfile /work/f; p pdir /work/d; p pfile /work/g/x.k; p pfile /work/nf; p pdir /work/nd')
	echo "$out"
	expect_probe "$out" /work/f "${!F}"
	expect_probe "$out" /work/d "${!D}"
	expect_probe "$out" /work/g/x.k "${!F}"
	expect_probe "$out" /work/nf "${!F}"
	expect_probe "$out" /work/nd "${!D}"
	if [ "$a" != write ]; then
		expect_eq "$(cat "$T/ws/f" "$T/ws/d/in" "$T/ws/nf" | tr '\n' ' ')" "file in hf " \
			"host files unchanged under '$a'"
	fi
}

# ---- leftovers ----
# Our FUSE servers: hutch-pathfs processes (not zombies) holding an fd of this test's
# workspace (the tree a server passes through is an idmapped clone of it, whose fd reads as
# "/": the inode number tells).
our_servers() {
	local p ino
	ino=$(stat -c %i "$T/ws" 2>/dev/null) || return 0
	for p in $(ps -e -o pid=,stat=,comm= | awk '$3 == "hutch-pathfs" && $2 !~ /^Z/ {print $1}'); do
		cat "/proc/$p/fdinfo/"* 2>/dev/null | grep -qx "ino:[[:space:]]*$ino" && echo "$p"
	done
	true
}

# Waits (up to ~2.5 s) for our servers to exit; fails naming what is left: servers, FUSE or
# staging mounts, staging dirs that were not there before the test.
wait_clean() {
	local i left
	for i in $(seq 50); do
		left=$(our_servers)
		[ -z "$left" ] && break
		sleep 0.05
	done
	[ -z "$left" ] || { ps -o pid,stat,args -p $left >&2; echo "FAILED: hutch-pathfs left: $left" >&2; return 1; }
	left=$(awk '$5 ~ "^/run/hutch/pathfs/" || $0 ~ / - fuse hutch-pathfs / {print $5}' /proc/self/mountinfo |
		sort | comm -13 "$T.mounts" - 2>/dev/null)
	[ -z "$left" ] || { echo "FAILED: pathfs mounts left on the host: $left" >&2; return 1; }
	left=$(ls "$PATHFS_RUN" 2>/dev/null | sort | comm -13 "$T.staging" -)
	[ -z "$left" ] || { echo "FAILED: staging dirs left in $PATHFS_RUN: $left" >&2; return 1; }
	return 0
}

# Every t_* test runs with the leftover check afterwards (what was there before is not ours).
with_cleanup_checks() {
	local f
	for f in $(declare -F | awk '{print $3}' | grep '^t_'); do
		eval "_rules_$f() $(declare -f "$f" | tail -n +2)"
		eval "$f() {
			awk '\$5 ~ \"^/run/hutch/pathfs/\" || \$0 ~ / - fuse hutch-pathfs / {print \$5}' \
				/proc/self/mountinfo | sort >\"\$T.mounts\"
			ls \"$PATHFS_RUN\" 2>/dev/null | sort >\"\$T.staging\"
			local rc
			set +e
			( set -e; _rules_$f )
			rc=\$?
			wait_clean || rc=1
			set -e
			rm -f \"\$T.mounts\" \"\$T.staging\"
			return \$rc
		}"
	done
}

# ===== 1. access levels x kinds =====

t_none_existing_and_created() { matrix_existing none; }
t_view_existing_and_created() { matrix_existing view; }
t_read_existing_and_created() { matrix_existing read; }
t_write_existing_and_created() { matrix_existing write; }
t_none_host_created_later() { matrix_later none; }
t_view_host_created_later() { matrix_later view; }
t_read_host_created_later() { matrix_later read; }
t_write_host_created_later() { matrix_later write; }

# The flags, without a rules file: auto kinds (file, directory, glob).
t_flags_each_level() {
	matrix_ws
	echo v >v && echo r >r && mkdir wd && echo in >wd/in
	RUN_OPTS=(--deny f --deny '/work/g/*.k' --allow-view /work/v --allow-read /work/r
		--allow-read /work/d --allow-write /work/wd)
	out=$(sbx 'p pfile /work/f; p pfile /work/g/x.k; p pfile /work/v; p pfile /work/r
		p pdir /work/d; p pdir /work/wd; p pfile /work/g/x.txt')
	echo "$out"
	expect_probe "$out" /work/f "$F_none"
	expect_probe "$out" /work/g/x.k "$F_none"
	expect_probe "$out" /work/v "$F_view"
	expect_probe "$out" /work/r "$F_read"
	expect_probe "$out" /work/d "$D_read"
	expect_probe "$out" /work/wd "$D_write"
	expect_probe "$out" /work/g/x.txt "$F_write"
}

# A glob that matches a directory covers what is inside it; ** spans components.
t_glob_covers_directories_and_depth() {
	ws
	mkdir -p a/node_modules/pkg b/c/d/node_modules && echo x >a/node_modules/pkg/i.js
	echo y >b/c/d/node_modules/j.js && echo pem >b/c/d/k.pem && echo ok >b/c/d/k.txt
	RUN_OPTS=(--deny '**/node_modules' --deny '/work/**/*.pem')
	out=$(sbx 'p pdir /work/a/node_modules; p pfile /work/b/c/d/k.pem; p pfile /work/b/c/d/k.txt
		cat /work/a/node_modules/pkg/i.js 2>&1; cat /work/b/c/d/node_modules/j.js 2>&1
		mkdir -p /work/new/node_modules 2>&1; echo mk=$?')
	echo "$out"
	expect_probe "$out" /work/a/node_modules "listed=no stat=ENOENT ls=ENOENT"
	expect_probe "$out" /work/b/c/d/k.pem "$F_none"
	expect_probe "$out" /work/b/c/d/k.txt "$F_write"
	expect_not_contains "$out" "
x"
	expect_not_contains "$out" "
y"
	expect_not_contains "$out" "mk=0"
	[ ! -e "$T/ws/new/node_modules" ] || fail "a hidden directory was created on the host"
}

# ===== 2. precedence =====

t_precedence_kind_file_dir_glob() {
	ws
	mkdir -p s/t && echo 1 >s/a.pem && echo 2 >s/t/b.pem && echo 3 >s/c.pem
	# directory (read) beats glob (none) under s/t; file (none) beats directory (read).
	RUN_OPTS=(--deny '/work/**/*.pem' --allow-read /work/s/t --allow-read /work/s --deny /work/s/c.pem)
	out=$(sbx 'p pfile /work/s/a.pem; p pfile /work/s/t/b.pem; p pfile /work/s/c.pem')
	echo "$out"
	expect_probe "$out" /work/s/a.pem "$F_read"
	expect_probe "$out" /work/s/t/b.pem "$F_read"
	expect_probe "$out" /work/s/c.pem "$F_none"
}

t_precedence_priority_beats_kind() {
	ws
	mkdir -p s && echo 1 >s/a.pem && echo 2 >s/b
	cat >"$T/r.json" <<'EOF'
{"default": "layout", "rules": [
  {"pattern": "/work/**/*.pem", "access": "none", "priority": 10},
  {"pattern": "/work/s/a.pem", "access": "read", "kind": "file"},
  {"pattern": "/work/s", "access": "view", "priority": 5},
  {"pattern": "/work/s/b", "access": "write", "priority": 4}
]}
EOF
	RUN_OPTS=(--rules "$T/r.json")
	out=$(sbx 'p pfile /work/s/a.pem; p pfile /work/s/b')
	echo "$out"
	expect_probe "$out" /work/s/a.pem "$F_none"
	expect_probe "$out" /work/s/b "$F_view"
}

t_precedence_longer_pattern_then_later_rule() {
	ws
	mkdir -p a/b/c && echo x >a/b/c/f && echo y >a/b/g && echo z >a/h
	# directory vs directory: the longer wins, whatever the order.
	RUN_OPTS=(--allow-view /work/a/b/c --allow-read /work/a/b --allow-view /work/a)
	out=$(sbx 'p pfile /work/a/b/c/f; p pfile /work/a/b/g; p pfile /work/a/h')
	echo "$out"
	expect_probe "$out" /work/a/b/c/f "$F_view"
	expect_probe "$out" /work/a/b/g "$F_read"
	expect_probe "$out" /work/a/h "$F_view"
	# glob vs glob: the longer pattern. (Globs that match only the files: a glob matching
	# /work/a itself would hide everything beneath it, see t_allow_inside_denied_dir.)
	mkdir -p x && echo w >x/g
	RUN_OPTS=(--deny '/work/**/g' --allow-read '/work/a/**/g')
	out=$(sbx 'p pfile /work/a/b/g; p pfile /work/x/g')
	echo "$out"
	expect_probe "$out" /work/a/b/g "$F_read"
	expect_probe "$out" /work/x/g "$F_none"
	# Same kind, length and priority: the later rule.
	RUN_OPTS=(--deny /work/a/h --allow-read /work/a/h)
	out=$(sbx 'p pfile /work/a/h')
	expect_probe "$out" /work/a/h "$F_read"
	RUN_OPTS=(--allow-read /work/a/h --deny /work/a/h)
	out=$(sbx 'p pfile /work/a/h')
	expect_probe "$out" /work/a/h "$F_none"
}

# A hidden directory hides all beneath it, even a path a longer rule allows (pathfs: "a hidden
# directory must not be a parent for anything"); the same must hold, or the rules be refused
# up front (exit 2), where the hidden directory is an empty tmpfs (top-level host dirs).
t_allow_inside_denied_dir() {
	ws
	mkdir -p a/b && echo x >a/b/f
	RUN_OPTS=(--deny /work/a --allow-read /work/a/b)
	out=$(sbx 'p pfile /work/a/b/f; p pdir /work/a')
	echo "$out"
	expect_probe "$out" /work/a/b/f "listed=no stat=ENOENT cat=ENOENT"
	expect_probe "$out" /work/a "listed=no stat=ENOENT"
	local rc f
	# A top-level directory hidden by an empty tmpfs: what is allowed inside stays hidden
	# (inspect says shadowed), and the sandbox still starts.
	for f in /etc/hostname /etc/ssl; do
		set +e
		out=$(hutch run --deny /etc --allow-read "$f" -- sh -c "cat $f 2>&1 | head -c 20; echo; echo end" 2>&1)
		rc=$?
		set -e
		echo "$f: rc=$rc $out"
		[ "$rc" = 0 ] || [ "$rc" = 2 ] || fail "--deny /usr --allow-read $f: exit $rc: $out"
		[ "$rc" = 2 ] || expect_contains "$out" "end"
	done
}

t_default_access_none() {
	ws
	echo w >f
	out=$(hutch run --default-access none --allow-read /usr --allow-read /bin --allow-read /lib \
		--allow-read /lib64 --allow-write /work -- sh -c 'ls /; cat /work/f; echo n >/work/g; ls /home 2>&1; ls /root 2>&1; true')
	expect_contains "$out" "usr"
	expect_contains "$out" "'/home': No such file or directory"
	expect_contains "$out" "'/root': No such file or directory"
	expect_contains "$out" "w"
	[ -f g ] || fail "default none with --allow-write /work: the write did not reach the workspace"
	# strict is default none with the system directories and the workspace (read-only).
	out=$(hutch run --security strict -- sh -c 'ls /etc >/dev/null && echo etc-ok; ls /home 2>&1; echo x >/work/h 2>&1; true')
	expect_contains "$out" "etc-ok"
	expect_contains "$out" "'/home': No such file or directory"
	[ ! -e h ] || fail "strict: the workspace was writable"
}

# ===== 3. mechanisms (inspect) =====

inspect_rules() { hutch inspect "$SB" | jq -c '.[0].settings.pathRules.rules[] | [.rule, .enforced_by, .at]'; }

t_inspect_mount_for_allow_read() {
	ws
	mkdir sub && echo s >sub/f
	sb_start --allow-read /work/sub
	got=$(inspect_rules)
	expect_eq "$got" '["read:directory:0:/work/sub","mount","/work/sub"]'
	[ -z "$(our_servers)" ] || fail "a FUSE server runs for a mount-only rule"
	out=$(sbexec 'p pfile /work/sub/f; grep " /work/sub " /proc/self/mountinfo')
	expect_probe "$out" /work/sub/f "$F_read"
	expect_contains "$out" " ro,"
}

t_inspect_fuse_for_glob_and_moves_inner_mounts() {
	ws
	mkdir sub && echo s >sub/f
	sb_start --deny '**/*.pem' --allow-read /work/sub --deny /home
	got=$(inspect_rules)
	echo "$got"
	expect_contains "$got" '["none:glob:0:/work/**/*.pem","fuse","/work"]'
	# Inside the FUSE anchor: the bind mount would bypass the server, so the server does it.
	expect_contains "$got" '["read:directory:0:/work/sub","fuse","/work"]'
	# A top-level host directory: an empty tmpfs over it.
	expect_contains "$got" '["none:directory:0:/home","mount","/home"]'
	[ -n "$(our_servers)" ] || fail "no FUSE server for a sandbox with a glob rule"
	out=$(sbexec 'p pfile /work/sub/f; ls -a /home | grep -v "^\.\.\?$" | wc -l; grep " /work " /proc/self/mountinfo')
	echo "$out"
	expect_probe "$out" /work/sub/f "$F_read"
	expect_contains "$out" "fuse hutch-pathfs"
}

t_inspect_layout_and_print_config() {
	ws
	mkdir x
	sb_start --deny /etc/no-such-hutch-file --deny /work/x
	got=$(inspect_rules)
	echo "$got"
	expect_contains "$got" '["none:directory:0:/etc/no-such-hutch-file","layout",null]'
	expect_contains "$got" '["none:directory:0:/work/x","fuse","/work"]'
	out=$(hutch run --deny '*.pem' --allow-read /usr --print-config -- true)
	expect_contains "$(echo "$out" | jq -c .rules)" '/work/*.pem'
	expect_contains "$(echo "$out" | jq -c .rules)" '/usr'
}

# The workspace itself denied: an empty mount over /work, nothing inside visible or creatable.
t_deny_workspace_is_empty_mount() {
	ws
	echo s >secret
	sb_start --deny /work
	expect_eq "$(inspect_rules)" '["none:directory:0:/work","mount","/work"]'
	out=$(hutch exec -w / "$SB" -- sh -c 'ls -A /work | wc -l; cat /work/secret 2>&1; touch /work/n 2>&1; echo t=$?')
	echo "$out"
	expect_eq "$(echo "$out" | grep -v Permission | head -1)" 0
	expect_not_contains "$out" "t=0"
	# Inside the empty mount every name fails alike (EACCES: mode 000), so none is told apart.
	expect_not_contains "$out" "
s"
	[ ! -e "$T/ws/n" ] || fail "created a file in a denied workspace"
}

# Rules under a --mount path (no id mapping there): a read-only mount stays read-only where
# the server passes through; a read-write one is writable except where rules say otherwise.
t_rules_under_mount_paths() {
	ws
	mkdir -p "$T/data/ro" && echo s >"$T/data/k.pem" && echo p >"$T/data/pub" && echo r >"$T/data/ro/f"
	# No id mapping on --mount paths: the sandbox's root is an unprivileged host user there.
	chmod 777 "$T/data" "$T/data/ro" && chmod 666 "$T/data/pub" "$T/data/ro/f"
	RUN_OPTS=(--mount "$T/data:/mnt:ro" --deny '/mnt/*.pem')
	out=$(sbx 'p pfile /mnt/k.pem; p pfile /mnt/pub; p pnew /mnt/new')
	echo "$out"
	expect_probe "$out" /mnt/k.pem "$F_none"
	expect_probe "$out" /mnt/pub "$F_read"
	expect_probe "$out" /mnt/new "$N_read"
	RUN_OPTS=(--mount "$T/data:/mnt:rw" --deny '/mnt/*.pem' --allow-read /mnt/ro)
	out=$(sbx 'p pfile /mnt/k.pem; p pfile /mnt/ro/f; p pnew /mnt/new')
	echo "$out"
	expect_probe "$out" /mnt/k.pem "$F_none"
	expect_probe "$out" /mnt/ro/f "$F_read"
	expect_probe "$out" /mnt/new "$N_write"
	expect_eq "$(cat "$T/data/k.pem" "$T/data/pub" "$T/data/ro/f" "$T/data/new" | tr '\n' ' ')" "s p r made " \
		"host files under the mount"
}

# A FUSE server on the read-only host root (here a dir under /mnt) runs as root on the host:
# it must not write there, not even into world-writable files and directories.
t_fuse_on_host_root_stays_read_only() {
	ws
	local v=/mnt/hutch-rules-ro-$$
	mkdir -p "$v/sub" && echo orig >"$v/sub/f" && echo ww >"$v/sub/ww"
	chmod 777 "$v" "$v/sub" && chmod 666 "$v/sub/ww"
	trap "rm -rf '$v'" EXIT
	echo s >"$v/sub/k.pem"
	RUN_OPTS=(--deny "$v/sub/*.pem")
	out=$(sbx "p pfile $v/sub/k.pem; p pfile $v/sub/f; p pfile $v/sub/ww; p pnew $v/sub/new; p pnewd $v/sub/nd
		chmod 777 $v/sub/f 2>&1; echo end")
	echo "$out"
	expect_probe "$out" "$v/sub/k.pem" "$F_none"
	expect_probe "$out" "$v/sub/f" "$F_read"
	expect_probe "$out" "$v/sub/ww" "$F_read"
	expect_probe "$out" "$v/sub/new" "$N_read"
	expect_probe "$out" "$v/sub/nd" "$ND_read"
	expect_eq "$(cat "$v/sub/f" "$v/sub/ww" | tr '\n' ' ')" "orig ww " "host files"
	expect_eq "$(ls "$v/sub" | tr '\n' ' ')" "f k.pem ww " "host dir"
	expect_eq "$(stat -c %a "$v/sub/f")" 644
}

# ===== 4. config files, rules files, errors =====

t_rules_from_hutch_json() {
	ws
	echo s >a.key && echo p >pub && mkdir vd && echo in >vd/in
	cat >hutch.json <<'EOF'
{"default": {"rules": ["none:glob:/work/*.key", "view:/work/vd", "read:file:3:/work/pub"]}}
EOF
	out=$(hutch run --print-config -- true | jq -c .rules)
	expect_contains "$out" "none:glob:/work/*.key"
	RUN_OPTS=()
	out=$(sbx 'p pfile /work/a.key; p pfile /work/pub; p pdir /work/vd')
	echo "$out"
	expect_probe "$out" /work/a.key "$F_none"
	expect_probe "$out" /work/pub "$F_read"
	expect_probe "$out" /work/vd "$D_view"
	# --no-config: none of them.
	out=$(hutch run --no-config -- cat /work/a.key)
	expect_eq "$out" s
}

t_rules_file_and_flags_combine() {
	ws
	echo a >a && echo b >b
	echo '[{"pattern": "a", "access": "none"}]' >"$T/r.json"
	RUN_OPTS=(--rules "$T/r.json" --allow-read /work/b)
	out=$(sbx 'p pfile /work/a; p pfile /work/b')
	expect_probe "$out" /work/a "$F_none"
	expect_probe "$out" /work/b "$F_read"
}

t_bad_rules_exit_2() {
	ws
	local rc
	check_bad() { # message-part, args...
		local want=$1; shift
		set +e
		hutch run "$@" -- true >"$T/out" 2>"$T/err"
		rc=$?
		set -e
		expect_eq "$rc" 2 "exit code of $*"
		expect_eq "$(grep -c . "$T/err")" 1 "one message for $*: $(cat "$T/err")"
		expect_contains "$(cat "$T/err")" "$want"
	}
	check_bad "'..'" --deny /work/../etc
	check_bad "'..'" --allow-read 'a/../../etc'
	echo '[{"pattern": "a", "access": "hide"}]' >"$T/bad-access.json"
	check_bad "'hide'" --rules "$T/bad-access.json"
	echo '[{"pattern": "a", "access": ' >"$T/bad.json"
	check_bad "invalid JSON" --rules "$T/bad.json"
	check_bad "$T/missing.json" --rules "$T/missing.json"
	check_bad "whole root" --deny '/**/*.pem'
	check_bad "tmpfs" --deny /tmp/x
	check_bad "default access 'view'" --default-access view
	check_bad "expected none, view, read, write or layout" --default-access sometimes
	echo '{"default": {"rules": ["hide:/work/x"]}}' >hutch.json
	check_bad "hutch.json" 
	rm hutch.json
	[ -z "$(ls "$R" 2>/dev/null | grep -v agents)" ] || fail "state left behind"
}

# ===== 5. escapes =====

# Symlinks, '..', /proc/self/root, dirfd + openat, find and grep: the secret never shows.
t_escape_paths_to_a_hidden_file() {
	ws
	mkdir -p s/deep && echo TOPSECRET >s/key.pem && echo fine >s/deep/ok
	ln -s key.pem s/host-link
	RUN_OPTS=(--deny '/work/**/*.pem')
	out=$(sbx '
		cd /work
		ln -s s/key.pem lnk 2>&1; cat lnk 2>&1
		cat s/host-link 2>&1
		cat /work/s/deep/../key.pem 2>&1
		cat s/deep/../../s/key.pem 2>&1
		cat /proc/self/root/work/s/key.pem 2>&1
		cat /proc/1/root/work/s/key.pem 2>&1
		cd /work/s && cat ./key.pem 2>&1; cd /work
		/usr/bin/python3 -c "import os; d = os.open(\"/work/s\", os.O_RDONLY); print(os.read(os.open(\"key.pem\", os.O_RDONLY, dir_fd=d), 100))" 2>&1 | tail -1
		perl -e "opendir(D, \"/work/s\"); print readdir(D), \"\n\"" 2>&1
		find /work -name "*.pem" 2>/dev/null; find /work 2>/dev/null
		grep -r TOPSECRET /work 2>&1
		tar cf - /work 2>/dev/null | grep -a TOPSECRET | head -c 200
		cp -r /work/s /tmp/copy 2>&1; cat /tmp/copy/key.pem 2>&1
		echo end')
	echo "$out"
	expect_not_contains "$out" TOPSECRET
	expect_not_contains "$out" "key.pem
"
	expect_contains "$out" end
}

# Hard links: the sandbox cannot link the hidden file to a visible name.
t_escape_hard_link() {
	ws
	mkdir s && echo TOPSECRET >s/key.pem
	RUN_OPTS=(--deny '/work/**/*.pem')
	out=$(sbx 'ln /work/s/key.pem /work/s/k.txt 2>&1; echo ln=$?; cat /work/s/k.txt 2>&1
		ln -P /proc/self/root/work/s/key.pem /work/k2 2>&1; cat /work/k2 2>&1; echo end')
	echo "$out"
	expect_contains "$out" "ln=1"
	expect_not_contains "$out" TOPSECRET
	[ ! -e "$T/ws/s/k.txt" ] && [ ! -e "$T/ws/k2" ] || fail "a link to the hidden file was made"
	# A documented limitation: a hard link the HOST made under another name is that other
	# name, and rules match names: it is readable. Recorded here, not asserted as a failure.
	ln s/key.pem host-made.txt
	out=$(sbx 'cat /work/host-made.txt 2>&1')
	echo "# limitation: host-made hard link under another name reads: $out"
}

# Renaming a directory that has rules below it would move paths out from under their rules.
t_escape_rename_parent_dir() {
	ws
	mkdir -p s/in && echo TOPSECRET >s/in/key.pem && echo TOP2 >s/hidden
	RUN_OPTS=(--deny '/work/s/in/*.pem' --deny /work/s/hidden)
	out=$(sbx 'mv /work/s /work/t 2>&1; echo mv1=$?; cat /work/t/in/key.pem /work/t/hidden 2>&1
		mv /work/s/in /work/in2 2>&1; echo mv2=$?; cat /work/in2/key.pem 2>&1
		mkdir /work/x && mv /work/x /work/s2 2>&1
		/usr/bin/python3 -c "import os; os.rename(\"/work/s\", \"/work/u\")" 2>&1 | tail -1
		cat /work/u/hidden /work/u/in/key.pem 2>&1; echo end')
	echo "$out"
	expect_not_contains "$out" TOPSECRET
	expect_not_contains "$out" TOP2
	expect_not_contains "$out" "mv1=0"
	expect_not_contains "$out" "mv2=0"
	[ -f "$T/ws/s/hidden" ] && [ -f "$T/ws/s/in/key.pem" ] || fail "the hidden files moved on the host"
}

# Creating a hidden name (by every route) fails, and the host file is not made; an existing
# hidden file is not overwritten or truncated.
t_escape_create_hidden_path() {
	ws
	mkdir s && echo TOPSECRET >s/old.pem
	RUN_OPTS=(--deny '/work/**/*.pem' --deny /work/s/never)
	out=$(sbx 'cd /work/s
		echo x > new.pem 2>&1; echo x > old.pem 2>&1; true > old.pem 2>&1
		mkdir never 2>&1; touch never 2>&1; ln -s /etc/passwd never 2>&1; mkfifo never 2>&1
		echo y > t.txt && mv t.txt new2.pem 2>&1; ln t.txt new3.pem 2>&1
		ln -s t.txt new4.pem 2>&1
		/usr/bin/python3 -c "import os; os.open(\"/work/s/new5.pem\", os.O_CREAT|os.O_WRONLY|os.O_EXCL)" 2>&1 | tail -1
		ls -a; echo end')
	echo "$out"
	expect_contains "$out" end
	local n
	for n in new.pem never new2.pem new3.pem new4.pem new5.pem; do
		[ ! -e "$T/ws/s/$n" ] && [ ! -L "$T/ws/s/$n" ] || fail "the sandbox created the hidden '$n' on the host"
	done
	expect_eq "$(cat "$T/ws/s/old.pem")" TOPSECRET "hidden file's content"
	expect_not_contains "$out" "pem
"
}

# The view level: no byte of content by any route (cat, mmap via python, cp, exec).
t_escape_view_content() {
	ws
	echo 'echo RAN' >run.sh && chmod +x run.sh && echo CONTENT >v
	RUN_OPTS=(--allow-view /work/v --allow-view /work/run.sh)
	out=$(sbx 'cat /work/v 2>&1; cp /work/v /tmp/c 2>&1; cat /tmp/c 2>&1
		/usr/bin/python3 -c "import mmap; f = open(\"/work/v\", \"rb\"); print(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)[:])" 2>&1 | tail -1
		/work/run.sh 2>&1; sh /work/run.sh 2>&1; chmod 644 /work/v 2>&1; cat /work/v 2>&1; echo end')
	echo "$out"
	expect_not_contains "$out" CONTENT
	expect_not_contains "$out" RAN
	expect_contains "$out" end
}

# Rules only take away: where no rule decides, a FUSE-served workspace behaves exactly like the
# plain one, permission checks and owners included (here for an unprivileged user inside).
t_fuse_same_as_layout_elsewhere() {
	local script='cd /work; id -u; stat -c "%n %u %g %a" mine other priv 2>&1; cat priv 2>&1
		echo x >>other 2>&1; echo x >>mine 2>&1; echo n >new 2>&1; mkdir nd 2>&1
		ln -s mine sl 2>&1; readlink sl; ln mine hl 2>&1; mkfifo ff 2>&1
		chmod 4755 mine 2>&1; chown 0 mine 2>&1; touch -d @0 mine 2>&1; rm other 2>&1
		mv mine mine2 2>&1; ls -ln | awk "{print \$1, \$3, \$4, \$NF}"'
	local a b
	for v in plain fuse; do
		rm -rf "$T/ws"
		ws
		echo m >mine && chown 1000:1000 mine
		echo o >other && chown 4242:4242 other
		echo p >priv && chmod 600 priv
		chmod 777 . # the unprivileged user may create here
		if [ "$v" = plain ]; then
			RUN_OPTS=(--user 1000:1000)
		else
			RUN_OPTS=(--user 1000:1000 --deny /work/zz-none --deny '/work/**/*.zz')
		fi
		# One known difference, both refusals: a hard link of a file whose owner has no id
		# inside is EOVERFLOW on the idmapped mount, EPERM (protected_hardlinks) on FUSE,
		# which shows that owner as the overflow id.
		sbx "$script" 2>&1 | sed "s/'mine': Value too large for defined data type/'mine': Operation not permitted/" >"$T/$v.out" || true
		(cd "$T/ws" && ls -ln | awk '{print $1, $3, $4, $NF}') >>"$T/$v.out"
	done
	cat "$T/fuse.out"
	diff "$T/plain.out" "$T/fuse.out" || fail "a FUSE-served workspace differs from the plain one"
}

# If the FUSE server dies, the rules fail closed: nothing of the tree is served any more.
t_server_killed_fails_closed() {
	ws
	echo s >a.pem && echo p >pub
	sb_start --deny '**/*.pem'
	local pid
	pid=$(our_servers)
	[ -n "$pid" ] || fail "no FUSE server"
	kill -9 $pid
	out=$(hutch exec -w / "$SB" -- sh -c 'cat /work/a.pem 2>&1; cat /work/pub 2>&1; ls /work 2>&1; echo end')
	echo "$out"
	expect_not_contains "$out" "
s
"
	expect_not_contains "$out" "a.pem
"
	expect_contains "$out" "not connected"
}

# A rule's path is a symlink in the workspace (untrusted code there may have made it, e.g.
# in an earlier run): the rule must not bind the link's host target into the sandbox. The
# victim is a root-only host directory that also exists at the same path inside (the host
# root is visible read-only there, but its root-owned 0700 dirs are not readable).
# --mount ./cache:... where a sandbox replaced ./cache (in the workspace) by a symlink to a
# host directory: refused, with one message, before anything starts.
# The pathfs server is charged to the sandbox it serves: it joins the sandbox's cgroups
# (memory, pids...), runs as the sandbox's host uid, under seccomp, and dies with it.
t_server_confined_and_in_the_sandbox_cgroup() {
	ws
	sb_start --deny .env
	local p
	p=$(our_servers)
	[ -n "$p" ] || fail "no server for the workspace"
	grep -q "$SB" "/proc/$p/cgroup" || fail "server not in the sandbox's cgroups: $(cat /proc/$p/cgroup)"
	expect_eq "$(awk '/^Uid:/ {print $2}' "/proc/$p/status")" 2147418112 "server uid"
	expect_eq "$(awk '/^CapEff:/ {print $2}' "/proc/$p/status")" 0000000000000000 "server caps"
	expect_eq "$(awk '/^Seccomp:/ {print $2}' "/proc/$p/status")" 2 "server seccomp"
	hutch rm -f "$SB" >/dev/null
	trap - EXIT
	for _ in $(seq 50); do [ -z "$(our_servers)" ] && break; sleep 0.1; done
	[ -z "$(our_servers)" ] || fail "the server outlived its sandbox"
}

t_escape_mount_source_symlink_in_workspace() {
	ws
	local v=/mnt/hutch-mount-victim-$$
	mkdir -m 755 "$v"
	echo HOSTFILE >"$v/f"
	ln -s "$v" cache
	set +e
	out=$(hutch run --mount ./cache:/tmp/cache -- cat /tmp/cache/f 2>&1)
	rc=$?
	set -e
	rm -rf "$v"
	expect_eq "$rc" 2 "exit code"
	expect_not_contains "$out" HOSTFILE
	expect_contains "$out" "has a symlink in it"
	rm cache && mkdir cache && echo mine >cache/f
	expect_eq "$(hutch run --mount ./cache:/tmp/cache -- cat /tmp/cache/f)" mine "a plain directory mounts"
}

t_escape_rule_on_symlink_target() {
	ws
	local v=/mnt/hutch-rules-victim-$$ a bad=""
	mkdir -m 700 "$v"
	echo HOSTSECRET >"$v/f" && chmod 600 "$v/f"
	trap "rm -rf '$v'" EXIT
	ln -s "$v" dlink
	ln -s "$v/f" flink
	mkdir real && ln -s "$v" real/inner
	for a in --allow-read --allow-write --deny; do
		set +e
		# --deny: a FUSE server anchored at the (symlinked) directory of the pattern.
		if [ "$a" = --deny ]; then
			set -- --deny /work/dlink/nothing.pem --deny '/work/real/inner/*.pem'
		else
			set -- "$a" /work/dlink "$a" /work/flink "$a" /work/real/inner
		fi
		out=$(hutch run "$@" -- sh -c "
			cat $v/f /work/dlink/f /work/flink 2>&1; ls -A $v 2>&1
			echo pwned > $v/new 2>&1; echo end" 2>&1)
		rc=$?
		set -e
		echo "$a: rc=$rc $out"
		[[ "$out" != *HOSTSECRET* ]] || bad+="$a on a symlink exposed its host target; "
		[ ! -e "$v/new" ] || bad+="$a on a symlink let the sandbox write into its host target; "
		rm -f "$v/new"
	done
	[ -z "$bad" ] || fail "$bad"
}

# ===== 6/7. a big file through FUSE, and cleanup of a persistent sandbox =====

t_big_file_through_fuse() {
	ws
	head -c 20000000 /dev/urandom >big.bin
	sb_start --deny '**/*.pem'
	hutch exec "$SB" -- sh -c 'cat /work/big.bin > /tmp/in && cp /tmp/in /work/copy.bin && sha256sum /work/big.bin' >"$T/sum"
	expect_eq "$(awk '{print $1}' "$T/sum")" "$(sha256sum big.bin | awk '{print $1}')" "read through FUSE"
	cmp big.bin copy.bin || fail "write through FUSE differs"
	hutch exec "$SB" -- sh -c 'dd if=/dev/zero of=/work/z bs=1M count=20 conv=fsync 2>/dev/null; cmp /work/z /dev/zero 2>&1 | head -1'
	expect_eq "$(stat -c %s z)" 20971520 "dd through FUSE"
}

t_persistent_sandbox_cleanup() {
	ws
	echo s >a.pem
	SB=$(hutch create --deny '**/*.pem' --allow-view /work/v) || fail create
	[ -n "$(our_servers)" ] || fail "no FUSE server while the sandbox runs"
	expect_eq "$(hutch exec "$SB" -- sh -c 'cat /work/a.pem 2>&1 | grep -c "No such"')" 1
	sb_stop
	wait_clean || fail "leftovers after hutch rm"
}

# A run whose command is killed, and a run that fails after the servers started.
t_cleanup_after_failures() {
	ws
	echo s >a.pem
	set +e
	hutch run --deny '**/*.pem' -- sh -c 'kill -9 $$'
	hutch run --deny '**/*.pem' --timeout 0.5 -- sleep 10
	hutch run --deny '**/*.pem' -- /no/such/command 2>/dev/null
	hutch run --deny '**/*.pem' --memory 1k -- true 2>/dev/null
	set -e
	wait_clean || fail "leftovers after failed runs"
	# The server never sees a sandbox's background processes outlive it.
	hutch run --deny '**/*.pem' -- sh -c 'sleep 30 & echo bg'
	wait_clean || fail "leftovers after a run with a background process"
}

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP path rules tests run as root"; exit 0; }
[ -x "$HUTCH" ] || { echo "1..0 # SKIP no hutch binary at $HUTCH"; exit 0; }
[ -c /dev/fuse ] || { echo "1..0 # SKIP no /dev/fuse"; exit 0; }
with_cleanup_checks
trap 'rm -rf "$R"' EXIT
run_tests
