#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Starts or stops a private containerd: its own config, root, state dir and sockets under DIR,
# nothing shared with a system containerd. Plugins the tests do not need (CRI, the other
# snapshotters, tracing, /opt) are disabled so it starts in well under a second.
#
#   containerd.sh start DIR   writes DIR/config.toml, starts containerd (log in DIR/containerd.log,
#                             pid in DIR/containerd.pid), waits for DIR/containerd.sock to answer
#   containerd.sh stop DIR    kills every shim of this containerd, then containerd itself
# Exits non-zero with one line on stderr saying why when containerd does not come up.
set -euo pipefail
cmd=$1
dir=$(realpath -m "$2")
sock=$dir/containerd.sock

start() {
	command -v containerd >/dev/null || { echo "containerd not installed" >&2; exit 1; }
	command -v ctr >/dev/null || { echo "ctr not installed" >&2; exit 1; }
	# Shim sockets are named after this address and must fit in sun_path (108 bytes).
	[ ${#sock} -lt 90 ] || { echo "containerd socket path too long: $sock" >&2; exit 1; }
	mkdir -p "$dir/root" "$dir/state"
	chmod 0711 "$dir"
	cat >"$dir/config.toml" <<-TOML
	version = 2
	root = "$dir/root"
	state = "$dir/state"
	oom_score = 0
	disabled_plugins = [
		"io.containerd.grpc.v1.cri",
		"io.containerd.internal.v1.opt",
		"io.containerd.internal.v1.tracing",
		"io.containerd.tracing.processor.v1.otlp",
		"io.containerd.snapshotter.v1.aufs",
		"io.containerd.snapshotter.v1.btrfs",
		"io.containerd.snapshotter.v1.devmapper",
		"io.containerd.snapshotter.v1.zfs",
	]
	[grpc]
	  address = "$sock"
	[ttrpc]
	  address = "$sock.ttrpc"
	[debug]
	  level = "info"
	[metrics]
	  address = ""
	TOML
	containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
	echo $! >"$dir/containerd.pid"
	for _ in $(seq 100); do
		if [ -S "$sock" ] && timeout 5 ctr --address "$sock" version >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null; then
			echo "containerd exited at start: $(grep -iE 'level=(fatal|error)' "$dir/containerd.log" | tail -1)" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "containerd did not answer on $sock within 10s" >&2
	stop
	exit 1
}

# The shims outlive containerd by design, so they are found by the address they were given.
shim_pids() {
	pgrep -f -- "containerd-shim.* -address $sock( |\$)" || true
}

# A shim killed here (a test left a task behind) cannot remove its socket in /run/containerd/s.
shim_sockets() { # pid
	ss -xlpn 2>/dev/null | awk -v p="pid=$1," 'index($0, p) && $5 ~ /^\// {print $5}'
}

stop() {
	local pid p socks
	for p in $(shim_pids); do
		socks=$(shim_sockets "$p")
		kill -9 "$p" 2>/dev/null || true
		# shellcheck disable=SC2086
		[ -z "$socks" ] || rm -f $socks
	done
	if [ -f "$dir/containerd.pid" ]; then
		pid=$(cat "$dir/containerd.pid")
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$dir/containerd.pid"
	fi
}

case "$cmd" in
start) start ;;
stop) stop ;;
shims) shim_pids ;;
*) echo "usage: $0 start|stop|shims DIR" >&2; exit 2 ;;
esac
