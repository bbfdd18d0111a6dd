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
ctest --test-dir "$BUILD_DIR" -L gpu --output-on-failure
echo "==> GPU benchmarks"
"$BUILD_DIR/sunbae_gemv_bench" "$RESULTS/gemv.json"
