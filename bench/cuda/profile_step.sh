#!/usr/bin/env bash
# Per-kernel device time of decode steps under Nsight Compute (one duration metric, clocks and
# caches left as they are): where a step's time goes, kernel by kernel.
#   profile_step.sh BUILD_DIR OUT_DIR [SHAPE] [BATCH] [LAYERS]
# Runs `sunbae bench --device cuda` on LAYERS layers of SHAPE (prompt 16, 4 generated) and
# prints the last decode step's kernels (one layer's worth in order, then totals by kernel).
set -euo pipefail
B=$1 OUT=$2 SHAPE=${3:-mistral-7b} BATCH=${4:-1} LAYERS=${5:-4}
NCU=${NCU:-$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1 || ls /usr/local/cuda/bin/ncu)}
mkdir -p "$OUT"
csv=$OUT/ncu-$SHAPE-b$BATCH.csv
"$NCU" --clock-control none --cache-control none --metrics gpu__time_duration.sum --csv \
  "$B/sunbae" bench --device cuda --shape "$SHAPE" --layers "$LAYERS" --prompt 16 --gen 4 --batch "$BATCH" \
  --context 512 >"$csv" 2>"$OUT/ncu-$SHAPE-b$BATCH.log" || { tail -20 "$OUT/ncu-$SHAPE-b$BATCH.log"; exit 1; }
python3 - "$csv" "$LAYERS" "$SHAPE" "$BATCH" <<'PY'
import csv, re, sys, collections
path, layers, shape, batch = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = [r for r in csv.reader(l for l in open(path) if l.startswith('"'))]
hdr, rows = rows[0], rows[1:]
ki, vi, ui = hdr.index("Kernel Name"), hdr.index("Metric Value"), hdr.index("Metric Unit")
def short(n):
    # "<unnamed>::fma_kernel<1, true, ...>(args)" -> "fma_kernel<1, true, ...>"
    n = n.split("(", 1)[0] if not n.startswith("(") else n
    head, sep, tmpl = n.partition("<") if not n.startswith("<") else ("", "", n)
    if n.startswith("<unnamed>"):
        head, sep, tmpl = n[len("<unnamed>"):].partition("<")
    return (head.rsplit("::", 1)[-1] + sep + tmpl)[:60]
def us(v, u):
    v = float(v.replace(",", ""))
    return {"ns": 1e-3, "nsecond": 1e-3, "us": 1.0, "usecond": 1.0, "ms": 1e3, "msecond": 1e3}[u] * v
seq = [(short(r[ki]), us(r[vi], r[ui])) for r in rows]
# The last decode step: from the last embedding kernel to the end.
start = max(i for i, (n, _) in enumerate(seq) if n.startswith("embedding"))
step = seq[start:]
print(f"== {shape} batch {batch}: last decode step, {len(step)} kernels, {sum(t for _, t in step):.1f} us over {layers} layers")
per_layer = (len(step) - 1) // max(layers, 1)
for n, t in step[1:1 + per_layer + 2]:
    print(f"  {t:8.2f} us  {n}")
tot = collections.OrderedDict()
for n, t in step:
    c, s = tot.get(n, (0, 0.0)); tot[n] = (c + 1, s + t)
print("  -- totals by kernel --")
for n, (c, s) in sorted(tot.items(), key=lambda kv: -kv[1][1]):
    print(f"  {s:9.1f} us  x{c:<4} {n}")
PY
