#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: configure with the CUDA backend, build with ninja, run the GPU
# tests and the GPU benchmarks, and print a short table — one call checks everything.
#   BUILD_DIR (build-gpu), RESULTS (BUILD_DIR/results), CUDA_ARCHS (90; CI builds 89;90),
#   DEPS_DEBS: a folder of Debian .deb files to unpack for libraries the machine lacks (a lent
#   GPU machine may have no package registry); they are unpacked under a temporary prefix, never /.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-gpu}
RESULTS=${RESULTS:-$BUILD_DIR/results}
if ! pkg-config --exists libpcre2-8 libutf8proc 2>/dev/null && [ -n "${DEPS_DEBS:-}" ]; then
  prefix=$(mktemp -d)
  for d in "$DEPS_DEBS"/*.deb; do dpkg -x "$d" "$prefix"; done
  lib=$prefix/usr/lib/x86_64-linux-gnu
  export PKG_CONFIG_SYSROOT_DIR=$prefix PKG_CONFIG_PATH=$lib/pkgconfig
  export CMAKE_PREFIX_PATH=$prefix/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}
  export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  echo "==> libraries from $DEPS_DEBS unpacked under $prefix"
fi
echo "==> configure + build ($BUILD_DIR)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSUNBAE_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" >"$BUILD_DIR.configure.log" 2>&1 ||
  { cat "$BUILD_DIR.configure.log"; exit 1; }
cmake --build "$BUILD_DIR"
mkdir -p "$RESULTS"
echo "==> GPU tests"
status=0
ctest --test-dir "$BUILD_DIR" -L gpu --output-on-failure || status=1
echo "==> GPU benchmarks"
"$BUILD_DIR/sunbae_gemv_bench" "$RESULTS/gemv.json"
"$BUILD_DIR/tests/sunbae_cuda_tests" --gtest_brief=1 --gtest_output="xml:$RESULTS/cuda-tests.xml" >/dev/null
for shape in ${SHAPES:-mistral-7b}; do
  "$BUILD_DIR/sunbae" bench --device cuda --shape "$shape" --prompt 512 --gen 128 \
    --json "$RESULTS/cuda-$shape.json" 2>/dev/null >/dev/null
done
echo "==> summary"
python3 - "$RESULTS" <<'PY'
import glob, json, os, re, sys
res = sys.argv[1]
g = json.load(open(os.path.join(res, "gemv.json")))
print(f"{g['device']}: copy bandwidth {g['copy_gb_per_s']:.0f} GB/s")
for f in sorted(glob.glob(os.path.join(res, "cuda-*.json"))):
    j = json.load(open(f))
    print(f"{os.path.basename(f)[5:-5]:<14} decode b1 {j['decode_tokens_per_s']:7.1f} tok/s  "
          f"TTFT(512) {j['ttft_ms']:6.1f} ms  weights {j['weights_mb']:.0f} MB  VRAM {j['vram_used_mb']:.0f} MB")
x = open(os.path.join(res, "cuda-tests.xml")).read()
for name, val in re.findall(r'name="(\w+)/\d*"[^>]*?(?:prefill_rel_err="([^"]*)")', x):
    print(name, val)
PY
exit $status
