#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Path permission rules end to end (`hutch run`/`create`/`exec` with --deny, --allow-*,
# --rules, hutch.json): every access level on every kind of rule, on paths that exist, that
# the sandbox creates and that the host creates later; precedence; which mechanism enforces
# each rule (inspect); bad rules. Escape attempts, the server's confinement and cleanup are in
# sandbox-rules-escapes.sh; both leave no FUSE server, staging mount or staging dir behind.
#
# Every check inside a sandbox goes through PROBE (below), which prints one word per
# operation: ok, ENOENT, EACCES (or EPERM), EROFS, EEXIST or other(...).
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/helpers/rules-lib.sh"

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

[ -x "$HUTCH" ] || { echo "1..0 # SKIP no hutch binary at $HUTCH"; exit 0; }
[ -c /dev/fuse ] || { echo "1..0 # SKIP no /dev/fuse"; exit 0; }
with_cleanup_checks
trap 'rm -rf "$R"' EXIT
run_tests
