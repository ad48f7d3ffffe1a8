#!/bin/sh
# The files move through the worker, not this script: it fetches them into the workspace before the
# script starts and stores them after it ended (see packages/engine/src/artifacts/). All that runs here
# is the optional `run` script, for a step that is not part of a job and so has no steps beside it.
[ -n "${INPUT_RUN:-}" ] || exit 0
if command -v bash >/dev/null 2>&1; then exec bash --noprofile --norc -eo pipefail -c "$INPUT_RUN"; fi
exec sh -e -c "$INPUT_RUN"
