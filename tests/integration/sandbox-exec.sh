#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Talking to a running sandbox: hutch exec (fd passing, exit codes, timeout, signals, tty,
# standalone agents), background processes (exec -d, ps, attach, kill), sessions, cp (and
# that cp cannot reach outside the sandbox's view), and the documented error exit codes.
. "$(dirname "$0")/lib.sh"

R=/tmp/hutch-exec-root-$$
AGENT=$HUTCH_BUILD/src/agent/hutch-agent
hutch() { timeout 60 "$HUTCH" --root "$R" "$@"; }

# A running, idle sandbox in $SB for one test (hutch create), removed by an EXIT trap of the
# test's subshell.
sb_start() {
	mkdir -p "$T/ws"
	cd "$T/ws"
	SB=$(hutch create "$@") || fail "hutch create $*"
	trap sb_stop EXIT
}

sb_stop() { sandbox_rm_wait "$SB"; }

# Processes in the sandbox whose command line is exactly "$1".
count_procs() {
	hutch exec "$SB" -- ps -eo args | grep -cxF "$1" || true
}

# ---- exec ----
# (Background hutch calls that a test signals run "$HUTCH" directly: under timeout(1) the
# signal would go to timeout.)

t_exec_passes_our_own_fds() {
	sb_start
	# Zero copy: the process's stdout and stderr are our pipe, not one of the agent's.
	out=$( { hutch exec "$SB" -- readlink /proc/self/fd/1; readlink /proc/self/fd/1; } | cat)
	expect_eq "$(echo "$out" | sort -u | wc -l)" 1 "same stdout pipe inside and out: $out"
	expect_contains "$out" "pipe:["
	err=$( { hutch exec "$SB" -- sh -c 'readlink /proc/self/fd/2 >&2'; readlink /proc/self/fd/2 >&2; } 2>&1 >/dev/null | cat)
	expect_eq "$(echo "$err" | sort -u | wc -l)" 1 "same stderr pipe: $err"
	# stdin only with -i.
	expect_eq "$(echo piped | hutch exec "$SB" -- cat)" ""
	expect_eq "$(echo piped | hutch exec -i "$SB" -- cat)" piped
	expect_eq "$(hutch exec "$SB" -- readlink /proc/self/fd/0)" /dev/null
}

t_exec_exit_codes() {
	sb_start
	set +e
	hutch exec "$SB" -- sh -c 'exit 7'; expect_eq $? 7 "exit code"
	hutch exec "$SB" -- sh -c 'kill -KILL $$'; expect_eq $? 137 "killed by SIGKILL"
	hutch exec "$SB" -- sh -c 'kill -TERM $$'; expect_eq $? 143 "killed by SIGTERM"
	set -e
}

t_exec_env_cwd_user() {
	SB_VAR=from-creator sb_start --env SBENV=1 --env-allow SB_VAR --cwd /tmp
	expect_eq "$(SB_VAR=from-exec hutch exec "$SB" -- sh -c 'echo $SBENV $SB_VAR; pwd' | tr '\n' ' ')" \
		"1 from-exec /tmp " "the sandbox's --env, --env-allow and --cwd apply"
	sb_stop
	sb_start
	out=$(MY_API_TOKEN=secret LANG=C.UTF-8 hutch exec -e A=1 -e B "$SB" -- sh -c 'echo "$A|$B|$MY_API_TOKEN|$LANG|$HOME"; pwd' 2>&1) || true
	expect_eq "$(echo "$out" | head -1)" "1|||C.UTF-8|/work" "filtered environment plus -e"
	expect_eq "$(echo "$out" | tail -1)" /work "default cwd"
	expect_eq "$(B=two hutch exec -e B "$SB" -- sh -c 'echo $B')" two "-e K passes ours"
	expect_eq "$(hutch exec -w /tmp "$SB" -- pwd)" /tmp
	expect_eq "$(hutch exec "$SB" -w /tmp -- pwd)" /tmp "options after the sandbox"
	expect_eq "$(hutch exec "$SB" echo no dashes)" "no dashes"
}

t_exec_timeout_kills_tree() {
	sb_start
	set +e
	out=$(hutch exec --timeout 0.5 "$SB" -- sh -c 'setsid sleep 3011 & sleep 3012' 2>&1)
	rc=$?
	set -e
	expect_eq $rc 124 "timeout exit code"
	expect_contains "$out" "timed out"
	sleep 0.2
	expect_eq "$(count_procs 'sleep 3011')" 0 "a descendant that left the group was killed"
	expect_eq "$(count_procs 'sleep 3012')" 0
}

t_exec_forwards_signals() {
	sb_start
	for sig in TERM HUP INT; do
		"$HUTCH" --root "$R" exec "$SB" -- sh -c "trap 'echo got $sig; exit 9' $sig; sleep 100 & wait" >"$T/out" &
		pid=$!
		sleep 0.5
		kill -$sig $pid
		set +e
		wait $pid
		rc=$?
		set -e
		expect_eq "$rc" 9 "$sig: the process's exit code"
		expect_eq "$(cat "$T/out")" "got $sig"
	done
}

t_exec_kill_cli_leaves_no_process() {
	sb_start
	"$HUTCH" --root "$R" exec "$SB" -- sh -c 'sleep 3021 & sleep 3022' &
	pid=$!
	sleep 0.5
	kill -KILL $pid
	wait $pid || true
	sleep 0.3
	expect_eq "$(count_procs 'sleep 3021')" 0 "background child of a killed exec"
	expect_eq "$(count_procs 'sleep 3022')" 0 "a killed exec's process"
	# A descendant that left the process group with setsid: the agent kills only the group
	# when the connection drops (reported); skip with the reason rather than pass.
	"$HUTCH" --root "$R" exec "$SB" -- sh -c 'setsid sleep 3023 & sleep 3024' &
	pid=$!
	sleep 0.5
	kill -KILL $pid
	wait $pid || true
	sleep 0.3
	if [ "$(count_procs 'sleep 3023')" != 0 ]; then
		skip "agent: a setsid descendant survives when the exec connection drops (kills the group, not the tree)"
	fi
}

t_exec_tty() {
	command -v script >/dev/null || skip "no script(1) to give us a terminal"
	sb_start
	set +e
	out=$(script -qec "stty rows 33 cols 111; $HUTCH --root $R exec -t $SB -- sh -c 'tty; stty size; exit 5'" /dev/null)
	rc=$?
	set -e
	expect_eq "$rc" 5 "exit code through the pty"
	expect_contains "$out" "/dev/pts/"
	expect_contains "$out" "33 111"
	out=$(echo hello | script -qec "$HUTCH --root $R exec -it $SB -- sh -c 'read x; echo got \$x'" /dev/null)
	expect_contains "$out" "got hello"
}

t_exec_tty_resize() {
	command -v python3 >/dev/null || skip "no python3 to drive a pty"
	sb_start
	# Our terminal is resized while the command runs: SIGWINCH → RESIZE of its pty.
	out=$(python3 - "$HUTCH" "$R" "$SB" <<'EOF'
import fcntl, os, pty, struct, sys, termios, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "--root", sys.argv[2], "exec", "-t", sys.argv[3], "--",
             "sh", "-c", "stty size; sleep 1; stty size"])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 20, 70, 0, 0))
time.sleep(0.5)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 41, 123, 0, 0))
out = b""
while True:
    try:
        b = os.read(fd, 1024)
    except OSError:
        break
    if not b:
        break
    out += b
os.waitpid(pid, 0)
print(out.decode(errors="replace").replace("\r", ""))
EOF
)
	expect_contains "$out" "41 123" "size after the resize"
}

t_exec_standalone_agent_socket() {
	echo "s3cret" >"$T/token"
	"$AGENT" --listen "$T/sock" --stop-timeout 2 --token-stdin <"$T/token" &
	apid=$!
	trap 'kill $apid 2>/dev/null; wait $apid 2>/dev/null' EXIT
	for _ in $(seq 100); do [ -S "$T/sock" ] && break; sleep 0.02; done
	out=$( { hutch exec --socket "$T/sock" --token-file "$T/token" -- readlink /proc/self/fd/1; readlink /proc/self/fd/1; } | cat)
	expect_eq "$(echo "$out" | sort -u | wc -l)" 1 "fd passing through a standalone agent"
	set +e
	hutch exec --socket "$T/sock" --token-file "$T/token" -- sh -c 'exit 6'; expect_eq $? 6
	echo wrong >"$T/bad"
	hutch exec --socket "$T/sock" --token-file "$T/bad" -- true 2>/dev/null; expect_eq $? 125 "wrong token"
	hutch exec --socket "$T/nosock" -- true 2>/dev/null; expect_eq $? 3 "no agent there"
	set -e
	sid=$(hutch session new --socket "$T/sock" --token-file "$T/token")
	hutch session exec --socket "$T/sock" --token-file "$T/token" "$sid" -- 'X=5'
	expect_eq "$(hutch session exec --socket "$T/sock" --token-file "$T/token" "$sid" -- 'echo $X')" 5
	echo data >"$T/f"
	hutch cp --socket "$T/sock" --token-file "$T/token" "$T/f" ":$T/g"
	expect_eq "$(cat "$T/g")" data
	# The agent runs as root here, so -u can switch users.
	expect_eq "$(hutch exec --socket "$T/sock" --token-file "$T/token" -u 1000:1001 -- sh -c 'echo $(id -u):$(id -g)')" 1000:1001
}

# ---- background processes ----

t_background_ps_attach() {
	sb_start
	p=$(hutch exec -d --tag job "$SB" -- sh -c 'echo out1; echo err1 >&2; sleep 0.5; echo out2; exit 3')
	[[ "$p" =~ ^[0-9]+$ ]] || fail "exec -d printed '$p'"
	ps=$(hutch ps "$SB")
	expect_contains "$ps" "running"
	expect_contains "$ps" "job"
	set +e
	out=$(hutch attach "$SB" job 2>"$T/err")
	rc=$?
	set -e
	expect_eq "$rc" 3 "attach returns the exit code"
	expect_eq "$(echo $out)" "out1 out2" "replay then follow"
	expect_eq "$(cat "$T/err")" err1 "stderr kept apart"
	json=$(hutch ps --json "$SB")
	expect_eq "$(echo "$json" | jq -r ".[] | select(.id == $p) | [.running, .exit_code, .tag, .stdout_bytes] | @tsv")" \
		"$(printf 'false\t3\tjob\t10')"
	expect_eq "$(echo "$json" | jq -r ".[] | select(.id == $p) | .started" | cut -c1-2)" 20
	# Attach again later: the output is still there; --from skips bytes.
	expect_eq "$(hutch attach --from 5 "$SB" "$p" 2>/dev/null | head -1)" out2
	set +e
	hutch attach --no-output "$SB" "$p"; expect_eq $? 3 "attach --no-output waits"
	set -e
}

t_attach_no_follow_and_new() {
	sb_start
	p=$(hutch exec -d "$SB" -- sh -c 'echo first; sleep 100')
	sleep 0.3
	expect_eq "$(hutch attach --no-follow "$SB" "$p" 2>"$T/err")" first
	expect_contains "$(cat "$T/err")" "still running; resume with --from 6,0"
	expect_eq "$(hutch attach --new --no-follow "$SB" "$p" 2>/dev/null)" ""
	hutch kill "$SB" "$p" KILL
}

t_attach_marks_dropped_output() {
	sb_start
	# 400000 bytes then END: more than the 256 KiB the agent keeps.
	p=$(hutch exec -d "$SB" -- sh -c 'head -c 400000 /dev/zero | tr "\0" x; echo; echo END')
	hutch attach --no-output "$SB" "$p"
	hutch attach "$SB" "$p" >"$T/out" 2>"$T/err"
	expect_contains "$(cat "$T/err")" "bytes of stdout were dropped"
	expect_eq "$(tail -1 "$T/out")" END
	size=$(stat -c %s "$T/out")
	[ "$size" -le 262144 ] || fail "replayed $size bytes, more than the buffer"
}

t_attach_stdin() {
	sb_start
	p=$(hutch exec -d -i "$SB" -- sh -c 'cat; echo eof >&2')
	out=$(printf 'abc\ndef\n' | hutch attach --stdin "$SB" "$p" 2>"$T/err")
	expect_eq "$(echo $out)" "abc def"
	expect_eq "$(cat "$T/err")" eof "stdin closed at our EOF"
	# More than the agent's 256 KiB stdin queue.
	p=$(hutch exec -d -i "$SB" -- wc -c)
	expect_eq "$(head -c 3000000 /dev/zero | hutch attach --stdin "$SB" "$p")" 3000000
}

t_kill_signals() {
	sb_start
	set +e
	p=$(hutch exec -d "$SB" -- sleep 100)
	hutch kill "$SB" "$p"; hutch attach --no-output "$SB" "$p"; expect_eq $? 143 "default TERM"
	p=$(hutch exec -d "$SB" -- sleep 100)
	hutch kill "$SB" "$p" 9; hutch attach --no-output "$SB" "$p"; expect_eq $? 137 "by number"
	p=$(hutch exec -d --tag sl "$SB" -- sleep 100)
	hutch kill "$SB" sl SIGUSR1; hutch attach --no-output "$SB" "$p"; expect_eq $? 138 "by name and tag"
	# The tree: a descendant that left the group goes too.
	p=$(hutch exec -d "$SB" -- sh -c 'setsid sleep 3031 & sleep 3032')
	sleep 0.3
	hutch kill "$SB" "$p" KILL
	sleep 0.3
	expect_eq "$(count_procs 'sleep 3031')" 0 "kill reaches the whole tree"
	hutch kill "$SB" "$p" NOSUCH 2>/dev/null; expect_eq $? 2 "unknown signal"
	set -e
}

# An exec whose agent does not answer (stopped here): the second SIGTERM gives up the wait
# (143); once the agent runs again, the command (its client gone) is ended.
t_second_signal_gives_up_a_hung_exec() {
	sb_start -- sleep 1000
	"$HUTCH" --root "$R" exec "$SB" -- sleep 3033 &
	cli=$!
	for _ in $(seq 100); do pgrep -xf 'sleep 3033' >/dev/null && break; sleep 0.05; done
	agent=$(hutch inspect "$SB" | jq -r '.[0].state.agentPid')
	kill -STOP "$agent"
	kill -TERM "$cli"
	sleep 0.5
	kill -0 "$cli" 2>/dev/null || { kill -CONT "$agent"; fail "the first signal ended the CLI"; }
	kill -TERM "$cli"
	set +e
	wait "$cli"
	rc=$?
	set -e
	kill -CONT "$agent"
	expect_eq "$rc" 143 "exit code after the second SIGTERM"
	for _ in $(seq 50); do [ "$(count_procs 'sleep 3033')" = 0 ] && break; sleep 0.1; done
	expect_eq "$(count_procs 'sleep 3033')" 0 "the command outlived its client"
}

# ---- sessions ----

t_session_state_persists() {
	sb_start
	s=$(hutch session new -e FOO=bar "$SB")
	[[ "$s" =~ ^[0-9]+$ ]] || fail "session new printed '$s'"
	hutch session exec "$SB" "$s" -- 'cd /tmp; X=1; export Y=2; f() { echo fn$1; }'
	out=$(hutch session exec "$SB" "$s" -- 'pwd; echo $X $Y $FOO; f 7; echo oops >&2; false' 2>"$T/err") && fail "exit code lost"
	expect_eq "$(echo $out)" "/tmp 1 2 bar fn7"
	expect_eq "$(cat "$T/err")" oops "stderr kept apart"
	set +e
	hutch session exec "$SB" "$s" -- 'exit_with() { return $1; }; exit_with 42'; expect_eq $? 42
	set -e
	ls=$(hutch session ls "$SB")
	expect_contains "$ls" "$s "
	expect_contains "$ls" idle
	expect_eq "$(hutch session ls --json "$SB" | jq -r '.[0].id')" "$s"
	hutch session rm "$SB" "$s"
	expect_not_contains "$(hutch session ls "$SB")" "idle"
	set +e
	hutch session exec "$SB" "$s" -- true 2>"$T/err"; expect_eq $? 4 "removed session"
	set -e
	expect_contains "$(cat "$T/err")" "does not exist"
}

t_session_timeout_keeps_session() {
	sb_start
	s=$(hutch session new "$SB")
	hutch session exec "$SB" "$s" -- 'X=kept'
	set +e
	hutch session exec --timeout 0.5 "$SB" "$s" -- sleep 30 2>"$T/err"; expect_eq $? 124
	set -e
	expect_contains "$(cat "$T/err")" "session kept"
	expect_eq "$(hutch session exec "$SB" "$s" -- 'echo $X')" kept
}

# A command that redirects the shell's own stdout or stderr for good ("exec >/dev/null") does
# not swallow the end of its output: the next command runs and its output comes back.
t_session_survives_redirected_shell_output() {
	sb_start
	s=$(hutch session new "$SB")
	hutch session exec "$SB" "$s" -- 'X=kept; exec >/dev/null; echo hidden'
	out=$(timeout 10 "$HUTCH" --root "$R" session exec "$SB" "$s" -- 'echo out $X') ||
		fail "the session is stuck after 'exec >/dev/null'"
	expect_eq "$out" "out kept"
	hutch session exec "$SB" "$s" -- 'exec 2>/dev/null; echo gone >&2'
	err=$(timeout 10 "$HUTCH" --root "$R" session exec "$SB" "$s" -- 'echo back >&2' 2>&1 >/dev/null) ||
		fail "the session is stuck after 'exec 2>/dev/null'"
	expect_eq "$err" back
	expect_contains "$(hutch session ls "$SB")" idle
}

t_session_busy() {
	sb_start
	s=$(hutch session new "$SB")
	hutch session exec "$SB" "$s" -- sleep 1.5 &
	pid=$!
	sleep 0.5
	expect_contains "$(hutch session ls "$SB")" busy
	set +e
	hutch session exec "$SB" "$s" -- true 2>"$T/err"; expect_eq $? 5 "busy exit code"
	set -e
	expect_contains "$(cat "$T/err")" "is busy"
	wait $pid
	hutch session exec "$SB" "$s" -- true
}

# ---- cp ----

t_cp_both_ways_keeps_modes() {
	sb_start
	mkdir -p "$T/src/sub/deep"
	echo a >"$T/src/a"; chmod 0751 "$T/src/a"
	echo b >"$T/src/sub/b"; chmod 0600 "$T/src/sub/b"
	head -c 1000000 /dev/urandom >"$T/src/sub/deep/big"
	chmod 0701 "$T/src/sub"
	hutch cp "$T/src" "$SB:/tmp/"
	expect_eq "$(hutch exec "$SB" -- stat -c '%a %n' /tmp/src/a /tmp/src/sub /tmp/src/sub/b | tr '\n' ' ')" \
		"751 /tmp/src/a 701 /tmp/src/sub 600 /tmp/src/sub/b "
	hutch cp "$SB:/tmp/src" "$T/back"
	diff -r "$T/src" "$T/back" || fail "tree changed on the round trip"
	expect_eq "$(stat -c %a "$T/back/a" "$T/back/sub" "$T/back/sub/b" | tr '\n' ' ')" "751 701 600 "
	# A single file, to a new name, and into an existing directory.
	hutch cp "$T/src/a" "$SB:/tmp/renamed"
	expect_eq "$(hutch exec "$SB" -- cat /tmp/renamed)" a
	mkdir "$T/into"
	hutch cp "$SB:/tmp/renamed" "$T/into"
	expect_eq "$(cat "$T/into/renamed")" a
	# Never setuid, setgid or sticky bits across.
	echo x >"$T/suid"
	chmod 4755 "$T/suid"
	hutch cp "$T/suid" "$SB:/tmp/suid"
	expect_eq "$(hutch exec "$SB" -- stat -c %a /tmp/suid)" 755
}

# A source that is neither a regular file nor a directory is an error (nothing was copied),
# not a warning with exit 0; inside a copied directory such entries are skipped.
t_cp_special_source_is_an_error() {
	sb_start
	hutch exec "$SB" -- sh -c 'mkfifo /tmp/fifo; ln -s /dev/zero /tmp/z; mkdir /tmp/d; echo f >/tmp/d/f; mkfifo /tmp/d/p'
	set +e
	for src in /tmp/fifo /dev/zero /tmp/z; do
		hutch cp "$SB:$src" "$T/out" 2>"$T/err"; expect_eq $? 125 "cp of $src"
		expect_contains "$(cat "$T/err")" "not a regular file"
	done
	mkfifo "$T/lf"
	hutch cp "$T/lf" "$SB:/tmp/x" 2>/dev/null; expect_eq $? 125 "cp of a local fifo"
	echo x >"$T/f"
	hutch cp "$T/f" "$SB:/tmp/nodir/x" 2>"$T/err"; expect_eq $? 125 "cp into a missing directory"
	expect_eq "$(cat "$T/err")" "hutch: cannot write '/tmp/nodir/x' in the sandbox: No such file or directory"
	set -e
	[ ! -e "$T/out" ] || fail "something was written"
	hutch cp "$SB:/tmp/d" "$T/d" 2>"$T/err"
	expect_eq "$(ls "$T/d")" f "a directory's fifo is skipped"
	expect_contains "$(cat "$T/err")" "skipping"
}

t_cp_cannot_escape_the_sandbox_view() {
	sb_start
	# A symlink to /etc/shadow: the agent opens it in the sandbox's view, as the sandbox
	# user, for whom the host's shadow is unreadable.
	hutch exec "$SB" -- sh -c 'ln -s /etc/shadow /tmp/sh; mkdir /tmp/d; ln -s /etc /tmp/d/etc; ln -s ../../../../etc/shadow /tmp/d/up'
	expect_fail hutch cp "$SB:/tmp/sh" "$T/shadow"
	expect_contains "$OUT" "Permission denied"
	[ ! -e "$T/shadow" ] || fail "copied something: $(head -c 40 "$T/shadow")"
	# Symlinks inside a copied directory are skipped, never followed on the host.
	hutch cp "$SB:/tmp/d" "$T/d" 2>"$T/err"
	expect_contains "$(cat "$T/err")" "skipping"
	expect_eq "$(ls -A "$T/d")" "" "nothing came through the links"
	# Into the read-only root through '..' and through a symlink.
	echo evil >"$T/evil"
	expect_fail hutch cp "$T/evil" "$SB:/tmp/../../etc/"
	expect_contains "$OUT" "Read-only file system"
	expect_fail hutch cp "$T/evil" "$SB:/tmp/d/etc/evil"
	[ ! -e /etc/evil ] || { rm -f /etc/evil; fail "wrote into the host's /etc"; }
	# A local symlink inside a copied directory is not followed into the sandbox either.
	mkdir "$T/dir"
	ln -s /etc/shadow "$T/dir/shadow"
	hutch cp "$T/dir" "$SB:/tmp/dir" 2>/dev/null
	expect_eq "$(hutch exec "$SB" -- ls -A /tmp/dir)" ""
}

# ---- errors ----

t_errors_have_distinct_codes() {
	sb_start
	set +e
	hutch exec nosuch-sandbox -- true 2>"$T/err"; expect_eq $? 1 "unknown sandbox"
	expect_eq "$(cat "$T/err")" "hutch: sandbox 'nosuch-sandbox' does not exist"
	hutch exec "$SB" -- no-such-command-xyz 2>"$T/err"; expect_eq $? 127 "command not found"
	expect_contains "$(cat "$T/err")" "command not found"
	hutch exec "$SB" -- /etc/passwd 2>/dev/null; expect_eq $? 126 "not executable"
	hutch exec --bogus "$SB" -- true 2>/dev/null; expect_eq $? 2 "bad option"
	hutch exec -w rel "$SB" -- true 2>/dev/null; expect_eq $? 2 "relative --cwd"
	hutch exec -w /no/such/dir "$SB" -- true 2>/dev/null; expect_eq $? 125 "bad cwd"
	hutch attach "$SB" 9999 2>"$T/err"; expect_eq $? 4 "unknown process"
	expect_contains "$(cat "$T/err")" "not found"
	hutch kill "$SB" 9999 2>/dev/null; expect_eq $? 4 "kill unknown process"
	hutch attach "$SB" no-such-tag 2>/dev/null; expect_eq $? 4 "unknown tag"
	hutch session exec "$SB" 9999 -- true 2>/dev/null; expect_eq $? 4 "unknown session"
	hutch ps nosuch-sandbox 2>/dev/null; expect_eq $? 1
	hutch cp nosuch-sandbox:/etc/hostname "$T/x" 2>/dev/null; expect_eq $? 1
	set -e
	for c in exec ps attach kill session cp; do
		hutch $c --help | grep -q "^usage: hutch $c" || fail "$c --help"
	done
}

t_agent_killed_mid_exec() {
	sb_start
	apid=$(jq -r .pid "$R/$SB/engine/$SB/state.json")
	"$HUTCH" --root "$R" exec "$SB" -- sleep 100 2>"$T/err" &
	pid=$!
	sleep 0.5
	kill -KILL "$apid"   # PID 1 of the sandbox: its whole pid namespace goes with it
	set +e
	wait $pid; expect_eq $? 9 "agent lost"
	hutch exec "$SB" -- true 2>/dev/null; expect_eq $? 3 "then: not running"
	set -e
	expect_contains "$(cat "$T/err")" "lost the connection to the agent"
}

t_stopped_sandbox_is_not_running() {
	sb_start
	hutch stop "$SB" >/dev/null
	set +e
	hutch exec "$SB" -- true 2>"$T/err"; expect_eq $? 3 "stopped sandbox"
	set -e
	expect_contains "$(cat "$T/err")" "is not running"
}

trap 'rm -rf "$R"' EXIT
run_tests
