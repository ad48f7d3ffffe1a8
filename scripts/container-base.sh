#!/usr/bin/env bash
# Makes the base image the Dockerfile builds FROM when no container registry can be reached: a stand-in
# for the official node:24-bookworm-slim, made from Debian's packages (debootstrap) and this machine's
# own Node.js. Where a registry is reachable, skip this and build with the default NODE_IMAGE.
#
#   scripts/container-base.sh [IMAGE]   # default localhost/gantry-node:24-bookworm-slim; prints IMAGE last
#
# Idempotent: nothing is done when IMAGE exists (GANTRY_REBUILD_BASE=1 makes it again). Needs root
# (debootstrap) and Podman (scripts/podman-setup.sh). Takes about 2 minutes here, most of it debootstrap.
#
# The stand-in has the official image's layout: node, npm and npx in /usr/local/bin, the headers in
# /usr/local/include/node, Debian bookworm "minbase" (bash, apt, coreutils) with ca-certificates.
set -euo pipefail

IMAGE="${1:-localhost/gantry-node:24-bookworm-slim}"
MIRROR="${GANTRY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="${GANTRY_DEBIAN_SUITE:-bookworm}"

if [ "${GANTRY_REBUILD_BASE:-0}" != 1 ] && podman image exists "$IMAGE"; then
  echo "$IMAGE"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "container-base: debootstrap needs root" >&2
  exit 1
fi
command -v debootstrap >/dev/null || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq debootstrap >/dev/null
}

node_bin="$(command -v node)"
node_version="$("$node_bin" -p 'process.versions.node')"
node_major="${node_version%%.*}"
if [ "$node_major" != 22 ] && [ "$node_major" != 24 ]; then
  echo "container-base: this machine's Node.js is $node_version; Gantry runs on 22 or 24" >&2
  exit 1
fi
# npm's folder beside the node binary's (Debian/NodeSource: /usr/lib, official tarball: /usr/local/lib).
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
npm_dir="$(cd "$npm_dir" && pwd)"
headers="$(dirname "$(dirname "$(readlink -f "$node_bin")")")/include/node"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

echo "container-base: debootstrap $SUITE (minbase) from $MIRROR" >&2
# The chroot has none of the host's TMPDIR: its maintainer scripts must not be handed it.
env -u TMPDIR debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}

# Node.js as the official image lays it out. NodeSource's build links only glibc, libstdc++ and libgcc,
# which minbase has (apt itself needs them).
install -D -m 0755 "$(readlink -f "$node_bin")" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
if [ -d "$headers" ]; then
  cp -a "$headers" "$root/usr/local/include/node"
fi

# Certificate authorities this machine trusts beyond Debian's (a TLS-inspecting proxy in front of the
# registries), so npm and apt inside the build reach what the host reaches. Certificates, no keys.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  env -u TMPDIR chroot "$root" update-ca-certificates >/dev/null
fi

# As the official slim image: no package lists or downloaded packages kept (RUN apt-get update first).
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log

tar -C "$root" -cf "$work/rootfs.tar" .
# NODE_EXTRA_CA_CERTS: Node.js trusts only its own CA list unless told, unlike apt and git.
# npm_config_nodedir: native modules (better-sqlite3) compile against the headers in the image, since
# node-gyp could not download them here; the official image downloads them and needs no such setting.
podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'ENV npm_config_nodedir=/usr/local' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$IMAGE" >/dev/null
echo "container-base: made $IMAGE (Debian $SUITE, Node.js $node_version)" >&2
echo "$IMAGE"
