#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Path permission rules under attack, end to end: reaching hidden files by symlinks, '..',
# /proc, hard links, renames, creating hidden names, reading view-only content, planted
# symlinks under rule sources and --mount sources; the pathfs server's confinement and its
# end with the sandbox; a big file through FUSE; cleanup after failures. Helpers and the
# PROBE are in helpers/rules-lib.sh (see sandbox-rules.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/rules-lib.sh"

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
