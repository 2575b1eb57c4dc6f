#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `hutch run`: the defaults a sandbox gets with no flags, each option, and bad input.
. "$(dirname "$0")/lib.sh"

R=/tmp/hutch-sandbox-root-$$
hutch() { timeout 60 "$HUTCH" --root "$R" "$@"; }
# Every test runs in its own workspace.
ws() { mkdir -p "$T/ws" && cd "$T/ws"; }

t_default_identity_and_hostname() {
	ws
	out=$(hutch run -- sh -c 'id -u; id -g; hostname; pwd')
	expect_eq "$(echo "$out" | tr '\n' ' ')" "0 0 hutch /work "
}

t_exit_codes() {
	ws
	set +e
	hutch run -- sh -c 'exit 3'; expect_eq $? 3 "exit code"
	hutch run -- sh -c 'kill -TERM $$'; expect_eq $? 143 "signal exit code"
	hutch run -- no-such-command-xyz 2>/dev/null; expect_eq $? 127 "not found"
	hutch run -- /etc/passwd 2>/dev/null; expect_eq $? 126 "cannot be run"
	hutch run --cwd /nonexistent -- pwd 2>"$T/err"; expect_eq $? 125 "missing --cwd is not a missing command"
	expect_contains "$(cat "$T/err")" "chdir: No such file"
	expect_eq "$(grep -o "spawn 'pwd'" "$T/err" | wc -l)" 1 "the command named once"
	hutch run --timeout 0.5 -- sleep 30; expect_eq $? 124 "timeout"
	set -e
}

t_stdio_passed_through() {
	ws
	expect_eq "$(echo piped | hutch run -- cat)" piped
	# A closed stdin or stdout is /dev/null inside, never the CLI's socket to the agent.
	expect_eq "$(hutch run -- readlink /proc/self/fd/0 <&-)" /dev/null "closed stdin"
	expect_eq "$(timeout 10 "$HUTCH" --root "$R" run -- cat <&-; echo rc=$?)" rc=0 "cat, stdin closed"
	hutch run -- sh -c 'l=$(readlink /proc/$$/fd/1); echo "$l" >&2' 2>"$T/fd1" >&-
	expect_eq "$(cat "$T/fd1")" /dev/null "closed stdout"
	expect_eq "$(hutch run -- sh -c 'echo err >&2' 2>&1 >/dev/null)" err
}

t_host_root_read_only() {
	ws
	out=$(hutch run -- sh -c 'touch /etc/hutch-x 2>&1; touch /usr/hutch-x 2>&1; echo done')
	expect_contains "$out" "Read-only file system"
	[ ! -e /etc/hutch-x ] || { rm -f /etc/hutch-x; fail "wrote to the host's /etc"; }
}

t_workspace_read_write_owned_by_caller() {
	ws
	hutch run -- sh -c 'echo data > /work/made; mkdir /work/dir'
	expect_eq "$(cat "$T/ws/made")" data
	expect_eq "$(stat -c %u "$T/ws/made")" "$(id -u)" "file owned by the caller on the host"
}

# The workspace's id map goes through the sandbox's own user namespace when it maps the same
# ids (a workspace owned by the caller), through a namespace of its own otherwise: both must
# show the owner's files as the sandbox user's, and give the sandbox's files to the owner.
t_workspace_of_another_owner() {
	[ "$(id -u)" = 0 ] || skip "chowns a directory to another user"
	mkdir "$T/other"
	chown 1234:1234 "$T/other"
	out=$(hutch run --workspace "$T/other" -- sh -c 'stat -c %u:%g /work; touch /work/f && id -u')
	expect_eq "$out" "0:0
0"
	expect_eq "$(stat -c %u:%g "$T/other/f")" "1234:1234" "the sandbox's file belongs to the owner"
}

t_tmp_is_private_tmpfs() {
	ws
	touch /tmp/hutch-host-marker-$$
	out=$(hutch run -- sh -c 'ls /tmp | wc -l; echo x > /tmp/f && cat /tmp/f')
	rm -f /tmp/hutch-host-marker-$$
	expect_eq "$(echo "$out" | tr '\n' ' ')" "0 x "
}

t_secrets_not_readable() {
	ws
	out=$(hutch run -- sh -c 'cat /etc/shadow 2>&1; ls /root 2>&1; ls /run | wc -l')
	expect_contains "$out" "Permission denied"
	expect_eq "$(echo "$out" | tail -1)" 0 "/run is hidden"
}

t_no_network_but_loopback() {
	ws
	expect_eq "$(hutch run -- sh -c 'ls /sys/class/net' | tr '\n' ' ')" "lo "
	# Up: 127.0.0.1 and ::1 answer (refused: nobody listens), where a loopback left down
	# gives "Network is unreachable".
	expect_eq "$(hutch run -- cat /sys/class/net/lo/flags)" 0x9 "lo up"
	out=$(hutch run -- bash -c 'exec 3<>/dev/tcp/127.0.0.1/1; exec 3<>/dev/tcp/::1/1' 2>&1 || true)
	expect_contains "$out" "127.0.0.1/1: Connection refused"
	expect_contains "$out" "::1/1: Connection refused"
	out=$(hutch run -- bash -c 'exec 3<>/dev/tcp/192.0.2.1/80' 2>&1 || true)
	expect_contains "$out" "Network is unreachable" "nothing but loopback"
}

t_network_host() {
	ws
	n_host=$(ls /sys/class/net | wc -l)
	n_in=$(hutch run --network host -- sh -c 'ls /sys/class/net | wc -l')
	expect_eq "$n_in" "$n_host"
}

t_no_capabilities_and_no_new_privs() {
	ws
	out=$(hutch run -- sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status' | awk '{print $2}' | tr '\n' ' ')
	expect_eq "$out" "0000000000000000 0000000000000000 1 "
}

t_cap_add() {
	ws
	out=$(hutch run --cap-add NET_RAW -- sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')
	expect_eq "$out" "0000000000002000"
}

t_seccomp_blocks_namespaces_and_mount() {
	ws
	out=$(hutch run -- sh -c 'unshare -U true 2>&1; echo u=$?; mount -t tmpfs x /tmp 2>&1; echo m=$?')
	expect_contains "$out" "u=1"
	expect_contains "$out" "permission denied"
	expect_not_contains "$out" "m=0"
}

# A profile that leaves the sandbox no way to start or end: refused up front with the reason
# (deny everything), or, when that cannot be known (trace everything, and no tracer), failing
# at once: no hang, no spinning process, no core file of the runtime in the workspace.
t_seccomp_profile_that_cannot_run() {
	ws
	echo '{"defaultAction":"SCMP_ACT_ERRNO"}' >"$T/deny.json"
	set +e
	out=$(hutch run --seccomp "$T/deny.json" -- true 2>&1)
	rc=$?
	set -e
	expect_eq "$rc" 125 "deny-all profile"
	expect_contains "$out" "refuses execve (SCMP_ACT_ERRNO)"
	# A sanitizer's runtime cannot run under a filter that fails every syscall (it retries
	# its own exit for ever): only the release build can show the trap.
	! ldd "$HUTCH" 2>/dev/null | grep -q libasan || return 0
	echo '{"defaultAction":"SCMP_ACT_TRACE"}' >"$T/trace.json"
	set +e
	timeout -k 5 20 "$HUTCH" --root "$R" run --seccomp "$T/trace.json" -- true 2>/dev/null
	rc=$?
	set -e
	[ "$rc" -ne 124 ] || fail "trace-all profile: hutch run hung"
	[ "$rc" -ne 0 ] || fail "trace-all profile: nothing can run, yet exit 0"
	[ -z "$(ls "$T/ws")" ] || fail "left in the workspace: $(ls "$T/ws")"
	! pgrep -f -- "--root $R run" >/dev/null || fail "a process of the run is left: $(pgrep -af -- "--root $R run")"
}

t_pid_namespace_hides_host() {
	ws
	n=$(hutch run -- sh -c 'ls -d /proc/[0-9]* | wc -l')
	[ "$n" -lt 10 ] || fail "sees $n processes"
}

t_env_filtered() {
	ws
	out=$(MY_API_TOKEN=t1 AWS_ACCESS_KEY_ID=a OPENAI_API_KEY=o LANG=C.UTF-8 FOO=bar \
		hutch run -e SET=1 -- env)
	expect_not_contains "$out" "MY_API_TOKEN"
	expect_not_contains "$out" "AWS_ACCESS"
	expect_not_contains "$out" "OPENAI"
	expect_not_contains "$out" "FOO=bar"
	expect_contains "$out" "LANG=C.UTF-8"
	expect_contains "$out" "SET=1"
	out=$(FOO=bar MY_TOKEN=x hutch run --env-allow 'FOO' --env-allow 'MY_*' -- env)
	expect_contains "$out" "FOO=bar"
	expect_not_contains "$out" "MY_TOKEN" "blocklist wins over allow"
	out=$(LANG=C hutch run --env-block LANG -- env)
	expect_not_contains "$out" "LANG="
}

t_mount_and_tmpfs_options() {
	ws
	mkdir -p "$T/data"; echo hostfile >"$T/data/f"
	out=$(hutch run --mount "$T/data:/mnt:ro" --tmpfs /srv:size=1m -- \
		sh -c 'cat /mnt/f; touch /mnt/g 2>&1; df -k /srv | tail -1')
	expect_contains "$out" hostfile
	expect_contains "$out" "Read-only file system"
	expect_contains "$out" " 1024 "
	# Read-write (the default): writable by the sandbox user, files owned by the source's owner.
	chown -R 4242:4243 "$T/data"
	out=$(hutch run --mount "$T/data:/mnt" -- sh -c 'echo new >/mnt/n && stat -c %u:%g /mnt/f /mnt/n')
	expect_eq "$(echo $out)" "0:0 0:0" "rw --mount seen as the sandbox user's"
	expect_eq "$(stat -c %u:%g "$T/data/n")" 4242:4243 "written as the source's owner"
	# Without options: the default size (64 MiB); with options but no size: still bounded.
	out=$(hutch run --tmpfs /srv -- sh -c 'touch /srv/x && df -k /srv | tail -1')
	expect_contains "$out" " 65536 " "--tmpfs DST"
	out=$(hutch run --tmpfs /srv:mode=700 -- sh -c 'stat -c %a /srv; df -k /srv | tail -1')
	expect_contains "$out" "700" "--tmpfs DST:mode=700"
	expect_contains "$out" " 65536 " "--tmpfs DST:mode=700 keeps the default size"
}

# Mount points under /work are made in the host's workspace; what the run made is removed
# after it (if still empty), what was there before, or got content, stays.
t_mount_points_in_workspace_are_removed() {
	ws
	mkdir -p "$T/data" "$T/ws/existing"
	echo f >"$T/data/f"
	hutch run --mount "$T/data:/work/sub" --tmpfs /work/a/b/c:size=1m \
		--mount "$T/data/f:/work/newfile" --mount "$T/data:/work/existing" \
		--mount "$T/data:/work/kept/m" -- sh -c 'ls /work/sub /work/a/b/c >/dev/null; touch /work/kept/x'
	expect_eq "$(cd "$T/ws" && ls | tr '\n' ' ')" "existing kept " "left in the workspace"
	expect_eq "$(ls "$T/ws/kept")" x "a directory the sandbox wrote into stays"
	id=$(hutch create --mount "$T/data:/work/sub2" -- sleep 100)
	[ -d "$T/ws/sub2" ] || fail "setup: create made no mount point"
	hutch rm -f "$id"
	[ ! -e "$T/ws/sub2" ] || fail "rm left the mount point"
	# The sandbox moves the made directory away and puts a symlink to a host directory in its
	# place: the cleanup must not follow it (and remove the host's empty b/c).
	mkdir -p "$T/victim/b/c"
	hutch run --tmpfs /work/t/b/c:size=1m -- sh -c "mv /work/t /work/t2 && ln -s $T/victim /work/t"
	[ -d "$T/victim/b/c" ] || fail "the cleanup followed a symlink out of the workspace"
}

t_read_only_workspace() {
	ws
	out=$(hutch run --read-only -- sh -c 'touch /work/x 2>&1; echo rc=$?')
	expect_contains "$out" "Read-only file system"
}

t_user_hostname_cwd() {
	ws
	out=$(hutch run --user 1000:1001 --hostname box --cwd /tmp -- sh -c 'id -u; id -g; hostname; pwd')
	expect_eq "$(echo "$out" | tr '\n' ' ')" "1000 1001 box /tmp "
}

t_limits_in_cgroup() {
	ws
	out=$(hutch run --memory 64m --pids 50 -- sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max')
	expect_contains "$out" 67108864
	expect_contains "$out" 50
	# Its cgroup is shown read-only, nosuid, nodev, noexec: the tmpfs (the last mount on
	# /sys/fs/cgroup) and every hierarchy in it (v1); cgroup2 alone on v2. Prints "N BAD...".
	out=$(hutch run -- awk '
		NR == FNR { if ($5 == "/sys/fs/cgroup" && $1 + 0 > top) top = $1 + 0; next }
		$1 + 0 == top || $2 + 0 == top { n++; if ($6 !~ /^ro,nosuid,nodev,noexec/) bad = bad " " $5 }
		END { print n, bad }' /proc/self/mountinfo /proc/self/mountinfo)
	[ "${out%% *}" -ge 1 ] || fail "no cgroup mount found"
	expect_eq "${out#* }" "" "cgroup mounts without ro,nosuid,nodev,noexec"
}

t_memory_limit_kills() {
	ws
	set +e
	hutch run --memory 32m -- sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'
	rc=$?
	set -e
	[ "$rc" -ne 0 ] || fail "allocated past the memory limit"
}

t_pids_limit_stops_fork_bomb() {
	ws
	out=$(hutch run --pids 20 --timeout 10 -- sh -c 'for i in $(seq 60); do sleep 5 & done 2>&1 | head -1; echo after')
	expect_contains "$out" "after"
}

# Many runs at once, each must succeed. Under this load the container's init used to send
# its first message before the intermediate process reported the init's pid: the runtime
# took the intermediate for the init, and the intermediate's exit then killed the real init
# (its parent-death signal): about 1 run in 700 failed with "Connection reset by peer".
# (A guard, not a proof: 500 runs caught it about half the time.)
t_concurrent_runs_all_succeed() {
	ws
	local round i fails=0
	for round in $(seq 10); do
		for i in $(seq 50); do
			hutch run -- true >/dev/null 2>>"$T/errs" || echo x >>"$T/fails" &
		done
		wait
	done
	[ ! -s "$T/fails" ] || fail "$(wc -l <"$T/fails") of 500 concurrent runs failed: $(sort "$T/errs" | uniq -c | head -3)"
}

t_bad_options() {
	ws
	set +e
	hutch run --mount /nonexistent:/x -- true 2>"$T/err"; expect_eq $? 2 "bad mount"
	expect_contains "$(cat "$T/err")" "/nonexistent"
	hutch run --mount relative -- true 2>/dev/null; expect_eq $? 2 "mount without DST"
	hutch run --mount /tmp:/nonexistent-dir -- true 2>"$T/err"; expect_eq $? 2 "mount point missing in read-only root"
	expect_contains "$(cat "$T/err")" "does not exist"
	hutch run --workspace /nonexistent -- true 2>"$T/err"; expect_eq $? 2 "missing workspace"
	expect_contains "$(cat "$T/err")" "workspace"
	hutch run --rootfs ../nonexistent -- true 2>"$T/err"; expect_eq $? 2 "missing rootfs"
	expect_contains "$(cat "$T/err")" "'../nonexistent': No such file"
	hutch run --cap-add NOPE -- true 2>/dev/null; expect_eq $? 2 "unknown cap"
	hutch run --memory lots -- true 2>/dev/null; expect_eq $? 2 "bad memory"
	hutch run --memory 1 -- true 2>/dev/null; expect_eq $? 2 "memory too small to start"
	hutch run --cpus 0.001 -- true 2>"$T/err"; expect_eq $? 2 "cpus under the kernel's minimum"
	expect_contains "$(cat "$T/err")" "from 0.01"
	hutch run --cpus 1e-9 -- true 2>/dev/null; expect_eq $? 2 "cpus that would round to no limit"
	hutch run --mount /tmp:/ -- true 2>"$T/err"; expect_eq $? 2 "mount over the sandbox's root"
	expect_contains "$(cat "$T/err")" "cannot mount over '/'"
	hutch run --mount /proc:/proc -- true 2>/dev/null; expect_eq $? 2 "mount over /proc"
	hutch run --mount /tmp:/dev -- true 2>/dev/null; expect_eq $? 2 "mount over /dev"
	printf '{bad' >"$T/bad.json"
	hutch run --seccomp "$T/bad.json" -- true 2>"$T/err"; expect_eq $? 2 "seccomp file not JSON"
	expect_contains "$(cat "$T/err")" "invalid JSON at byte 1:" "the file's own offset"
	hutch run --tmpfs /proc/sys -- true 2>/dev/null; expect_eq $? 2 "tmpfs over /proc/sys"
	hutch run --hostname "$(printf 'a\nb')" -- true 2>/dev/null; expect_eq $? 2 "hostname with a newline"
	hutch run --config "$T/x.json" --no-config -- true 2>"$T/err"; expect_eq $? 2 "--config and --no-config"
	expect_contains "$(cat "$T/err")" "choose one"
	hutch run --network bridge -- true 2>/dev/null; expect_eq $? 2 "bad network"
	hutch run 2>/dev/null; expect_eq $? 2 "no command"
	set -e
	[ -z "$(ls "$R" 2>/dev/null | grep -v agents)" ] || fail "state left behind"
}

t_help() {
	expect_contains "$("$HUTCH" --help)" "run"
	expect_contains "$("$HUTCH" run --help)" "--memory"
}

t_interrupt_removes_sandbox() {
	ws
	"$HUTCH" --root "$R" run -- sleep 30 &
	pid=$!
	sleep 0.5
	kill -INT $pid
	set +e; wait $pid; rc=$?; set -e
	expect_eq "$rc" 130 "interrupted command's exit code"
	[ -z "$(ls "$R" 2>/dev/null | grep -v agents)" ] || fail "sandbox left behind"
}

t_no_setuid_files_in_workspace() {
	# The workspace is the host's directory: a setuid file made inside would be a setuid
	# file of the directory's owner on the host (root, here).
	ws
	hutch run -- sh -c 'cp /bin/sh ./s; chmod 4755 ./s; chmod g+s ./s;
		perl -e "use Fcntl; sysopen(F, \"o\", O_CREAT|O_WRONLY, 06755)" 2>/dev/null;
		true' 2>/dev/null
	[ -e "$T/ws/s" ] || fail "setup: copy failed"
	expect_eq "$(stat -c %a "$T/ws/s")" 755 "chmod u+s/g+s refused"
	if [ -e "$T/ws/o" ]; then
		expect_eq "$(( $(stat -c '0%a' "$T/ws/o") & 06000 ))" 0 "open(O_CREAT, 06755) made no setid file"
	fi
}

t_rootfs_is_copy_on_write() {
	ws
	chmod 755 "$T" # the sandbox's user must reach its rootfs (as with any user namespace)
	make_rootfs "$T/rootfs"
	out=$(hutch run --rootfs "$T/rootfs" -- sh -c 'echo hi > /etc/newfile && cat /etc/newfile; id -u')
	expect_eq "$(echo "$out" | tr '\n' ' ')" "hi 0 "
	[ ! -e "$T/rootfs/etc/newfile" ] || fail "the rootfs itself was written"
	set +e
	out=$(hutch run --rootfs "$T/rootfs" --rootfs-size 1m -- sh -c 'dd if=/dev/zero of=/big bs=1M count=4 2>&1')
	set -e
	expect_contains "$out" "No space left"
	mkdir -p "$T/keep"
	hutch run --rootfs "$T/rootfs" --rootfs-changes "$T/keep" -- sh -c 'echo kept > /etc/k'
	expect_eq "$(hutch run --rootfs "$T/rootfs" --rootfs-changes "$T/keep" -- cat /etc/k)" kept
	[ ! -e "$T/rootfs/etc/k" ] || fail "the rootfs itself was written"
	# Relative paths are relative to where hutch is started.
	mkdir -p "$T/w2" && touch "$T/w2/marker"
	expect_eq "$(cd "$T" && hutch run --rootfs rootfs --workspace w2 -- ls /work)" marker \
		"relative --rootfs and --workspace"
}

t_security_levels() {
	ws
	out=$(FOO=1 hutch run --security strict -e SET=1 -- sh -c 'env; touch /work/x 2>&1; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max')
	expect_not_contains "$out" "FOO=1" "strict passes no host variable"
	expect_contains "$out" "SET=1"
	expect_contains "$out" "Read-only file system"
	expect_contains "$out" "128"
	out=$(FOO=1 AWS_SECRET_ACCESS_KEY=s hutch run --security permissive -- sh -c 'env; ls /sys/class/net | wc -l')
	expect_contains "$out" "FOO=1"
	expect_not_contains "$out" "AWS_SECRET" "the blocklist still wins"
	expect_eq "$(echo "$out" | tail -1)" "$(ls /sys/class/net | wc -l)" "host network"
	expect_eq "$(hutch run --security permissive -- sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')" \
		0000000000000000 "no capabilities at any level"
	set +e
	hutch run --security lax -- true 2>/dev/null; expect_eq $? 2 "unknown level"
	set -e
}

# --profile strict|default|permissive is the --security switch, unless a config file defines a
# profile of that name.
t_profile_names_security_levels() {
	ws
	out=$(FOO=1 hutch run --profile strict -- sh -c 'env; touch /work/x 2>&1; ls /home 2>&1; true')
	expect_not_contains "$out" "FOO=1" "--profile strict passes no host variable"
	expect_contains "$out" "Read-only file system"
	expect_contains "$out" "No such file or directory" "/home does not exist in strict"
	expect_eq "$(hutch run --profile permissive --print-config -- true | jq -r .network)" host
	expect_eq "$(hutch run --profile default --print-config -- true | jq -r .memory)" 1073741824
	expect_fail hutch run --profile strict --security permissive -- true
	expect_contains "$OUT" "disagree"
	echo '{"profiles": {"strict": {"memory": "3g"}}}' >hutch.json
	out=$(hutch run --profile strict --print-config -- true)
	expect_eq "$(echo "$out" | jq -r .memory)" 3221225472 "a config profile named strict wins"
	expect_eq "$(echo "$out" | jq -r .read_only)" false
	rm hutch.json
	expect_fail hutch run --profile nosuch -- true
	expect_contains "$OUT" "profile 'nosuch' is not defined"
}

t_rootless_run() {
	id hutchtest >/dev/null 2>&1 || useradd -m -s /bin/bash hutchtest 2>/dev/null ||
		skip "cannot create the unprivileged user 'hutchtest'"
	[ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] ||
		skip "unprivileged user namespaces are disabled"
	mkdir -p "$T/rl/ws" && chown -R hutchtest "$T/rl" && chmod 755 "$T"
	out=$(su hutchtest -s /bin/sh -c "cd $T/rl/ws && XDG_RUNTIME_DIR=$T/rl \
		timeout 60 $HUTCH run -- sh -c 'id -u; echo made > /work/f; grep CapEff /proc/self/status'" 2>&1)
	expect_eq "$(cat "$T/rl/ws/f")" made
	expect_eq "$(stat -c %U "$T/rl/ws/f")" hutchtest
	expect_contains "$out" "0000000000000000"
	[ -z "$(ls "$T/rl/hutch/sandboxes" 2>/dev/null | grep -v agents)" ] || fail "sandbox left behind"
}

run_tests
rm -rf "$R"
