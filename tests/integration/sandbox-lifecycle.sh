#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Persistent sandboxes: create, start, stop, rm, ls, inspect, logs, wait, prune, --rm, --ttl,
# names, labels, concurrency, and the error (and exit code) of each misuse.
. "$(dirname "$0")/lib.sh"

R=/tmp/hutch-lifecycle-root-$$
hutch() { timeout 60 "$HUTCH" --root "$R" "$@"; }

# Every test starts in its own workspace and, however it ends, removes what it made and
# waits for the dead helpers to be reaped: the host's PID 1 reaps orphans only now and
# then, and a zombie would count as a process left behind.
setup() {
	mkdir -p "$T/ws" && cd "$T/ws"
	trap teardown EXIT
}
teardown() {
	local ids
	ids=$(timeout 60 "$HUTCH" --root "$R" ls -aq 2>/dev/null || true)
	[ -z "$ids" ] || timeout 60 "$HUTCH" --root "$R" rm -f $ids >/dev/null 2>&1 || true
	timeout 60 "$HUTCH" --root "$R" prune --all -q >/dev/null 2>&1 || true
	settle_zombies
	# Our own leak check, exact where the harness's is not (other test runs share the
	# machine): helpers carry our --root in their command line, agents our workspace.
	local p left=""
	for p in $(pgrep -x '.hutch-agent'); do
		grep -qs " $T/" "/proc/$p/mountinfo" && left="$left agent:$p"
	done
	for p in $(pgrep -f -- "--root $R "); do left="$left helper:$p"; done
	[ -z "$left" ] || { echo "FAILED: processes left behind:$left" >&2; exit 1; }
}
settle_zombies() {
	local i
	for i in $(seq 50); do
		ps -e -o stat=,comm= | grep -qE '^Z.* (hutch|\.hutch-agent)$' || return 0
		sleep 0.1
	done
}
# Fails if anything of sandbox ID is left: state dir, socket, cgroup, processes.
assert_gone() { # id
	[ ! -e "$R/$1" ] || fail "state dir of $1 left: $(ls -R "$R/$1")"
	[ ! -e "$R/agents/$1.sock" ] && [ ! -L "$R/agents/$1.sock" ] || fail "agent socket of $1 left"
	local cg
	cg=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$1" 2>/dev/null)
	[ -z "$cg" ] || fail "cgroups of $1 left: $cg"
}
status_of() { hutch inspect "$1" | jq -r '.[0].status'; }
# Polls until CMD succeeds, for at most N tenths of a second.
wait_for() { # tenths, cmd...
	local n=$1 i; shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

t_help_on_every_command() {
	setup
	local c
	for c in create start stop rm ls inspect logs wait prune; do
		out=$(hutch "$c" --help) || fail "$c --help failed"
		expect_contains "$out" "usage: hutch $c" "$c --help"
		expect_contains "$out" "Exit codes" "$c --help documents its exit codes"
	done
}

t_create_idle_then_rm() {
	setup
	id=$(hutch create)
	[[ "$id" == sb-* ]] || fail "create printed '$id'"
	expect_eq "$(status_of "$id")" running
	expect_eq "$(hutch ls -q)" "$id" "ls -q"
	# The CLI is gone, the sandbox is not: state on disk, agent alive.
	pid=$(hutch inspect "$id" | jq -r '.[0].state.agentPid')
	kill -0 "$pid" || fail "agent $pid not running after create returned"
	if hutch exec --help >/dev/null 2>&1; then
		expect_eq "$(hutch exec "$id" -- hostname)" hutch "exec into a created sandbox"
	fi
	hutch rm -f "$id"
	assert_gone "$id"
	expect_eq "$(hutch ls -aq)" "" "ls after rm"
}

t_killed_agent_then_start_and_prune() {
	setup
	id=$(hutch create --name k -- sleep 100)
	kill -9 "$(hutch inspect k | jq -r '.[0].state.agentPid')"
	wait_for 30 sh -c "[ \"\$($HUTCH --root $R inspect k | jq -r '.[0].status')\" = stopped ]" ||
		fail "a sandbox whose agent died is not shown as stopped"
	hutch wait k 2>"$T/err" && rc=0 || rc=$?
	expect_eq "$rc" 125 "wait when the agent died"
	expect_contains "$(cat "$T/err")" "stopped without an exit code"
	hutch start k >/dev/null
	expect_eq "$(status_of k)" running "started again after the agent died"
	kill -9 "$(hutch inspect k | jq -r '.[0].state.agentPid')"
	wait_for 30 sh -c "[ \"\$($HUTCH --root $R inspect k | jq -r '.[0].status')\" = stopped ]" ||
		fail "not stopped"
	expect_eq "$(hutch prune)" "$id" "prune removes what the dead agent left"
	assert_gone "$id"
}

t_unknown_sandbox_is_exit_1() {
	setup
	local c rc
	for c in start stop rm inspect logs wait; do
		hutch "$c" nope >/dev/null 2>"$T/err" && rc=0 || rc=$?
		expect_eq "$rc" 1 "$c of an unknown sandbox"
		expect_contains "$(cat "$T/err")" "sandbox 'nope' does not exist" "$c"
	done
}

t_usage_errors_are_exit_2() {
	setup
	local rc
	for args in "create --label novalue" "create --ttl x" "create --memory lots" "rm" "stop" \
		"stop -t x sb-1" "ls --filter team" "prune --filter x=y" "logs" "wait" "inspect" \
		"create --name bad/name"; do
		hutch $args >/dev/null 2>&1 && rc=0 || rc=$?
		expect_eq "$rc" 2 "hutch $args"
	done
	expect_eq "$(hutch ls -aq)" "" "nothing made by bad usage"
}

t_create_failures_leave_nothing() {
	setup
	local rc
	# An "agent" that is not one: the container starts but no agent answers.
	HUTCH_AGENT=/bin/true hutch create -- sleep 1 >/dev/null 2>"$T/err" && rc=0 || rc=$?
	expect_eq "$rc" 125 "create with a broken agent"
	# One that cannot even be exec'd: the exec fails after the sandbox is set up (create and
	# start are one step), and must be reported as such, not as a missing main command.
	printf 'not an ELF\0\1' >"$T/bad-agent"
	chmod 755 "$T/bad-agent"
	HUTCH_AGENT=$T/bad-agent hutch create -- sleep 1 >/dev/null 2>"$T/err" && rc=0 || rc=$?
	expect_eq "$rc" 125 "create with an agent that cannot be exec'd"
	expect_contains "$(cat "$T/err")" "Exec format error"
	HUTCH_AGENT=$T/bad-agent hutch run -- true >/dev/null 2>"$T/err" && rc=0 || rc=$?
	expect_eq "$rc" 125 "run with an agent that cannot be exec'd"
	expect_contains "$(cat "$T/err")" "exec '/dev/.hutch-agent': Exec format error"
	hutch create -- no-such-command-xyz >/dev/null 2>"$T/err" && rc=0 || rc=$?
	expect_eq "$rc" 127 "create with a missing main command"
	expect_contains "$(cat "$T/err")" "command not found"
	hutch create --workspace /nonexistent-hutch-ws >/dev/null 2>&1 && rc=0 || rc=$?
	expect_eq "$rc" 2 "create with a missing workspace"
	expect_eq "$(ls "$R" 2>/dev/null | grep -c '^sb-\|^\.new' || true)" 0 "no state left"
	expect_eq "$(ls "$R/agents" 2>/dev/null | wc -l)" 0 "no socket left"
}

t_names_unique() {
	setup
	local rc
	id=$(hutch create --name web)
	hutch create --name web >/dev/null 2>"$T/err" && rc=0 || rc=$?
	expect_eq "$rc" 6 "second create with the same name"
	expect_contains "$(cat "$T/err")" "name 'web' is already in use by sandbox '$id'"
	expect_eq "$(hutch ls -aq | wc -l)" 1 "the failed create left nothing"
	expect_eq "$(hutch inspect web | jq -r '.[0].id')" "$id" "resolve by name"
	expect_eq "$(hutch inspect "${id:3:6}" | jq -r '.[0].id')" "$id" "resolve by prefix"
	hutch rm -f web
	[ ! -e "$R/names/web" ] || fail "name left after rm"
	id2=$(hutch create --name web)
	[ "$id2" != "$id" ] || fail "ids reused"
	hutch rm -f "$id2"
}

t_labels_filter_and_ls_json() {
	setup
	a=$(hutch create --label team=a --label env=dev -- sleep 100)
	b=$(hutch create --label team=b -- sleep 100)
	c=$(hutch create --label team=a)
	expect_eq "$(hutch ls -q --filter label=team=a | sort)" "$(printf '%s\n' "$a" "$c" | sort)"
	expect_eq "$(hutch ls -q --filter label=team=a --filter label=env=dev)" "$a" "two filters"
	expect_eq "$(hutch ls -q --filter label=env)" "$a" "key-only filter"
	json=$(hutch ls --json)
	expect_eq "$(echo "$json" | jq length)" 3 "ls --json entries"
	expect_eq "$(echo "$json" | jq -r --arg b "$b" '.[] | select(.id == $b) | .labels.team')" b
	expect_eq "$(echo "$json" | jq -r --arg a "$a" '.[] | select(.id == $a) | .command | join(" ")')" "sleep 100"
	expect_eq "$(echo "$json" | jq -r '.[0].status')" running
	out=$(hutch ls)
	expect_contains "$out" "team=a,env=dev"
	hutch stop -t 1 "$b"
	expect_eq "$(hutch ls -q | grep -c "$b" || true)" 0 "ls hides stopped ones"
	expect_eq "$(hutch ls -aq | grep -c "$b")" 1 "ls -a shows them"
	hutch prune --filter label=team=a --all
	expect_eq "$(hutch ls -aq)" "$b" "prune by label removed only team=a"
	assert_gone "$a"
	assert_gone "$c"
	hutch rm "$b"
}

t_inspect_shows_settings_and_state() {
	setup
	id=$(hutch create --memory 256m --pids 100 --cpus 0.5 --hostname box --env-block 'MY_*' \
		--label k=v --ttl 600 -- sleep 100)
	j=$(hutch inspect "$id")
	expect_eq "$(echo "$j" | jq '.[0].settings.limits.memoryBytes')" 268435456 memory
	expect_eq "$(echo "$j" | jq '.[0].settings.limits.pids')" 100 pids
	expect_eq "$(echo "$j" | jq '.[0].settings.limits.cpus')" 0.5 cpus
	expect_eq "$(echo "$j" | jq -r '.[0].settings.hostname')" box
	expect_eq "$(echo "$j" | jq -r '.[0].settings.namespaces | sort | join(",")')" \
		"cgroup,ipc,mount,network,pid,user,uts"
	expect_eq "$(echo "$j" | jq -r '.[0].settings.capabilities | length')" 0 "no capabilities"
	expect_eq "$(echo "$j" | jq -r '.[0].settings.noNewPrivileges')" true
	expect_contains "$(echo "$j" | jq -r '.[0].settings.seccomp')" default
	expect_eq "$(echo "$j" | jq -r '.[0].settings.envBlockAdded[0]')" 'MY_*'
	expect_eq "$(echo "$j" | jq -r '.[0].settings.user.uid')" 0
	expect_contains "$(echo "$j" | jq -r '.[0].settings.mounts[].destination')" /work
	expect_eq "$(echo "$j" | jq -r '.[0].ttl')" 600
	[ "$(echo "$j" | jq -r '.[0].expires')" != null ] || fail "no expiry shown"
	[ "$(echo "$j" | jq '.[0].state.pids | length')" -ge 2 ] || fail "pids: agent and main expected"
	[ "$(echo "$j" | jq '.[0].state.agentPid')" -gt 1 ] || fail "agent pid"
	[ "$(echo "$j" | jq '.[0].state.resources.memoryBytes')" -gt 0 ] || fail "memory usage"
	hutch rm -f "$id"
}

t_logs_after_exit_and_follow() {
	setup
	id=$(hutch create -- sh -c 'echo one; echo two >&2; sleep 1; echo three')
	out=$(hutch logs -f "$id")
	expect_eq "$(echo "$out" | sort | tr '\n' ' ')" "one three two " "logs -f until the end"
	wait_for 30 sh -c "[ \"\$($HUTCH --root $R inspect $id | jq -r '.[0].status')\" = stopped ]" ||
		fail "sandbox did not stop when its main process ended"
	expect_eq "$(hutch logs "$id" | sort | tr '\n' ' ')" "one three two " "logs after the end"
	expect_eq "$(hutch logs -f "$id" | wc -l)" 3 "logs -f of a finished one returns"
	# An idle sandbox has no main process.
	idle=$(hutch create)
	hutch logs "$idle" >/dev/null 2>&1 && rc=0 || rc=$?
	expect_eq "$rc" 7 "logs without a main process"
	hutch rm -f "$id" "$idle"
}

t_logs_capped_with_marker() {
	setup
	# 10 MiB of output: the log keeps 8 MiB and says the rest was dropped.
	id=$(hutch create -- sh -c 'head -c 10485760 /dev/zero | tr "\0" x; echo')
	hutch wait "$id" >/dev/null
	size=$(hutch logs "$id" | wc -c)
	[ "$size" -le $((8 * 1048576 + 200)) ] || fail "log is $size bytes"
	[ "$size" -ge $((8 * 1048576)) ] || fail "log is only $size bytes"
	expect_contains "$(hutch logs "$id" | tail -c 200)" "log truncated"
	hutch rm "$id"
}

t_wait_exit_codes() {
	setup
	local rc
	a=$(hutch create -- sh -c 'sleep 0.3; exit 7')
	b=$(hutch create -- sh -c 'kill -KILL $$')
	c=$(hutch create --timeout 0.5 -- sleep 30)
	hutch wait "$a" && rc=0 || rc=$?
	expect_eq "$rc" 7 "wait: exit code"
	hutch wait "$b" && rc=0 || rc=$?
	expect_eq "$rc" 137 "wait: killed by SIGKILL"
	hutch wait "$c" && rc=0 || rc=$?
	expect_eq "$rc" 124 "wait: main --timeout"
	hutch wait "$a" && rc=0 || rc=$?
	expect_eq "$rc" 7 "wait again after the end"
	expect_eq "$(hutch ls -a --json | jq -r --arg a "$a" '.[] | select(.id == $a) | .exitCode')" 7
	idle=$(hutch create)
	hutch wait "$idle" 2>/dev/null && rc=0 || rc=$?
	expect_eq "$rc" 7 "wait without a main process"
	hutch rm -f "$a" "$b" "$c" "$idle"
}

t_stop_start_cycle() {
	setup
	id=$(hutch create --name cyc -- sh -c 'echo started; exec sleep 100')
	wait_for 30 sh -c "$HUTCH --root $R logs cyc | grep -q started" || fail "no output"
	hutch stop -t 5 cyc
	expect_eq "$(status_of cyc)" stopped
	cg=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id")
	[ -z "$cg" ] || fail "a stopped sandbox keeps cgroups: $cg"
	hutch wait cyc && rc=0 || rc=$?
	expect_eq "$rc" 143 "main ended by SIGTERM"
	hutch stop cyc # stopping a stopped one is fine
	hutch start cyc >/dev/null
	expect_eq "$(status_of cyc)" running
	wait_for 30 sh -c "[ \$($HUTCH --root $R logs cyc | grep -c started) = 2 ]" ||
		fail "main did not run again: $(hutch logs cyc)"
	hutch start cyc >/dev/null 2>&1 && rc=0 || rc=$?
	expect_eq "$rc" 7 "start of a running sandbox"
	expect_eq "$(hutch inspect cyc | jq -r '.[0].exitCode')" null "exit code reset by start"
	hutch stop -t 1 cyc
	hutch rm cyc
	assert_gone "$id"
}

t_stop_kills_after_grace() {
	setup
	id=$(hutch create -- sh -c 'trap "" TERM; while :; do sleep 0.1; done')
	sleep 0.3
	start=$(date +%s%N)
	hutch stop -t 1 "$id"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$ms" -ge 900 ] && [ "$ms" -lt 6000 ] || fail "stop took ${ms} ms with a 1 s grace"
	hutch wait "$id" && rc=0 || rc=$?
	expect_eq "$rc" 137 "SIGKILL after the grace period"
	hutch rm "$id"
	assert_gone "$id"
}

t_rm_refuses_running_and_force_kills() {
	setup
	local rc
	id=$(hutch create --name r1 -- sleep 100)
	hutch rm "$id" 2>"$T/err" && rc=0 || rc=$?
	expect_eq "$rc" 7 "rm of a running sandbox"
	expect_contains "$(cat "$T/err")" "is running"
	expect_eq "$(status_of "$id")" running "still there"
	pids=$(hutch inspect "$id" | jq -r '.[0].state.pids[]')
	hutch rm -f r1
	assert_gone "$id"
	[ ! -e "$R/names/r1" ] || fail "name left"
	for p in $pids; do
		[ ! -d "/proc/$p" ] || [ "$(awk '{print $3}' "/proc/$p/stat")" = Z ] ||
			fail "process $p survived rm -f"
	done
}

# A process put into the sandbox's cgroups from outside its pid namespace does not die with
# the agent: rm -f must still find it (the cgroup's rmdir fails), kill it and remove all.
t_rm_kills_what_joined_the_cgroup_from_outside() {
	[ "$(id -u)" = 0 ] || skip "moves a process into the sandbox's cgroups"
	setup
	id=$(hutch create -- sleep 100)
	sleep 1000 &
	local stray=$! d
	for d in $(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id"); do
		echo "$stray" >"$d/cgroup.procs"
	done
	grep -q "$id" "/proc/$stray/cgroup" || fail "could not move the stray process in"
	hutch rm -f "$id"
	wait "$stray" 2>/dev/null || true
	[ ! -d "/proc/$stray" ] || fail "the stray process survived rm -f"
	assert_gone "$id"
}

t_rm_option_removes_when_main_ends() {
	setup
	id=$(hutch create --rm -- sh -c 'sleep 0.5')
	wait_for 50 test ! -e "$R/$id" || fail "--rm sandbox still there"
	assert_gone "$id"
	id=$(hutch create --rm)
	hutch stop "$id"
	assert_gone "$id"
}

t_prune_stopped_and_expired() {
	setup
	stopped=$(hutch create -- true)
	running=$(hutch create -- sleep 100)
	wait_for 50 sh -c "[ \"\$($HUTCH --root $R inspect $stopped | jq -r '.[0].status')\" = stopped ]" ||
		fail "main ended but sandbox not stopped"
	out=$(hutch prune)
	expect_eq "$out" "$stopped" "prune removes the stopped one only"
	assert_gone "$stopped"
	expect_eq "$(hutch ls -aq)" "$running"
	hutch prune --all -q
	assert_gone "$running"
}

t_prune_reaps_stale_run() {
	setup
	"$HUTCH" --root "$R" run -- sleep 30 &
	cli=$!
	wait_for 50 sh -c "ls $R 2>/dev/null | grep -q '^sb-'" || fail "run made no state"
	id=$(ls "$R" | grep '^sb-')
	sleep 0.3
	kill -9 "$cli"
	wait "$cli" 2>/dev/null || true
	[ -d "$R/$id" ] || fail "setup: a killed run should leave its state dir"
	# The kernel sends the init its parent-death SIGKILL as the CLI exits; the init dies
	# asynchronously, a moment later on a busy machine.
	run_status() { [ "$(hutch ls -a --json | jq -r '.[0].kind + " " + .[0].status')" = "run stopped" ]; }
	wait_for 50 run_status || fail "a run whose CLI was killed is not reported 'run stopped'"
	expect_eq "$(hutch prune)" "$id" "prune reports the stale run"
	assert_gone "$id"
}

# The CLI killed while the sandbox's init is still setting up, before the init has asked to
# die with it: the init must notice and not start the sandbox (no agent left running for
# nobody). The init is stopped right after it has pivoted into the sandbox's root, the CLI
# killed, and the init let go.
# Starts a run and stops its init (SIGSTOP) between its pivot into the sandbox's root and its
# exec of the agent; prints the init's pid, or nothing when that window was missed (the run
# is then killed). Run in $(...): the run's output goes elsewhere, or it would hold the pipe.
stop_init_before_exec() {
	"$HUTCH" --root "$R" run -- sleep 30 >/dev/null 2>&1 &
	cli=$!
	# Bash builtins only: the window from the pivot to the exec is a fraction of a millisecond.
	# The CLI's children: short-lived helpers first, then the init.
	local init="" kids p i
	for ((i = 0; i < 400000; i++)); do
		[ -z "$init" ] || break
		kids=""
		read -r kids <"/proc/$cli/task/$cli/children" 2>/dev/null || true # no newline
		for p in $kids; do
			[ -e "/proc/$p/root/dev/.hutch-agent" ] && init=$p && break
		done
	done
	if [ -n "$init" ] && kill -STOP "$init" 2>/dev/null &&
		[ "$(readlink "/proc/$init/exe")" != /dev/.hutch-agent ]; then
		echo "$init"
		return
	fi
	[ -z "$init" ] || kill -CONT "$init" 2>/dev/null || true
	kill -9 "$cli" 2>/dev/null || true
	wait "$cli" 2>/dev/null || true
}

# The CLI killed while the sandbox's init is still setting up, before the init has asked to
# die with it: the init must notice and not start the sandbox (no agent left running for
# nobody). Tried until the init is caught in that window (a few attempts on a busy machine).
t_cli_killed_during_setup_starts_nothing() {
	setup
	local init="" n
	for ((n = 0; n < 20; n++)); do
		init=$(stop_init_before_exec)
		[ -z "$init" ] || break
		[ -n "$init" ] || { settle_zombies; hutch prune --all -q >/dev/null 2>&1 || true; }
	done
	[ -n "$init" ] || skip "missed the window in $n attempts"
	cli=$(ps -o ppid= -p "$init" | tr -d ' ')
	kill -9 "$cli"
	kill -CONT "$init"
	gone() { [ ! -d "/proc/$init" ] || [ "$(awk '{print $3}' "/proc/$init/stat")" = Z ]; }
	wait_for 30 gone || fail "the init started the sandbox after its CLI was killed: $(ps -o args= -p "$init")"
	settle_zombies
	hutch prune --all -q >/dev/null 2>&1 || true
}

# A run whose agent does not answer (stopped here): the first SIGTERM is forwarded and does
# nothing, the second kills the sandbox; the CLI exits 143 and leaves nothing.
t_second_signal_ends_a_hung_run() {
	setup
	"$HUTCH" --root "$R" run -- sleep 30 &
	cli=$!
	local agent="" i
	for ((i = 0; i < 100; i++)); do
		agent=$(pgrep -P "$cli" -x .hutch-agent || true)
		[ -z "$agent" ] || break
		sleep 0.05
	done
	[ -n "$agent" ] || fail "setup: no agent"
	sleep 0.2 # the command has started
	kill -STOP "$agent"
	kill -TERM "$cli"
	sleep 0.5
	kill -0 "$cli" 2>/dev/null || fail "the first signal ended the CLI"
	kill -TERM "$cli"
	set +e
	wait "$cli"
	rc=$?
	set -e
	expect_eq "$rc" 143 "exit code after the second SIGTERM"
	id=$(ls "$R" | grep '^sb-' || true)
	[ -z "$id" ] || assert_gone "$id"
}

# hutch run --name: the name finds the running sandbox (exec, ls), is unique while it runs, and
# is free again when the run ends. --label and --ttl are for sandboxes that outlive a command.
t_run_name() {
	setup
	"$HUTCH" --root "$R" run --name job -- sleep 30 &
	cli=$!
	wait_for 50 sh -c "$HUTCH --root $R exec job -- true 2>/dev/null" || fail "exec by the run's name"
	expect_eq "$(hutch ls --json | jq -r '.[] | select(.kind == "run") | .name')" job "ls shows the name"
	set +e
	hutch run --name job -- true 2>"$T/err"; expect_eq $? 6 "name in use by a run"
	hutch create --name job 2>/dev/null; expect_eq $? 6 "create: name in use by a run"
	hutch run --label a=b -- true 2>"$T/err"; expect_eq $? 2 "--label on run"
	expect_contains "$(cat "$T/err")" "hutch create"
	hutch run --ttl 5 -- true 2>/dev/null; expect_eq $? 2 "--ttl on run"
	set -e
	hutch exec job -- kill 1 2>/dev/null || true # the agent ignores it: stop the command instead
	kill -TERM "$cli"
	wait "$cli" 2>/dev/null || true
	expect_eq "$(hutch run --name job -- echo again)" again "the name is free after the run"
}

t_ttl_reaps_without_any_command() {
	setup
	id=$(hutch create --ttl 2 -- sleep 100)
	idle=$(hutch create --ttl 2)
	hutch stop "$idle" # a stopped one expires too
	pids=$(hutch inspect "$id" | jq -r '.[0].state.pids[]')
	sleep 3.5
	# Only the filesystem and /proc are looked at: no hutch command runs meanwhile.
	assert_gone "$id"
	assert_gone "$idle"
	for p in $pids; do
		[ ! -d "/proc/$p" ] || [ "$(awk '{print $3}' "/proc/$p/stat")" = Z ] ||
			fail "process $p outlived the ttl"
	done
}

t_concurrent_creates() {
	setup
	local i
	for i in $(seq 10); do
		hutch create --name c$i --label batch=x -- sh -c "echo hi-$i; sleep 100" >"$T/id$i" &
	done
	wait
	ids=$(cat "$T"/id* | sort)
	expect_eq "$(echo "$ids" | sort -u | grep -c '^sb-')" 10 "10 distinct ids"
	expect_eq "$(hutch ls -q --filter label=batch=x | sort)" "$ids" "all listed"
	for i in $(seq 10); do
		wait_for 30 sh -c "$HUTCH --root $R logs c$i | grep -qx hi-$i" || fail "c$i did not run"
	done
	# Concurrent stops and removals of the same sandboxes do not trip over each other.
	for i in $(seq 10); do hutch stop -t 1 c$i & hutch rm -f c$i 2>/dev/null & done
	wait
	hutch rm -f $(hutch ls -aq) 2>/dev/null || true
	for id in $ids; do assert_gone "$id"; done
	expect_eq "$(ls "$R/names" | grep -v '^lock$' || true)" "" "names left"
}

t_rootless_lifecycle() {
	id hutchtest >/dev/null 2>&1 || useradd -m -s /bin/bash hutchtest 2>/dev/null ||
		skip "cannot create the unprivileged user 'hutchtest'"
	[ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] ||
		skip "unprivileged user namespaces are disabled"
	mkdir -p "$T/rl/ws" && chown -R hutchtest "$T/rl" && chmod 755 "$T"
	as_user() { su hutchtest -s /bin/sh -c "cd $T/rl/ws && timeout 60 $HUTCH --root $T/rl/root $*"; }
	id=$(as_user create --name mine --label who=me -- sh -c "'id -u; echo made > /work/f'" 2>/dev/null)
	[[ "$id" == sb-* ]] || fail "rootless create printed '$id'"
	rc=0
	as_user wait mine || rc=$?
	expect_eq "$rc" 0 "rootless wait"
	expect_eq "$(as_user logs mine)" 0 "rootless logs"
	expect_eq "$(stat -c %U "$T/rl/ws/f")" hutchtest
	expect_eq "$(as_user ls -aq --filter label=who=me)" "$id"
	as_user start mine >/dev/null 2>&1
	as_user stop -t 1 mine
	as_user rm mine
	[ -z "$(ls "$T/rl/root" | grep '^sb-' || true)" ] || fail "rootless sandbox left behind"
	settle_zombies
}

trap 'rm -rf "$R"' EXIT
run_tests
