#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: configure with the CUDA backend, build with ninja, run the GPU
# tests and the GPU benchmarks, and print a short table — one call checks everything.
#   BUILD_DIR (build-gpu), RESULTS (BUILD_DIR/results), CUDA_ARCHS (90; CI builds 89;90),
#   SHAPES (mistral-7b llama-3-8b qwen2.5-7b llama-2-ko-7b), HF_SHAPES (mistral-7b: also run
#   transformers on these for the ratio), GPU_MEMORY (MB budget for the bench, 0: all),
#   BATCHES (1,16,64), SKIP_TESTS=1, SKIP_BENCH=1,
#   DEPS_DEBS: a folder of Debian .deb files to unpack for libraries the machine lacks (a lent
#   GPU machine may have no package registry); they are unpacked under a temporary prefix, never /.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-gpu}
RESULTS=${RESULTS:-$BUILD_DIR/results}
SHAPES=${SHAPES:-mistral-7b llama-3-8b qwen2.5-7b llama-2-ko-7b}
HF_SHAPES=${HF_SHAPES:-mistral-7b}
if ! pkg-config --exists libpcre2-8 libutf8proc cpp-httplib 2>/dev/null && [ -n "${DEPS_DEBS:-}" ]; then
  prefix=$(mktemp -d)
  for d in "$DEPS_DEBS"/*.deb; do dpkg -x "$d" "$prefix"; done
  lib=$prefix/usr/lib/x86_64-linux-gnu
  export PKG_CONFIG_SYSROOT_DIR=$prefix PKG_CONFIG_PATH=$lib/pkgconfig
  export CMAKE_PREFIX_PATH=$prefix/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}
  export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  echo "==> libraries from $DEPS_DEBS unpacked under $prefix"
fi
echo "==> configure + build ($BUILD_DIR)"
mkdir -p "$BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSUNBAE_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" >"$BUILD_DIR/configure.log" 2>&1 ||
  { cat "$BUILD_DIR/configure.log"; exit 1; }
cmake --build "$BUILD_DIR" 2>&1 | grep -v '^\[' || true
[ -x "$BUILD_DIR/sunbae" ] && [ -x "$BUILD_DIR/tests/sunbae_cuda_tests" ] || { echo "build failed"; cmake --build "$BUILD_DIR" 2>&1 | tail -40; exit 1; }
mkdir -p "$RESULTS"
status=0
if [ -z "${SKIP_TESTS:-}" ]; then
  echo "==> GPU tests"
  "$BUILD_DIR/tests/sunbae_cuda_tests" --gtest_brief=1 --gtest_output="xml:$RESULTS/cuda-tests.xml" || status=1
fi
if [ -z "${SKIP_BENCH:-}" ]; then
  echo "==> GPU benchmarks"
  "$BUILD_DIR/sunbae_gemv_bench" "$RESULTS/gemv.json" > "$RESULTS/gemv.txt" || status=1
  [ -x "$BUILD_DIR/sunbae_attention_bench" ] && { "$BUILD_DIR/sunbae_attention_bench" "$RESULTS/attention.json" > "$RESULTS/attention.txt" || status=1; }
  for shape in $SHAPES; do
    "$BUILD_DIR/sunbae" bench --device cuda --shape "$shape" --prompt 512 --gen 128 --batch "${BATCHES:-1,16,64}" \
      --gpu-memory "${GPU_MEMORY:-0}" --json "$RESULTS/cuda-$shape.json" 2>"$RESULTS/cuda-$shape.log" || status=1
  done
  for shape in $HF_SHAPES; do
    PYTHONUNBUFFERED=1 python3 bench/transformers_bench.py --sunbae "$BUILD_DIR/sunbae" --shape "$shape" --prompt 512 \
      --gen 128 --sunbae-json "$RESULTS/cuda-$shape.json" --json "$RESULTS/hf-$shape.json" 2>"$RESULTS/hf-$shape.log" ||
      { status=1; tail -5 "$RESULTS/hf-$shape.log"; }
  done
fi
echo "==> summary"
python3 - "$RESULTS" <<'PY'
import glob, json, os, sys
res = sys.argv[1]
for f in sorted(glob.glob(os.path.join(res, "*.txt"))):
    print(open(f).read().rstrip())
for f in sorted(glob.glob(os.path.join(res, "cuda-*.json"))):
    j = json.load(open(f))
    print(f"{os.path.basename(f)[5:-5]}: {j['gpu']}, copy {j['copy_gb_per_s']:.0f} GB/s, floor {j['decode_floor_tokens_per_s']:.1f} tok/s")
    for r in j["runs"]:
        if "error" in r:
            print(f"  batch {r['batch']}: {r['error']}")
            continue
        pct = f" ({r['decode_pct_of_floor']:.0f}% of floor)" if "decode_pct_of_floor" in r else ""
        print(f"  batch {r['batch']:>3}: decode {r['decode_tokens_per_s']:8.1f} tok/s{pct}  TTFT(512) {r['ttft_ms']:6.1f} ms  "
              f"weights {r['weights_mb']:.0f} MB  KV {r['kv_cache_mb']:.0f} MB  VRAM {r['device_vram_used_mb']:.0f} MB (ctx {r['context_tokens']})")
for f in sorted(glob.glob(os.path.join(res, "hf-*.json"))):
    j = json.load(open(f))
    print(f"{j['shape']}: {j['engine']}: decode {j['decode_tokens_per_s']:.1f} tok/s, TTFT {j['ttft_ms']:.1f} ms; "
          f"sunbae/transformers decode {j.get('decode_ratio', 0):.1f}x, TTFT {j.get('ttft_ratio', 0):.1f}x")
PY
exit $status
