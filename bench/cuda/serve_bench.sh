#!/usr/bin/env bash
# The serving table on a GPU: `sunbae serve --device cuda` on random weights at a model's shape,
# driven by `sunbae bench serve` at several concurrencies (prompts INPUT_LEN tokens, outputs
# OUTPUT_LEN, end-of-sequence ignored), one JSON per concurrency and a summary table.
#   BUILD_DIR (build-gpu), RESULTS (BUILD_DIR/results), SHAPE (mistral-7b), CONCURRENCY ("1 16 64 256"),
#   INPUT_LEN (512), OUTPUT_LEN (256), MAX_NUM_SEQS (256), MAX_BATCH_TOKENS (8192), GPU_MEMORY (0: 90% free),
#   MAX_MODEL_LEN (4096), ROUNDS (requests per concurrency = max(8, ROUNDS * concurrency); 3), EXTRA_SERVE_ARGS
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build-gpu}
RESULTS=${RESULTS:-$BUILD_DIR/results}
SHAPE=${SHAPE:-mistral-7b}
ROUNDS=${ROUNDS:-3}
mkdir -p "$RESULTS"
port=$((20000 + RANDOM % 20000))
"$BUILD_DIR/sunbae" serve --device cuda --shape "$SHAPE" --port "$port" --max-num-seqs "${MAX_NUM_SEQS:-256}" \
  --max-batch-tokens "${MAX_BATCH_TOKENS:-8192}" --gpu-memory "${GPU_MEMORY:-0}" --max-model-len "${MAX_MODEL_LEN:-4096}" ${EXTRA_SERVE_ARGS:-} \
  >"$RESULTS/serve-$SHAPE.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  kill -0 $server 2>/dev/null || { echo "server exited:"; tail -20 "$RESULTS/serve-$SHAPE.log"; exit 1; }
  sleep 0.5
done
vocab=$("$BUILD_DIR/sunbae" bench --print-config --shape "$SHAPE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["vocab_size"])')
status=0
for c in ${CONCURRENCY:-1 16 64 256}; do
  n=$((ROUNDS * c)); [ $n -lt 8 ] && n=8
  "$BUILD_DIR/sunbae" bench serve --url "http://127.0.0.1:$port" --concurrency "$c" --num-prompts "$n" \
    --input-len "${INPUT_LEN:-512}" --output-len "${OUTPUT_LEN:-256}" --range-ratio 0 --vocab "$vocab" \
    --json "$RESULTS/serve-$SHAPE-c$c.json" >"$RESULTS/serve-$SHAPE-c$c.txt" 2>&1 || { status=1; tail -5 "$RESULTS/serve-$SHAPE-c$c.txt"; }
done
kill -TERM $server; wait $server || true
tail -3 "$RESULTS/serve-$SHAPE.log"
python3 - "$RESULTS" "$SHAPE" <<'PY'
import glob, json, os, sys
res, shape = sys.argv[1], sys.argv[2]
rows = []
for f in glob.glob(os.path.join(res, f"serve-{shape}-c*.json")):
    rows.append(json.load(open(f)))
rows.sort(key=lambda j: j.get("concurrency", 0))
print(f"{shape}: conc  req/s  out tok/s  TTFT mean/p95 ms  TPOT mean ms  ITL p95 ms  e2e mean s")
for j in rows:
    print(f"  {j.get('concurrency')!s:>4}  {j.get('request_throughput', 0):5.2f}  {j.get('output_throughput', 0):9.0f}  "
          f"{j.get('mean_ttft_ms', 0):7.0f}/{j.get('p95_ttft_ms', 0):<7.0f}  {j.get('mean_tpot_ms', 0):11.2f}  "
          f"{j.get('p95_itl_ms', 0):10.2f}  {j.get('mean_e2el_ms', 0) / 1000:9.2f}")
PY
exit $status
