#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Starts or stops a private dockerd under DIR, on top of a private containerd (helpers/containerd.sh
# in DIR/containerd): its own data root, exec root, pidfile and socket, no networking (no bridge,
# no iptables), cgroupfs driver with the containers under the cgroup parent CGPARENT, and an extra
# runtime named "hutch" that is RUNTIME. Docker's default runtime stays runc, for comparisons.
#
#   dockerd.sh start DIR RUNTIME [CGPARENT]   socket DIR/docker.sock, log DIR/dockerd.log
#   dockerd.sh stop DIR                       stops dockerd, then its containerd and shims
# Exits non-zero with one line on stderr saying why when dockerd does not come up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=$1
dir=$(realpath -m "$2")
sock=$dir/docker.sock
DOCKER=${DOCKER:-/usr/bin/docker}
# dockerd finds its default runtime, runc, and its helpers by PATH.
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

start() {
	local runtime=$1 cgparent=${2:-/hutch-docker}
	command -v dockerd >/dev/null || { echo "dockerd not installed (docker.io)" >&2; exit 1; }
	[ -x "$DOCKER" ] || { echo "docker client $DOCKER not installed" >&2; exit 1; }
	mkdir -p "$dir/data" "$dir/exec"
	"$here/containerd.sh" start "$dir/containerd"
	# An explicit empty config file, so /etc/docker/daemon.json of the host does not apply.
	echo '{}' >"$dir/daemon.json"
	dockerd --config-file "$dir/daemon.json" \
		--data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
		-H "unix://$sock" --containerd "$dir/containerd/containerd.sock" \
		--iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
		--userland-proxy=false --storage-driver overlay2 \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$cgparent" \
		--add-runtime "hutch=$runtime" --log-level warn \
		>"$dir/dockerd.log" 2>&1 &
	echo $! >"$dir/dockerd.pid.launch"
	for _ in $(seq 300); do
		if [ -S "$sock" ] && timeout 5 "$DOCKER" -H "unix://$sock" version >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$(cat "$dir/dockerd.pid.launch")" 2>/dev/null; then
			echo "dockerd exited at start: $(grep -iE 'level=(fatal|error)|failed' "$dir/dockerd.log" | tail -1)" >&2
			stop
			exit 1
		fi
		sleep 0.1
	done
	echo "dockerd did not answer on $sock within 30s" >&2
	stop
	exit 1
}

stop() {
	local pid
	if [ -f "$dir/dockerd.pid.launch" ]; then
		pid=$(cat "$dir/dockerd.pid.launch")
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 150); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$dir/dockerd.pid.launch"
	fi
	"$here/containerd.sh" stop "$dir/containerd"
}

case "$cmd" in
start) start "${3:?runtime}" "${4:-/hutch-docker}" ;;
stop) stop ;;
*) echo "usage: $0 start DIR RUNTIME [CGPARENT] | stop DIR" >&2; exit 2 ;;
esac
