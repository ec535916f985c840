#!/usr/bin/env bash
# deploy/federation/tls.sh — certificates for the links between provinces and
# the Ministry (docs/operations.md, "A Ministry and its provinces"), made with
# openssl: one certificate authority per federation, one server certificate
# per PostgreSQL server, for verify-full on the client side.
#
#   tls.sh ca DIR                  DIR/ca.crt and DIR/ca.key (kept if there)
#   tls.sh server DIR NAME HOST... DIR/NAME.crt and DIR/NAME.key, signed by
#                                  the CA, for each HOST (an IP address or a
#                                  DNS name) as a subjectAltName
#   tls.sh owner DIR NAME USER     give NAME.key to the server's user (mode
#                                  0600: PostgreSQL refuses a key others read)
#
# Real deployments take their certificates from the Ministry's own
# authority; this is for the one-machine federation and the tests.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 ca|server|owner DIR ..." >&2; exit 2; }
mkdir -p "$dir"
case "$cmd" in
ca)
  [[ -f "$dir/ca.crt" && -f "$dir/ca.key" ]] && exit 0
  openssl req -x509 -new -newkey rsa:2048 -nodes -days 825 -subj "/CN=ANTT federation CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  chmod 600 "$dir/ca.key"
  ;;
server)
  name=${3:?NAME}; shift 3
  [[ $# -gt 0 ]] || { echo "tls.sh: at least one HOST" >&2; exit 2; }
  san=""
  for h in "$@"; do
    if [[ $h =~ ^[0-9.]+$ || $h == *:* ]]; then san+="${san:+,}IP:$h"; else san+="${san:+,}DNS:$h"; fi
  done
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$dir/$name.key" \
    -out "$dir/$name.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
  chmod 600 "$dir/$name.key"
  ;;
owner)
  name=${3:?NAME} user=${4:?USER}
  chown "$user" "$dir/$name.key" "$dir/$name.crt"
  chmod 600 "$dir/$name.key"
  ;;
*) echo "usage: $0 ca|server|owner DIR ..." >&2; exit 2 ;;
esac
