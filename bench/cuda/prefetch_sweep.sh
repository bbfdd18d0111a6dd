#!/usr/bin/env bash
# Batch-1 decode tokens/s of a shape under several L2-prefetch budgets of the decode GEMVs
# (SUNBAE_L2_PREFETCH_MB for every GEMV, SUNBAE_L2_PREFETCH_O_MB for o_proj after attention).
#   BUILD_DIR (build-gpu), RESULTS (BUILD_DIR/results), SHAPE (mistral-7b), PAIRS ("0:0 8:8 ..."), GEN (128)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build-gpu}
RESULTS=${RESULTS:-$BUILD_DIR/results}
SHAPE=${SHAPE:-mistral-7b}
mkdir -p "$RESULTS"
for pair in ${PAIRS:-0:0 4:4 8:8 16:16 8:24 16:32 0:0}; do
  p=${pair%%:*} po=${pair##*:}
  SUNBAE_L2_PREFETCH_MB=$p SUNBAE_L2_PREFETCH_O_MB=$po "$BUILD_DIR/sunbae" bench --device cuda --shape "$SHAPE" \
    --prompt 512 --gen "${GEN:-128}" --batch 1 --json "$RESULTS/prefetch-$p-$po.json" >/dev/null 2>&1 || echo "run $pair failed"
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); r=j['runs'][0]; print(f'prefetch {sys.argv[2]:>3} MB, o {sys.argv[3]:>3} MB: {r[\"decode_tokens_per_s\"]:7.1f} tok/s ({r.get(\"decode_pct_of_floor\",0):.1f}% of floor)')" \
    "$RESULTS/prefetch-$p-$po.json" "$p" "$po" || true
done
