#!/usr/bin/env bash
# proto/bench/run.sh — build an optimised tree and run the decoder benchmark.
# Usage: proto/bench/run.sh [seconds-per-round]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/deploy/deps.sh"
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DANTT_TESTS=OFF >/dev/null
cmake --build "$root/build-bench" --target proto_bench -j"$(nproc)" >/dev/null
exec "$root/build-bench/proto/proto_bench" "$@"
