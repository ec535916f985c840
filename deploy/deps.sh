#!/usr/bin/env bash
# deploy/deps.sh — install every Debian package ANTT needs to build, test and run.
#
# Idempotent and quiet: when everything is present it only asks dpkg and exits.
# Works as root, or as an ordinary user with sudo (used for apt-get only).
set -euo pipefail

PACKAGES=(
  # build, and the formatting check of deploy/test.sh
  build-essential cmake pkg-config git clang-format
  # fuzzing (clang's libFuzzer runtime lives in libclang-rt-14-dev)
  clang libclang-rt-14-dev
  # libraries (README "Libraries", docs/operations.md "Dependencies")
  libzmq3-dev libmsgpack-dev libpq-dev libcriterion-dev libjson-c-dev libmicrohttpd-dev
  libunistring-dev
  # the console (anttweb): passwords hashed with Argon2id (crypto_pwhash), charts
  # served from the page's own server (no internet needed)
  libsodium-dev libjs-chart.js
  # sd_notify: anttd tells systemd when it is ready (Type=notify)
  libsystemd-dev
  # man pages (anttd.8, antt.1) are written in scdoc
  scdoc
  # PostgreSQL server and client: the tests and deploy/run.sh start a private one
  postgresql-15 postgresql-client-15
  # high availability: a monitor, a primary and a synchronous secondary (deploy/ha/, tests/ha/)
  postgresql-15-auto-failover pg-auto-failover-cli
  # interop test: a client written from PROTOCOL.md in another language
  python3 python3-msgpack
  # the daemon benchmark counts established connections with ss; the console's
  # benchmark times its requests with curl; its TLS test makes a certificate
  # with openssl and talks HTTPS with curl
  iproute2 curl openssl
  # the Debian packages (deploy/package.sh), lintian, and the clean system the
  # suite installs them into (mmdebstrap)
  debhelper dpkg-dev lintian mmdebstrap
  # backups and point-in-time recovery, and the suite's restore drill
  pgbackrest
  # promtool checks anttd's /metrics in the test suite
  prometheus
  # the console in a real browser: headless Chromium driven by Selenium
  chromium chromium-driver python3-selenium
)

# --bench: also what the benchmarks compare ANTT with (daemon/bench/run.sh):
# rsyslog taking the same events over ZeroMQ (imczmq) into PostgreSQL
# (ompgsql). Not needed to build, test or run ANTT.
if [[ "${1:-}" == "--bench" ]]; then
  PACKAGES+=(rsyslog rsyslog-czmq rsyslog-pgsql)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$st" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done" >&2
