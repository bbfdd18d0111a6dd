#!/usr/bin/env bash
# Runs an e2e test file with the venv's python; a missing venv is a failure with the fix named.
set -euo pipefail
py=$1
shift
if [ ! -x "$py" ]; then
  echo "missing $py: run scripts/setup.sh (it makes the venv with the openai client)" >&2
  exit 1
fi
exec "$py" "$@"
