#!/usr/bin/env bash
# deploy/test.sh — install what is missing, build with sanitizers, and run the
# whole suite against a throwaway PostgreSQL. Exits non-zero on any failure.
#
#   ANTT_FUZZ_SECONDS   how long the fuzzer runs (default 60; 0 skips it)
#   ANTT_BUILD_DIR      the test build tree (default build-test)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)

bash deploy/deps.sh

build=${ANTT_BUILD_DIR:-$root/build-test}
echo "== build (ASan+UBSan, -Werror) in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DANTT_SANITIZE=ON -DANTT_WERROR=ON >/dev/null
cmake --build "$build" -j"$jobs" 2>&1 | grep -E "warning|error" || true
cmake --build "$build" -j"$jobs" >/dev/null   # fails the script if the build failed

fuzz_secs=${ANTT_FUZZ_SECONDS:-60}
if [[ "$fuzz_secs" != 0 ]]; then
  echo "== fuzz decode+validate for ${fuzz_secs}s (clang libFuzzer, ASan+UBSan)"
  CC=clang cmake -S . -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANTT_FUZZ=ON \
    -DANTT_WERROR=ON >/dev/null
  cmake --build "$root/build-fuzz" --target fuzz_decode -j"$jobs" >/dev/null
  work=$(mktemp -d /tmp/antt-fuzz.XXXXXX)   # new inputs go here, not into the repo
  if ! (cd "$work" && "$root/build-fuzz/proto/fuzz_decode" -max_total_time="$fuzz_secs" \
          -print_final_stats=1 "$work" "$root/proto/fuzz/corpus" >"$work/fuzz.log" 2>&1); then
    tail -60 "$work/fuzz.log"
    echo "fuzz: FAILED (crashing input left in $work)" >&2
    exit 1
  fi
  grep -E "stat::number_of_executed_units|DONE" "$work/fuzz.log" | tr '\n' ' '; echo
  rm -rf "$work"
fi

echo "== throwaway PostgreSQL"
pgdir=$(mktemp -d /tmp/antt-pg.XXXXXX)
cleanup() { bash "$root/tests/pg/pg.sh" stop "$pgdir" || true; rm -rf "$pgdir"; }
trap cleanup EXIT
eval "$(bash tests/pg/pg.sh start "$pgdir")"
echo "PostgreSQL on 127.0.0.1:$PGPORT (data in $pgdir)"

echo "== ctest"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j2
