/**
 * `uses: gantry/checkout`: clones a repository at a commit into the step's working folder, shallow by
 * default, then optionally runs a script there. Steps do not share a folder (each gets a fresh one), so
 * a step that builds or tests checks out first, as each CircleCI job does.
 *
 * A workflow from a git source gets `repository`, `ref` (`github.sha`, else the source's commit) and the
 * source's credentials filled in when it is loaded (see checkoutDefaults); elsewhere `repository` must
 * be given.
 */
const ACTION_YAML = `name: checkout
description: Clone a git repository at a commit into the step's working folder (shallow by default), then run a script there
inputs:
  repository:
    type: string
    default: ""
    description: URL or path of the repository; from a git source, the source's URL
  ref:
    type: string
    default: ""
    description: Commit, branch or tag; from a git source, github.sha or else the source's commit; empty means the remote's HEAD
  token:
    type: secret
    description: HTTPS token, sent as basic auth (never on a command line)
  username:
    type: string
    default: x-access-token
    description: The user name sent with the token
  ssh_key:
    type: secret
    description: SSH private key for ssh:// and user@host:path URLs
  depth:
    type: integer
    default: 1
    minimum: 0
    description: Commits of history to fetch; 0 fetches all of it
  path:
    type: string
    default: .
    description: Folder (inside the working folder) to check out into
  run:
    type: string
    default: ""
    description: A bash script to run in the checkout afterwards (set -euo pipefail)
outputs:
  commit: {description: The commit that was checked out}
  path: {description: The absolute path of the checkout}
runs: {using: bash, script: checkout.sh}
`;

const CHECKOUT_SH = `#!/usr/bin/env bash
set -euo pipefail

repository="\${INPUT_REPOSITORY:-}"
ref="\${INPUT_REF:-}"
depth="\${INPUT_DEPTH:-1}"
dest="\${INPUT_PATH:-.}"
if [ -z "$repository" ]; then
  echo "gantry/checkout: no repository: this workflow is not from a git source, so give with.repository" >&2
  exit 2
fi
# What is printed never shows a password written into the URL.
shown="$(printf '%s' "$repository" | sed -E 's#//[^/@]*@#//***@#')"

cleanup() { if [ -n "\${key_dir:-}" ]; then rm -rf "$key_dir"; fi; }
trap cleanup EXIT
# Credentials travel in the environment of git only: GIT_CONFIG_* (git >= 2.31), never argv (ps).
if [ -n "\${INPUT_TOKEN:-}" ]; then
  basic="$(printf '%s:%s' "\${INPUT_USERNAME:-x-access-token}" "$INPUT_TOKEN" | base64 | tr -d '\\n')"
  echo "::add-mask::$basic"
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="Authorization: Basic $basic"
fi
if [ -n "\${INPUT_SSH_KEY:-}" ]; then
  key_dir="$(mktemp -d)"
  printf '%s\\n' "$INPUT_SSH_KEY" > "$key_dir/key"
  chmod 600 "$key_dir/key"
  export GIT_SSH_COMMAND="ssh -i '$key_dir/key' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new"
fi
export GIT_TERMINAL_PROMPT=0

mkdir -p "$dest"
cd "$dest"
git init --quiet .
git config advice.detachedHead false
depth_args=()
if [ "$depth" != "0" ]; then depth_args=(--depth="$depth"); fi
target="\${ref:-HEAD}"
if ! git fetch --quiet --no-tags "\${depth_args[@]}" "$repository" "$target" 2>/dev/null; then
  # A server that refuses to hand out a commit by id (no protocol v2): fetch its branches and tags.
  echo "gantry/checkout: fetching '$target' directly failed; fetching all branches and tags of $shown"
  git fetch --quiet --tags "$repository" '+refs/heads/*:refs/remotes/origin/*'
  git checkout --quiet --detach "$target"
else
  git checkout --quiet --detach FETCH_HEAD
fi
commit="$(git rev-parse HEAD)"
echo "checked out $shown at $commit\${ref:+ ($ref)}"
{
  echo "commit=$commit"
  echo "path=$(pwd)"
} >> "$GANTRY_OUTPUT"

if [ -n "\${INPUT_RUN:-}" ]; then
  unset GIT_CONFIG_COUNT GIT_CONFIG_KEY_0 GIT_CONFIG_VALUE_0 GIT_SSH_COMMAND INPUT_TOKEN INPUT_SSH_KEY
  bash -euo pipefail -c "$INPUT_RUN"
fi
`;

export const CHECKOUT_ACTION: Record<string, { text: string; mode: number }> = {
  "action.yaml": { text: ACTION_YAML, mode: 0o644 },
  "checkout.sh": { text: CHECKOUT_SH, mode: 0o755 },
};
