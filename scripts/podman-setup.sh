#!/usr/bin/env bash
# Sets up a Docker-API engine for the docker runner's tests: Podman serving the Docker Engine API on a
# unix socket, and base images built from files on this machine (no registry is reachable here).
# Idempotent: each part is skipped when it is already in place, so tests and CI can run it every time.
#
#   scripts/podman-setup.sh            # prints the DOCKER_HOST to use on its last line
#
# Images it makes:
#   localhost/busybox:latest           busybox (sh, no bash) from busybox-static
#   localhost/gantry-docker:latest     the same plus the static `docker` CLI, for Docker-in-Docker steps
set -euo pipefail

SOCKET="${GANTRY_PODMAN_SOCKET:-/tmp/podman.sock}"
LOG="${GANTRY_PODMAN_LOG:-/tmp/podman-service.log}"
CONF=/etc/containers/containers.conf

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "podman-setup: $1 needs root (run this script as root, or set it up by hand: see ENVIRONMENT.md)" >&2
    exit 1
  fi
}

# 1. Packages.
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
[ -x /bin/busybox ] || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  need_root "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Podman's defaults fail in a sandbox without systemd or the right to raise RLIMIT_NPROC:
# crun and the systemd cgroup manager cannot start containers there; runc with cgroupfs can.
WANT_CONF='[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
if [ "$(cat "$CONF" 2>/dev/null)" != "$WANT_CONF" ]; then
  need_root "writing $CONF"
  mkdir -p "$(dirname "$CONF")"
  printf '%s\n' "$WANT_CONF" >"$CONF"
fi

# 3. The Docker Engine API on a unix socket.
ping() { curl -sf --max-time 2 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }
if ! ping; then
  rm -f "$SOCKET"
  # setsid: the service outlives this script and the test process that ran it.
  setsid nohup podman system service --time=0 "unix://$SOCKET" >>"$LOG" 2>&1 </dev/null &
  for _ in $(seq 1 100); do
    ping && break
    sleep 0.1
  done
  ping || {
    echo "podman-setup: the API did not answer on $SOCKET; see $LOG" >&2
    exit 1
  }
fi

# 4. Base images from local files.
make_image() {
  local name="$1" with_docker="$2"
  podman image exists "$name" && return 0
  local dir
  dir="$(mktemp -d)"
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/tmp" "$dir/rootfs/etc" "$dir/rootfs/root"
  cp /bin/busybox "$dir/rootfs/bin/busybox"
  for tool in $(/bin/busybox --list); do
    [ "$tool" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$tool"
  done
  chmod 1777 "$dir/rootfs/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$dir/rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/rootfs/etc/group"
  if [ "$with_docker" = yes ]; then
    cp "$(command -v docker)" "$dir/rootfs/bin/docker"
  fi
  tar -C "$dir/rootfs" -cf "$dir/image.tar" .
  podman import --quiet --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' "$dir/image.tar" "$name" >/dev/null
  rm -rf "$dir"
}
make_image localhost/busybox:latest no
if command -v docker >/dev/null; then
  make_image localhost/gantry-docker:latest yes
else
  echo "podman-setup: no docker CLI on PATH: localhost/gantry-docker (Docker-in-Docker tests) not built" >&2
fi

echo "DOCKER_HOST=unix://$SOCKET"
