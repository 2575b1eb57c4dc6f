#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The adversarial suite: every program in cases/ is an attack that runs inside a default
# sandbox (`hutch run`, no flags but the workspace) and tries to do harm. Prints TAP.
#
#   tests/attack/run.sh [-k PATTERN]        HUTCH_BUILD=<build dir> (default: build/)
#
# HUTCH_ATTACK_OPTS adds `hutch run` options to every attack: to see the suite catch holes,
# weaken the sandbox on purpose (HUTCH_ATTACK_OPTS="--seccomp unconfined --cap-add SYS_ADMIN").
#
# An attack exits 0 when it was stopped, 1 when it did harm (a finding: "not ok"), 77 when it
# does not apply here (a skip). Any other exit is "not ok" too: a broken attack never passes.
# cases/NAME.host, when present, is bash sourced before the attack; it may define
#   pre()       host-side setup (may set extra=(hutch run options), e.g. -e VAR=...)
#   post()      host-side check after the sandbox is gone; non-zero = harm
#   run_case()  replaces the default `hutch run` (for ttys, pipes, timing)
# They see $hutch, $state (--root), $ws (the workspace on the host), $cmd (the attack's path
# inside the sandbox), $bin (the host's copy of every attack) and $tmp.
#   todo="..."  a known, reported finding: failure prints "# TODO ..." instead of failing
# After the attacks, the host is checked for leftovers (processes, mounts, cgroups, state).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${HUTCH_BUILD:-$top/build}
hutch=$build/src/cli/hutch/hutch
pattern=""
[ "${1:-}" = -k ] && pattern=${2:-}

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the attack suite runs as root (idmapped workspace, host-side checks)"
	exit 0
fi
if [ ! -x "$hutch" ]; then
	echo "1..0 # SKIP no hutch binary at $hutch (build first)"
	exit 0
fi
if ! gcc -static -x c -o /dev/null - <<<'int main(void){return 0;}' 2>/dev/null; then
	echo "1..0 # SKIP gcc cannot link static programs (install libc6-dev)"
	exit 0
fi

# Binaries are built in $tmp/bin and hard-linked into each attack's own workspace, where the
# sandbox runs them as /work/.attack/NAME ($cmd). Each attack gets a fresh workspace.
tmp=$(mktemp -d "$build/attack.XXXXXX")
chmod 755 "$tmp"
bin=$tmp/bin state=$tmp/state
mkdir -p "$bin" "$state"
cleanup() {
	[ -n "${poller:-}" ] && kill "$poller" 2>/dev/null
	# A setuid-root probe outside $tmp (cases/setuid-host-binary.host), if interrupted.
	[ -f "$tmp/suiddir" ] && rm -rf "$(cat "$tmp/suiddir")"
	# Nothing in here can be setuid after this: strip the bits before anything else.
	find "$tmp" -perm /6000 -type f -exec chmod ug-s {} + 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# Other sandboxes may run on this machine meanwhile, so the leftover checks at the end look
# only at ours: agents whose mounts name $tmp, and the sandbox ids seen under our --root
# (a poller records them while the suite runs).
(
	while :; do
		ls "$state" 2>/dev/null
		sleep 0.01
	done
) >"$tmp/ids.raw" &
poller=$!

names=()
for src in "$here"/cases/*.c; do
	name=$(basename "$src" .c)
	[ -z "$pattern" ] || [[ "$name" == *$pattern* ]] || continue
	names+=("$name")
done

declare -A built
for name in "${names[@]}"; do
	if gcc -static -O1 -Wall -I"$here/cases" -o "$bin/$name" "$here/cases/$name.c" 2>"$tmp/$name.cc.log"; then
		built[$name]=1
	fi
done

n=0 failed=0
echo "1..$(( ${#names[@]} + 4 ))"

# Prints a TAP line; $1 = status (0 ok, 77 skip, else not ok), $2 = name, $3 = todo text.
report() {
	local rc=$1 name=$2 todo=${3:-}
	n=$((n + 1))
	if [ "$rc" = 0 ]; then
		echo "ok $n - $name"
	elif [ "$rc" = 77 ]; then
		echo "ok $n - $name # SKIP $(grep -m1 '^skip:' "$tmp/out" | cut -c7-)"
	elif [ -n "$todo" ]; then
		echo "not ok $n - $name # TODO $todo"
	else
		echo "not ok $n - $name"
		failed=$((failed + 1))
	fi
}

run_one() { # name
	local name=$1 ws=$tmp/ws/$1 desc rc
	desc=$(grep -m1 -o 'attack: .*' "$here/cases/$name.c" | sed 's/^attack: //; s/ *\*\/$//')
	local cmd=/work/.attack/$name
	mkdir -p "$ws/.attack"
	if [ -z "${built[$name]:-}" ]; then
		sed 's/^/# /' "$tmp/$name.cc.log"
		: >"$tmp/out"
		report 2 "$name: $desc (does not compile)"
		return
	fi
	ln "$bin/$name" "$ws/.attack/$name"
	(
		extra=() todo=""
		pre() { :; }
		post() { return 0; }
		run_case() {
			# shellcheck disable=SC2086
			timeout 120 "$hutch" --root "$state" run --workspace "$ws" ${HUTCH_ATTACK_OPTS:-} \
				"${extra[@]}" -- "$cmd" </dev/null
		}
		# shellcheck disable=SC1090
		[ -f "$here/cases/$name.host" ] && . "$here/cases/$name.host"
		pre
		run_case
		rc=$?
		post
		post_rc=$?
		echo "$todo" >"$tmp/todo"
		# The host check has the last word: harm seen from outside fails a "held" attack.
		if [ "$post_rc" != 0 ] && { [ "$rc" = 0 ] || [ "$rc" = 77 ]; }; then
			rc=1
		fi
		exit "$rc"
	) >"$tmp/out" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/out"
	report "$rc" "$name: $desc" "$(cat "$tmp/todo" 2>/dev/null)"
	rm -f "$tmp/todo"
}

for name in "${names[@]}"; do
	run_one "$name"
done

# Leftovers: everything the sandboxes made must be gone.
kill "$poller" 2>/dev/null
wait "$poller" 2>/dev/null
ids=$(grep -E '^sb-[0-9a-f]+$' "$tmp/ids.raw" | sort -u)
echo "# sandboxes seen under --root: $(echo "$ids" | grep -c .)"
: >"$tmp/out"
sleep 0.5
left=$(pgrep -f "^/work/.attack/" || true)
agents=""
for p in $(pgrep -f 'hutch-agent'); do
	grep -qF "$tmp" "/proc/$p/mountinfo" 2>/dev/null && agents+="$p "
done
[ -n "$left" ] && { ps -o pid,user,args -p $left | sed 's/^/# /'; kill -9 $left 2>/dev/null; }
[ -n "$agents" ] && ps -o pid,user,args -p $agents | sed 's/^/# agent still running: /'
report "$([ -z "$left$agents" ] && echo 0 || echo 1)" "leftovers: no attack process or agent survives its sandbox"

mounts=$(grep -F -e "$tmp" /proc/self/mountinfo || true)
[ -n "$mounts" ] && echo "$mounts" | sed 's/^/# /'
report "$([ -z "$mounts" ] && echo 0 || echo 1)" "leftovers: no mount of the suite's workspaces or state on the host"

stale=""
for id in $ids; do
	for cg in /sys/fs/cgroup/*/hutch/"$id" /sys/fs/cgroup/*/*/hutch/"$id"; do
		[ -d "$cg" ] && stale+="$cg "
	done
done
[ -n "$stale" ] && echo "$stale" | tr ' ' '\n' | sed 's/^/# /'
report "$([ -z "$stale" ] && echo 0 || echo 1)" "leftovers: no cgroup of the suite's sandboxes"

states=$(find "$state" -mindepth 1 -maxdepth 2 ! -name agents 2>/dev/null)
[ -n "$states" ] && echo "$states" | sed 's/^/# /'
report "$([ -z "$states" ] && echo 0 || echo 1)" "leftovers: no state dir or agent socket under --root"

echo "# $failed failed of $n"
[ "$failed" -eq 0 ]
