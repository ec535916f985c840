#!/usr/bin/env bash
# tests/deploy/procedure.sh NAME — print the block of docs/operations.md's
# "Procedures" marked <!-- procedure: NAME --> (the shell between ```sh and
# ```), so that a test runs it as an operator reads it. Exits 1 when there is
# no such block, or it is empty.
set -euo pipefail
doc=$(cd "$(dirname "$0")/../.." && pwd)/docs/operations.md
block=$(awk -v name="$1" '
  $0 == "<!-- procedure: " name " -->" { on = 1; next }
  on && /^```sh$/ { code = 1; next }
  code && /^```$/ { exit }
  code' "$doc")
[[ -n "$block" ]] || { echo "procedure.sh: no procedure '$1' in docs/operations.md" >&2; exit 1; }
printf '%s\n' "$block"
