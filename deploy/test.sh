#!/usr/bin/env bash
# deploy/test.sh — install what is missing, build with sanitizers, and run the
# whole suite against a throwaway PostgreSQL. Exits non-zero on any failure.
#
#   ANTT_FUZZ_SECONDS   how long the decoder's fuzzer runs, the others a share of it
#                       (default 36; 0 skips them)
#   ANTT_BUILD_DIR      the test build tree (default build-test)
#   ANTT_DEB_DIR        where the Debian packages are built (default build-deb)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)

bash deploy/deps.sh

echo "== formatting (clang-format --dry-run -Werror, .clang-format)"
if [[ -d .git ]]; then mapfile -t sources < <(git ls-files '*.c' '*.h'); else
  mapfile -t sources < <(find cli cmd daemon db lib net proto report rules tests web -name '*.[ch]'); fi
clang-format --dry-run -Werror "${sources[@]}"

echo "== the store's boundary (no libpq call, no SQL outside db/)"
bash tests/deploy/boundary_check.sh

# Two builds: the Debian packages (deploy/package.sh: Debian's -O2 and
# hardening flags with -Werror, since gcc warns about more when it optimises;
# lintian; the suite installs them into a clean Debian, and the install test
# installs their build tree), and the tree the tests run in, with sanitizers.
debs=${ANTT_DEB_DIR:-$root/build-deb}
mkdir -p "$debs"
# The clean Debian 12 the packages' install test installs them into
# (package_install), made from Debian's archive while the builds run: the
# network's time, not the compiler's. Waited for before ctest.
rm -f "$debs/base.tar"
mmdebstrap --quiet --variant=apt --skip=cleanup/apt/lists bookworm "$debs/base.tar" \
  http://deb.debian.org/debian </dev/null >"$debs/base.log" 2>&1 &
base_pid=$!
trap 'kill "$base_pid" 2>/dev/null || true' EXIT
echo "== Debian packages (Release, -Werror, lintian) in $debs"
ANTT_PACKAGE_JOBS=$jobs bash deploy/package.sh "$debs" >"$debs/package.log" 2>&1 ||
  { tail -80 "$debs/package.log"; echo "deploy/package.sh failed" >&2; exit 1; }
grep -E "^(package|[IN]: .*override)" "$debs/package.log" || true
release=$(ls -d "$debs"/src/antt-*/obj-*)

build=${ANTT_BUILD_DIR:-$root/build-test}
echo "== build (ASan+UBSan, -Werror) in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DANTT_SANITIZE=ON -DANTT_WERROR=ON \
  -DANTT_INSTALL_BUILD_DIR="$release" -DANTT_PACKAGE_DIR="$debs" >/dev/null
cmake --build "$build" -j"$jobs" 2>&1 | grep -E "warning:|error:" || true
cmake --build "$build" -j"$jobs" >/dev/null   # fails the script if the build failed

fuzz_secs=${ANTT_FUZZ_SECONDS:-36}
if [[ "$fuzz_secs" != 0 ]]; then
  CC=clang cmake -S . -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANTT_FUZZ=ON \
    -DANTT_WERROR=ON >/dev/null
  cmake --build "$root/build-fuzz" --target fuzz_decode fuzz_intake fuzz_csvhead -j"$jobs" >/dev/null
  # fuzz NAME BINARY SECONDS CORPUS...: new inputs go to a temporary folder, not the repo
  fuzz() {
    local name=$1 bin=$2 secs=$3
    shift 3
    echo "== fuzz $name for ${secs}s (clang libFuzzer, ASan+UBSan)"
    local work
    work=$(mktemp -d /tmp/antt-fuzz.XXXXXX)
    if ! (cd "$work" && "$bin" -max_total_time="$secs" -print_final_stats=1 "$work" "$@" \
            >"$work/fuzz.log" 2>&1); then
      tail -60 "$work/fuzz.log"
      echo "fuzz $name: FAILED (crashing input left in $work)" >&2
      exit 1
    fi
    grep -E "stat::number_of_executed_units|DONE" "$work/fuzz.log" | tr '\n' ' '; echo
    rm -rf "$work"
  }
  # The seven fuzzers run in two lanes, one per core (libFuzzer uses one):
  # the decoder alone, the others one after another, then the console's two.
  cmake --build "$root/build-fuzz" --target fuzz_snapreq fuzz_subscribe -j"$jobs" >/dev/null
  cmake --build "$root/build-fuzz" --target fuzz_param fuzz_login -j"$jobs" >/dev/null
  # The intake path (bytes -> ack): the decoder's corpus, behind each of the
  # four sender headers fuzz_intake.c reads first.
  seeds=$(mktemp -d /tmp/antt-seeds.XXXXXX)
  for f in "$root"/proto/fuzz/corpus/*; do
    for h in 0 1 2 3; do { printf "\\x0$h\\x00"; cat "$f"; } >"$seeds/$h-$(basename "$f")"; done
  done
  lanes=$(mktemp -d /tmp/antt-lanes.XXXXXX)
  lane() { # lane NAME COMMANDS...: run them in the background, output kept
    local name=$1
    shift
    ("$@") >"$lanes/$name.log" 2>&1 &
    echo $! >"$lanes/$name.pid"
  }
  lane_wait() { # print each lane's output in order; fail if one failed
    local bad=0 n
    for n in "$@"; do
      wait "$(cat "$lanes/$n.pid")" || bad=1
      cat "$lanes/$n.log"
    done
    return $bad
  }
  lane_a() {
    fuzz "decode+validate" "$root/build-fuzz/proto/fuzz_decode" "$fuzz_secs" "$root/proto/fuzz/corpus"
  }
  lane_b() {
    fuzz "intake (bytes -> ack)" "$root/build-fuzz/daemon/fuzz_intake" $(( (fuzz_secs + 1) / 2 )) "$seeds"
    fuzz "reference-data CSV headers" "$root/build-fuzz/db/fuzz_csvhead" $(( (fuzz_secs + 5) / 6 )) \
      "$root/db/fuzz/corpus-csvhead"
    # The tally stream's inputs: a snapshot request, a subscription frame.
    fuzz "snapshot requests" "$root/build-fuzz/daemon/fuzz_snapreq" $(( (fuzz_secs + 5) / 6 )) \
      "$root/daemon/fuzz/corpus-snapreq"
    fuzz "stream subscriptions" "$root/build-fuzz/daemon/fuzz_subscribe" $(( (fuzz_secs + 5) / 6 )) \
      "$root/daemon/fuzz/corpus-subscribe"
  }
  lane a lane_a
  lane b lane_b
  lane_wait a b
  # The console's query parameters and login form (web/fuzz/).
  lane c fuzz "console parameters" "$root/build-fuzz/web/fuzz/fuzz_param" $(( (fuzz_secs + 3) / 4 )) \
    "$root/web/fuzz/corpus-param"
  lane d fuzz "console login form" "$root/build-fuzz/web/fuzz/fuzz_login" $(( (fuzz_secs + 3) / 4 )) \
    "$root/web/fuzz/corpus-login"
  lane_wait c d
  rm -rf "$seeds" "$lanes"
fi

wait "$base_pid" || { cat "$debs/base.log"; echo "mmdebstrap failed" >&2; exit 1; }

echo "== throwaway PostgreSQL"
pgdir=$(mktemp -d /tmp/antt-pg.XXXXXX)
cleanup() { bash "$root/tests/pg/pg.sh" stop "$pgdir" || true; rm -rf "$pgdir"; }
trap cleanup EXIT
eval "$(bash tests/pg/pg.sh start "$pgdir")"
echo "PostgreSQL on 127.0.0.1:$PGPORT (data in $pgdir)"

# anttd's and anttweb's default ports, held while the suite runs: no test may
# depend on them, and on a developer's machine run.sh may be using them.
python3 - 7720 7721 7722 7723 9720 9730 <<'PY' &
import selectors, socket, sys, time
# Accept and close at once: a port that is listened on but never accepted
# fills its backlog, and a later connect (run.sh's free-port probe) hangs.
sel = selectors.DefaultSelector()
held = []
for p in sys.argv[1:]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", int(p)))
        s.listen(64)
    except OSError:
        continue
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    held.append(p)
print("holding the default ports " + " ".join(held) + " during the suite", flush=True)
end = time.monotonic() + 3 * 3600
while time.monotonic() < end:
    for key, _ in sel.select(timeout=60):
        try:
            c, _ = key.fileobj.accept()
            c.close()
        except OSError:
            pass
PY
holder=$!
trap 'kill "$holder" 2>/dev/null || true; cleanup' EXIT

echo "== ctest"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j2
