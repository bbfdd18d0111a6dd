#!/usr/bin/env bash
# CPU benchmark over the seed's Llama-family shapes with synthetic bf16 weights.
# Usage: bench/cpu_shapes.sh [OUT_DIR] [SHAPE ...]   (env: PROMPT, GEN, LAYERS)
# Prints one table row per shape and writes OUT_DIR/cpu-<shape>.json plus OUT_DIR/cpu-summary.md.
# A full 7-8B shape needs about 16 GB of RAM; LAYERS=4 times a slice of the model instead.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/results}; shift || true
SHAPES=("$@"); [ ${#SHAPES[@]} -gt 0 ] || SHAPES=(mistral-7b qwen2.5-7b llama-3-8b llama-2-ko-7b)
mkdir -p "$OUT"
B=${SUNBAE:-build/sunbae}
extra=(); [ -n "${LAYERS:-}" ] && extra=(--layers "$LAYERS")
summary="$OUT/cpu-summary.md"
{
  echo "| shape | layers | weights MB | prefill tok/s | TTFT ms | decode tok/s | % of read-bandwidth floor | peak RSS MB |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$summary"
for s in "${SHAPES[@]}"; do
  echo "==> $s" >&2
  "$B" bench --shape "$s" --prompt "${PROMPT:-128}" --gen "${GEN:-16}" "${extra[@]}" --json "$OUT/cpu-$s.json" >/dev/null
  python3 - "$OUT/cpu-$s.json" "$s" >> "$summary" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {j['layers']} | {j['weights_mb']:.0f} | {j['prefill_tokens_per_s']:.1f} | "
      f"{j['ttft_ms']:.0f} | {j['decode_tokens_per_s']:.2f} | {j['decode_pct_of_floor']:.0f}% | {j['peak_rss_mb']:.0f} |")
PY
done
cat "$summary"
