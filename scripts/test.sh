#!/usr/bin/env bash
# Set up, build, and run every test (unit, golden, CLI) through CTest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
# GPU tests (label "gpu") need a GPU: scripts/gpu-check.sh runs them on a machine that has one.
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" -LE gpu
