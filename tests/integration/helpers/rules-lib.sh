# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by sandbox-rules.sh and sandbox-rules-escapes.sh (sourced after lib.sh): the
# in-sandbox PROBE, workspace and sandbox helpers, the rules matrix, and the leftover checks
# (no FUSE server, staging mount or staging dir may survive a test).
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

sb_stop() { sandbox_rm_wait "$SB"; }

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

