#!/usr/bin/env bash
# Builds Gantry's container image with Podman from the Dockerfile, here where no registry is reachable:
# the base image comes from scripts/container-base.sh unless NODE_IMAGE names one that exists.
#
#   scripts/container-build.sh [TAG]     # default localhost/gantry:dev; prints TAG on its last line
#
# Environment: NODE_IMAGE (base image; default the local stand-in for node:24-bookworm-slim).
# `--format docker` keeps the HEALTHCHECK, which the OCI image format has no field for.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG="${1:-localhost/gantry:dev}"
if [ -z "${NODE_IMAGE:-}" ]; then
  NODE_IMAGE="$(bash scripts/container-base.sh | tail -1)"
fi

start=$(date +%s)
podman build --format docker --network host --build-arg "NODE_IMAGE=$NODE_IMAGE" -t "$TAG" . >&2
echo "container-build: built $TAG from $NODE_IMAGE in $(($(date +%s) - start)) s" >&2
echo "$TAG"
