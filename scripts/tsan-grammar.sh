#!/usr/bin/env bash
# ThreadSanitizer over the mask workers, the shared mask cache and the engine's use of them:
# those sources and their tests built with -fsanitize=thread, the rest of the library taken
# uninstrumented from a normal build (build/libsunbae_core.a, which must exist), so the check costs
# ten compiles, not the whole tree. OMP_NUM_THREADS=1: libgomp is not instrumented, so OpenMP
# inside the model's forward would be reported as races that are not there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-build-tsan-grammar}
mkdir -p "$OUT"
FLAGS=(-std=c++20 -O1 -g -fsanitize=thread -fopenmp -Isrc -Itests "-DSUNBAE_FIXTURES_DIR=\"$PWD/tests/fixtures\"")
SRCS=(src/grammar/json_schema.cpp src/grammar/json_matcher.cpp src/grammar/token_mask.cpp src/grammar/token_vocab.cpp
      src/grammar/mask_cache.cpp src/grammar/mask_pool.cpp src/engine/engine.cpp
      tests/unit/test_mask_pool.cpp tests/unit/test_mask_cache.cpp tests/unit/test_constrained_overlap.cpp)
OBJS=()
for f in "${SRCS[@]}"; do
  o="$OUT/$(echo "$f" | tr / _).o"
  g++ "${FLAGS[@]}" -c "$f" -o "$o"
  OBJS+=("$o")
done
g++ -fsanitize=thread -fopenmp "${OBJS[@]}" build/libsunbae_core.a -lgtest -lgtest_main -lpthread -lz \
  $(pkg-config --libs libpcre2-8 libutf8proc) -o "$OUT/tsan_grammar_tests"
OMP_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1" "$OUT/tsan_grammar_tests"
