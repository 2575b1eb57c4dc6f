#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds a busybox test image without the network, in two forms, into OUTDIR:
#   OUTDIR/rootfs.tar  the root filesystem as one tar (for `docker import`)
#   OUTDIR/oci.tar     an OCI image layout (oci-layout, index.json, blobs/sha256/...) holding that
#                      tar as its only layer, named REF (for `ctr images import`)
# The rootfs is /bin/busybox (busybox-static) with its applets as symlinks. The tars are
# reproducible (sorted, mtime 0, uid/gid 0), so the same inputs give the same digests.
#
#   make-image.sh OUTDIR [REF]     (REF defaults to docker.io/library/busybox:hutch-test)
set -euo pipefail
out=$1
ref=${2:-docker.io/library/busybox:hutch-test}
[ -s "$out/oci.tar" ] && [ -s "$out/rootfs.tar" ] && exit 0

bb=/bin/busybox
file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
	{ echo "make-image: $bb is not a static busybox (install busybox-static)" >&2; exit 1; }

work=$(mktemp -d "${out%/}.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
r=$work/rootfs
mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/sbin,var,run}
cp "$bb" "$r/bin/busybox"
# Inside the rootfs, so the applet links point at /bin/busybox and not at this build dir.
chroot "$r" /bin/busybox --install -s /bin
echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
chmod 1777 "$r/tmp"

tarit() { # dir, output
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf "$2" .
}
mkdir -p "$work/oci/blobs/sha256"
tarit "$r" "$work/rootfs.tar"

# put FILE: stores FILE as a blob, prints "digest size".
put() {
	local d s
	d=$(sha256sum "$1" | cut -d' ' -f1)
	s=$(stat -c %s "$1")
	cp "$1" "$work/oci/blobs/sha256/$d"
	echo "sha256:$d $s"
}
read -r ldig lsize < <(put "$work/rootfs.tar")

jq -n --arg diff "$ldig" '{
	architecture: "amd64", os: "linux",
	config: {
		Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		Cmd: ["sh"], WorkingDir: "/"
	},
	rootfs: {type: "layers", diff_ids: [$diff]},
	history: [{created_by: "hutch tests/integration/helpers/make-image.sh"}]
}' >"$work/config.json"
read -r cdig csize < <(put "$work/config.json")

jq -n --arg cd "$cdig" --argjson cs "$csize" --arg ld "$ldig" --argjson ls "$lsize" '{
	schemaVersion: 2,
	mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
	layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]
}' >"$work/manifest.json"
read -r mdig msize < <(put "$work/manifest.json")

jq -n --arg md "$mdig" --argjson ms "$msize" --arg ref "$ref" '{
	schemaVersion: 2,
	manifests: [{
		mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $md, size: $ms,
		platform: {architecture: "amd64", os: "linux"},
		annotations: {
			"io.containerd.image.name": $ref,
			"org.opencontainers.image.ref.name": ($ref | sub(".*:"; ""))
		}
	}]
}' >"$work/oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
tarit "$work/oci" "$work/oci.tar"

mkdir -p "$out"
mv "$work/rootfs.tar" "$out/rootfs.tar"
mv "$work/oci.tar" "$out/oci.tar"
