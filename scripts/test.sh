#!/usr/bin/env bash
# `bun run test`: everything the tests need, then every test. Works on a fresh clone with only Bun:
# installs the locked dependencies, on Debian as root the real peers the interop tests talk to (else
# one line naming what is missing), then biome ci, typecheck, and every package's tests. Every
# package reports (--continue) even when one fails; the exit code is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

# Tool → Debian package, for the real peers used by the interop tests and benches.
TOOLS=(dig:bind9-dnsutils kdig:knot-dnsutils nsd:nsd nc:netcat-openbsd socat:socat curl:curl
  chromium:chromium redis-server:redis-server pg_ctlcluster:postgresql wrk:wrk dnsperf:dnsperf
  openssl:openssl prlimit:util-linux ps:procps)
missing=()
for entry in "${TOOLS[@]}"; do
  tool=${entry%%:*}
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$entry")
done
# The DNS interop test runs Debian's interpreter (/usr/bin/python3), not the first python3 on PATH.
/usr/bin/python3 -c "import dns" >/dev/null 2>&1 || missing+=("python3-dnspython:python3-dnspython")
# Debian's package installs for the system interpreter, which the websocket interop test runs.
/usr/bin/python3 -c "import websockets" >/dev/null 2>&1 || missing+=("python3-websockets:python3-websockets")
[ -d /etc/ssl/certs ] || missing+=("ca-certificates:ca-certificates")
if [ ${#missing[@]} -gt 0 ]; then
  packages=()
  for entry in "${missing[@]}"; do packages+=("${entry#*:}"); done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== apt-get install ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null ||
      echo "warning: apt-get install failed; the interop tests that need ${packages[*]} will fail"
  else
    echo "missing tools the interop tests use (install these packages): ${packages[*]}"
  fi
fi

echo "== bun install --frozen-lockfile"
bun install --frozen-lockfile || exit 1

status=0
echo "== biome ci"
node_modules/.bin/biome ci --colors=off . || status=1
echo "== typecheck"
node_modules/.bin/turbo run typecheck --env-mode=loose --output-logs=errors-only || status=1
echo "== tests"
node_modules/.bin/turbo run test --env-mode=loose --concurrency=1 --continue || status=1
exit "$status"
