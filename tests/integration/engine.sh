#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The engine, feature by feature, through `hutch-oci run`: namespaces, mounts, process
# settings, capabilities, rlimits, seccomp, user namespaces, hooks, cgroups, and errors.
# Each test builds a busybox bundle in $T and checks what the container sees.
. "$(dirname "$0")/lib.sh"

R=/tmp/hutch-engine-root-$$
oci() { timeout 30 "$HUTCH_OCI" --root "$R" "$@"; }
# run_in BUNDLE_JQ CMD...: runs CMD in a fresh container, prints its output, returns its code.
run_in() {
	local jqf=$1; shift
	make_bundle "$T/b" "$@"
	[ -n "$jqf" ] && bundle_jq "$T/b" "$jqf"
	oci run -b "$T/b" "c$$-$RANDOM"
}

t_exit_code_and_output() {
	set +e
	out=$(run_in "" sh -c 'echo out; echo err >&2; exit 7' 2>&1)
	rc=$?
	set -e
	expect_eq "$rc" 7 "exit code"
	expect_contains "$out" "out"
	expect_contains "$out" "err"
}

t_signal_exit_code() {
	make_bundle "$T/b" sleep 100
	oci run -b "$T/b" sig &
	local runner=$!
	for i in $(seq 50); do oci state sig 2>/dev/null | grep -q running && break; sleep 0.1; done
	oci kill sig KILL
	set +e; wait $runner; rc=$?; set -e
	expect_eq "$rc" 137 "killed by SIGKILL"
}

t_pid_namespace() {
	out=$(run_in "" sh -c 'echo $$; ps -o pid | wc -l')
	expect_eq "$(echo "$out" | head -1)" 1 "init is pid 1"
	[ "$(echo "$out" | tail -1)" -le 4 ] || fail "sees host processes: $out"
}

t_hostname_and_uts() {
	out=$(run_in '.hostname = "box1"' hostname)
	expect_eq "$out" box1
	[ "$(hostname)" != box1 ] || fail "hostname leaked to the host"
}

t_network_namespace_loopback_only() {
	out=$(run_in "" sh -c 'ls /sys/class/net | tr "\n" " "')
	expect_eq "$out" "lo " "only loopback"
}

t_readonly_root() {
	set +e
	out=$(run_in '.root.readonly = true' sh -c 'touch /x 2>&1; echo rc=$?')
	set -e
	expect_contains "$out" "Read-only file system"
	expect_contains "$out" "rc=1"
}

t_tmpfs_mount_with_size() {
	out=$(run_in '.mounts += [{"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["size=1m","mode=1777"]}]' \
		sh -c 'df -k /scratch | tail -1; stat -c %a /scratch')
	expect_contains "$out" "1024"
	expect_contains "$out" "1777"
}

t_bind_mount_readonly() {
	mkdir -p "$T/share"; echo hostdata >"$T/share/f"
	out=$(run_in ".mounts += [{\"destination\":\"/share\",\"type\":\"bind\",\"source\":\"$T/share\",\"options\":[\"rbind\",\"ro\"]}]" \
		sh -c 'cat /share/f; echo x > /share/g 2>&1; echo rc=$?')
	expect_contains "$out" hostdata
	expect_contains "$out" "rc=1"
	[ ! -e "$T/share/g" ] || fail "wrote through a read-only bind"
}

t_masked_and_readonly_paths() {
	[ -d /sys/firmware ] && [ -e /proc/timer_list ] || skip "no /sys/firmware or /proc/timer_list on this kernel"
	out=$(run_in "" sh -c 'ls /sys/firmware | wc -l; cat /proc/timer_list | wc -c; (echo 1 > /proc/sys/kernel/domainname) 2>&1; echo rc=$?')
	expect_eq "$(echo "$out" | sed -n 1p)" 0 "/sys/firmware masked"
	expect_eq "$(echo "$out" | sed -n 2p)" 0 "/proc/timer_list masked"
	expect_contains "$out" "Read-only file system"
	expect_contains "$out" "rc=1"
}

t_env_cwd_user() {
	out=$(run_in '.process.env += ["FOO=bar"] | .process.cwd = "/tmp" | .process.user = {"uid":65534,"gid":65534,"additionalGids":[5]}' \
		sh -c 'echo $FOO; pwd; id -u; id -g; id -G')
	expect_eq "$(echo "$out" | sed -n 1p)" bar
	expect_eq "$(echo "$out" | sed -n 2p)" /tmp
	expect_eq "$(echo "$out" | sed -n 3p)" 65534
	expect_eq "$(echo "$out" | sed -n 4p)" 65534
	expect_contains "$(echo "$out" | sed -n 5p)" 5
}

t_capabilities_dropped() {
	out=$(run_in '.process.capabilities = {"bounding":["CAP_CHOWN"],"effective":["CAP_CHOWN"],"permitted":["CAP_CHOWN"]}' \
		sh -c 'grep -E "^Cap(Eff|Bnd|Prm)" /proc/self/status | awk "{print \$2}" | tr "\n" " "')
	expect_eq "$out" "0000000000000001 0000000000000001 0000000000000001 "
}

t_no_new_privileges() {
	out=$(run_in '.process.noNewPrivileges = true' sh -c 'grep NoNewPrivs /proc/self/status')
	expect_contains "$out" "1"
}

t_rlimits() {
	out=$(run_in '.process.rlimits = [{"type":"RLIMIT_NOFILE","soft":123,"hard":456}]' sh -c 'ulimit -n; ulimit -Hn')
	expect_eq "$(echo "$out" | tr '\n' ' ')" "123 456 "
}

t_seccomp_errno_rule() {
	out=$(run_in '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}' \
		sh -c 'mkdir /tmp/d 2>&1; echo rc=$?')
	expect_contains "$out" "Operation not permitted"
}

t_user_namespace_mapping() {
	chmod 755 "$T" # the container's root (host uid 100000) must reach its rootfs
	out=$(run_in '.linux.namespaces += [{"type":"user"}] | .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}] | .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}] | del(.mounts[] | select(.type == "cgroup"))' \
		sh -c 'id -u; cat /proc/self/uid_map')
	expect_eq "$(echo "$out" | head -1)" 0
	expect_contains "$out" "100000"
}

t_hooks_run_in_order() {
	cat >"$T/hook.sh" <<-EOF
	#!/bin/sh
	read state
	echo "\$1 \$(echo "\$state" | grep -o '"status":"[a-z]*"')" >> $T/hooks.log
	EOF
	chmod +x "$T/hook.sh"
	local h="{\"path\":\"$T/hook.sh\",\"args\":[\"hook.sh\""
	run_in ".hooks = {\"prestart\":[$h,\"prestart\"]}],\"createRuntime\":[$h,\"createRuntime\"]}],\"poststart\":[$h,\"poststart\"]}],\"poststop\":[$h,\"poststop\"]}]}" true
	expect_eq "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" "prestart createRuntime poststart poststop "
	expect_contains "$(grep poststop "$T/hooks.log")" '"status":"stopped"'
}

t_failing_hook_aborts_create() {
	expect_fail run_in ".hooks = {\"createRuntime\":[{\"path\":\"/bin/false\"}]}" true
	expect_contains "$OUT" "createRuntime hook 0"
	[ -z "$(ls "$R" 2>/dev/null)" ] || fail "state left behind: $(ls "$R")"
}

# run creates and starts in one step: what fails after the setup (the exec itself, a
# poststart hook) must still come back as an error and take everything back.
t_run_exec_failure_takes_all_back() {
	make_bundle "$T/b" /notelf
	printf 'not an ELF\0\1' >"$T/b/rootfs/notelf"
	chmod 755 "$T/b/rootfs/notelf"
	expect_fail oci run -b "$T/b" noexec
	expect_contains "$OUT" "exec '/notelf': Exec format error"
	[ -z "$(ls "$R" 2>/dev/null)" ] || fail "state left behind: $(ls "$R")"
}

t_run_failing_poststart_takes_all_back() {
	make_bundle "$T/b" sleep 4321
	bundle_jq "$T/b" '.hooks = {"poststart":[{"path":"/bin/false"}]}'
	expect_fail oci run -d -b "$T/b" pfail
	expect_contains "$OUT" "poststart hook 0"
	[ -z "$(ls "$R" 2>/dev/null)" ] || fail "state left behind: $(ls "$R")"
	pgrep -fx "sleep 4321" >/dev/null && fail "the container's process survived" || true
}

t_cgroup_limits_applied() {
	out=$(run_in '.linux.resources.memory = {"limit":67108864} | .linux.resources.pids = {"limit":33}' \
		sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max')
	expect_contains "$out" 67108864
	expect_contains "$out" 33
}

t_lifecycle_states() {
	make_bundle "$T/b" sleep 100
	oci create -b "$T/b" life
	expect_contains "$(oci state life)" '"status": "created"'
	oci start life
	expect_contains "$(oci state life)" '"status": "running"'
	expect_fail oci delete life
	expect_contains "$OUT" "without --force"
	oci kill life KILL
	for i in $(seq 50); do oci state life | grep -q stopped && break; sleep 0.1; done
	expect_contains "$(oci state life)" '"status": "stopped"'
	oci delete life
	expect_fail oci state life
	expect_contains "$OUT" "does not exist"
}

t_exec_joins_container() {
	make_bundle "$T/b" sleep 100
	bundle_jq "$T/b" '.hostname = "execbox"'
	oci run -d -b "$T/b" ex
	out=$(oci exec ex sh -c 'hostname; echo $$')
	oci delete -f ex
	expect_eq "$(echo "$out" | head -1)" execbox
	[ "$(echo "$out" | tail -1)" -lt 100 ] || fail "exec not in the container's pid namespace"
}

t_pause_resume() {
	make_bundle "$T/b" sleep 100
	oci run -d -b "$T/b" pz
	oci pause pz
	expect_contains "$(oci state pz)" paused
	oci resume pz
	expect_contains "$(oci state pz)" running
	oci delete -f pz
}

t_no_pivot() {
	make_bundle "$T/b" cat /etc/passwd
	out=$(oci run --no-pivot -b "$T/b" np)
	expect_contains "$out" "nobody:x:65534"
}

t_bad_bundle_missing_rootfs() {
	make_bundle "$T/b" true
	rm -rf "$T/b/rootfs"
	expect_fail oci run -b "$T/b" bad1
	expect_contains "$OUT" "rootfs"
	[ -z "$(ls "$R" 2>/dev/null)" ] || fail "state left behind"
}

t_bad_bundle_unknown_namespace() {
	make_bundle "$T/b" true
	bundle_jq "$T/b" '.linux.namespaces += [{"type":"bogus"}]'
	expect_fail oci run -b "$T/b" bad2
	expect_contains "$OUT" "bogus"
}

t_mount_symlink_cannot_escape() {
	make_bundle "$T/b" true
	ln -s ../../../../../../../tmp/hutch-escape-$$ "$T/b/rootfs/esc"
	bundle_jq "$T/b" '.mounts += [{"destination":"/esc","type":"tmpfs","source":"tmpfs"}]'
	oci run -b "$T/b" esc || true
	[ ! -e /tmp/hutch-escape-$$ ] || { rm -rf /tmp/hutch-escape-$$; fail "mount escaped the rootfs"; }
}

t_missing_executable() {
	make_bundle "$T/b" /no/such/program
	expect_fail oci run -b "$T/b" nox
	expect_contains "$OUT" "/no/such/program"
	[ -z "$(ls "$R" 2>/dev/null)" ] || fail "state left behind"
}

t_time_namespace_offsets() {
	[ -e /proc/self/ns/time ] || skip "no time namespaces in this kernel"
	host_up=$(cut -d. -f1 /proc/uptime)
	out=$(run_in '.linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"boottime":{"secs":86400,"nanosecs":0}}' \
		sh -c 'cut -d. -f1 /proc/uptime')
	[ "$out" -ge $((host_up + 86000)) ] || fail "boottime offset not applied: host $host_up, container $out"
}

t_join_network_namespace_by_path() {
	command -v ip >/dev/null || skip "no ip(8)"
	local ns=hutch-test-$$
	ip netns add $ns
	# A marker only this namespace has: an address on its loopback (no traffic is sent).
	ip -n $ns addr add 192.0.2.77/32 dev lo
	set +e
	out=$(run_in ".linux.namespaces = [.linux.namespaces[] | if .type == \"network\" then {\"type\":\"network\",\"path\":\"/run/netns/$ns\"} else . end]" \
		ip addr show lo)
	rc=$?
	set -e
	ip netns del $ns
	expect_eq "$rc" 0 "run in a joined netns"
	expect_contains "$out" "192.0.2.77"
}

t_join_another_containers_uts_namespace() {
	make_bundle "$T/a" sleep 100
	bundle_jq "$T/a" '.hostname = "shared-uts"'
	oci run -d -b "$T/a" owner
	pid=$(oci state owner | jq .pid)
	set +e
	out=$(run_in ".linux.namespaces = [.linux.namespaces[] | if .type == \"uts\" then {\"type\":\"uts\",\"path\":\"/proc/$pid/ns/uts\"} else . end] | del(.hostname)" hostname)
	rc=$?
	set -e
	oci delete -f owner
	expect_eq "$rc" 0
	expect_eq "$out" shared-uts
}

t_sysctl_in_network_namespace() {
	out=$(run_in '.linux.sysctl = {"net.ipv4.ip_forward":"1"}' cat /proc/sys/net/ipv4/ip_forward)
	expect_eq "$out" 1
	expect_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$(cat /proc/sys/net/ipv4/ip_forward)"
}

t_sysctl_not_namespaced_refused() {
	expect_fail run_in '.linux.sysctl = {"kernel.core_pattern":"|/evil"}' true
	expect_contains "$OUT" "kernel.core_pattern"
}

t_linux_devices_created() {
	out=$(run_in '.linux.devices = [{"path":"/dev/mynull","type":"c","major":1,"minor":3,"fileMode":438}]' \
		sh -c 'stat -c "%t:%T %a" /dev/mynull; echo x > /dev/mynull && echo wrote')
	expect_contains "$out" "1:3 666"
	expect_contains "$out" "wrote"
}

t_device_cgroup_denies_other_devices() {
	out=$(run_in '.linux.devices = [{"path":"/dev/sda-fake","type":"b","major":8,"minor":0}]' \
		sh -c 'head -c1 /dev/sda-fake 2>&1; echo rc=$?')
	expect_contains "$out" "rc=1"
}

t_oom_score_adj_and_umask() {
	out=$(run_in '.process.oomScoreAdj = 500 | .process.user.umask = 63' sh -c 'cat /proc/self/oom_score_adj; umask')
	expect_contains "$out" 500
	expect_contains "$out" "0077"
}

t_preserve_fds() {
	make_bundle "$T/b" sh -c 'cat <&3'
	echo "through fd 3" >"$T/in"
	out=$(oci run --preserve-fds 1 -b "$T/b" pfd 3<"$T/in")
	expect_eq "$out" "through fd 3"
}

t_no_runtime_fds_leak_into_container() {
	out=$(run_in "" sh -c 'ls /proc/self/fd | wc -l')
	[ "$out" -le 5 ] || fail "container sees $out fds"
}

t_update_pids_limit() {
	make_bundle "$T/b" sleep 100
	oci run -d -b "$T/b" upd
	oci update --pids-limit 77 upd
	out=$(oci exec upd sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max')
	oci delete -f upd
	expect_eq "$out" 77
}

t_events_stats() {
	make_bundle "$T/b" sleep 100
	oci run -d -b "$T/b" ev
	out=$(oci events --stats ev)
	oci delete -f ev
	expect_eq "$(echo "$out" | jq -r .type)" stats
	[ "$(echo "$out" | jq .data.pids.current)" -ge 1 ] || fail "no pids in stats: $out"
}

t_init_in_its_cgroup_in_every_hierarchy() {
	make_bundle "$T/b" sleep 100
	bundle_jq "$T/b" '.linux.cgroupsPath = "/hutch-engine-test/cgall"'
	oci run -d -b "$T/b" cgall
	pid=$(oci state cgall | jq .pid)
	lines=$(cat /proc/$pid/cgroup)
	oci delete -f cgall
	rmdir /sys/fs/cgroup/*/hutch-engine-test 2>/dev/null || true
	n_all=$(echo "$lines" | wc -l)
	n_in=$(echo "$lines" | grep -c ':/hutch-engine-test/cgall$')
	expect_eq "$n_in" "$n_all" "cgroup membership: $lines"
}

t_rootless_id_ranges_through_newuidmap() {
	command -v newuidmap >/dev/null || skip "newuidmap is not installed (package uidmap)"
	id hutchtest >/dev/null 2>&1 || useradd -m -s /bin/bash hutchtest 2>/dev/null ||
		skip "cannot create the unprivileged user 'hutchtest'"
	local u; u=$(id -u hutchtest); local g; g=$(id -g hutchtest)
	# A subordinate range for the test user, removed again at the end.
	cp /etc/subuid "$T/subuid.bak" 2>/dev/null || touch "$T/subuid.bak"
	cp /etc/subgid "$T/subgid.bak" 2>/dev/null || touch "$T/subgid.bak"
	echo "hutchtest:3000000:65536" >>/etc/subuid
	echo "hutchtest:3000000:65536" >>/etc/subgid
	chmod 755 "$T"
	make_bundle "$T/b" sh -c 'cat /proc/self/uid_map; touch /x; chown 1000:1000 /x && stat -c %u /x'
	bundle_jq "$T/b" ".linux.namespaces += [{\"type\":\"user\"}] | .linux.uidMappings = [{\"containerID\":0,\"hostID\":$u,\"size\":1},{\"containerID\":1,\"hostID\":3000000,\"size\":65536}] | .linux.gidMappings = [{\"containerID\":0,\"hostID\":$g,\"size\":1},{\"containerID\":1,\"hostID\":3000000,\"size\":65536}] | .root.readonly = false | .process.capabilities.bounding += [\"CAP_CHOWN\"] | .process.capabilities.effective += [\"CAP_CHOWN\"] | .process.capabilities.permitted += [\"CAP_CHOWN\"] | del(.linux.resources) | .mounts |= map(select(.type != \"cgroup\"))"
	mkdir -p "$T/xdg"
	chown -R hutchtest "$T/b" "$T/xdg"
	set +e
	out=$(su hutchtest -s /bin/sh -c "XDG_RUNTIME_DIR=$T/xdg timeout 30 $HUTCH_OCI run -b $T/b rl-ranges" 2>&1)
	rc=$?
	set -e
	cp "$T/subuid.bak" /etc/subuid; cp "$T/subgid.bak" /etc/subgid
	expect_eq "$rc" 0 "rootless run with ranges: $out"
	expect_contains "$out" "3000000"
	expect_contains "$out" "1000"
}

t_hook_timeout() {
	expect_fail run_in '.hooks = {"createRuntime":[{"path":"/bin/sleep","args":["sleep","10"],"timeout":1}]}' true
	expect_contains "$OUT" "timed out after 1 s"
	[ -z "$(ls "$R" 2>/dev/null)" ] || fail "state left behind"
}

t_crashed_create_is_cleanable() {
	# A runtime killed in the middle of create (here: while a hook runs) leaves a state dir
	# that state reports and delete removes, with its cgroups and processes.
	make_bundle "$T/b" true
	bundle_jq "$T/b" '.hooks = {"createRuntime":[{"path":"/bin/sleep","args":["sleep","30"]}]} | .linux.cgroupsPath = "/hutch-engine-test/crashed"'
	"$HUTCH_OCI" --root "$R" create -b "$T/b" crashed &
	local pid=$!
	for i in $(seq 50); do [ -d "$R/crashed" ] && [ -n "$(pgrep -f 'sleep 30')" ] && break; sleep 0.1; done
	kill -9 $pid
	wait $pid 2>/dev/null || true
	pkill -9 -f 'sleep 30' || true
	st=$(oci state crashed | jq -r .status)
	[ "$st" = stopped ] || [ "$st" = creating ] || fail "status of a crashed create: $st"
	oci delete -f crashed
	[ ! -d "$R/crashed" ] || fail "state dir left"
	[ -z "$(ls -d /sys/fs/cgroup/*/hutch-engine-test/crashed 2>/dev/null)" ] || fail "cgroups left"
	rmdir /sys/fs/cgroup/*/hutch-engine-test 2>/dev/null || true
}

run_tests
rm -rf "$R"
