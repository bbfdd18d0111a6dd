#!/usr/bin/env bash
# Set up, build, and run Sunbae's main job on the built-in default: greedy generation on the
# committed tiny Llama checkpoint (random weights, so the ids are not text; the embedded real
# model replaces it once GGUF support lands).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
MODEL=tests/fixtures/llama
echo "==> sunbae info --model $MODEL"
"$BUILD_DIR/sunbae" info --model "$MODEL"
echo "==> sunbae generate --model $MODEL --ids 1,15,42,7 --max-tokens 16 --ignore-eos"
"$BUILD_DIR/sunbae" generate --model "$MODEL" --ids 1,15,42,7 --max-tokens 16 --ignore-eos
