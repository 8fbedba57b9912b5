#!/usr/bin/env bash
# The Debian package as a user gets it: built with CPack from the default
# preset's build, installed with apt-get (which brings Debian's mosquitto and
# the runtime libraries), then the door-lock scenario run from the installed
# programs, and the installed emulator's page and CA checked.
#   scripts/deb-test.sh     (after a default build: scripts/test.sh default)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== offhub: the Debian package =="
rm -f build/offhub_*.deb
(cd build && cpack -G DEB >/dev/null)
deb="$(ls build/offhub_*.deb)"
dpkg-deb --info "$deb" | sed -n 's/^ *\(Package\|Version\|Depends\):/  \1:/p'
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --reinstall "$PWD/$deb" >/dev/null

fail() { echo "FAIL: $*"; exit 1; }
for program in offhub offhub-emulator offhub-fleet sim-device schedule-job-service; do
  [[ "$(command -v "$program")" == "/usr/bin/$program" ]] || fail "$program is not installed in /usr/bin"
  "$program" --version | grep -qx "$program [0-9.]*" || fail "$program --version"
done
[[ -f /usr/lib/offhub/offhub_broker_plugin.so ]] || fail "no broker plugin in /usr/lib/offhub"

# The installed emulator, from a folder that is not the checkout: its page and its CA.
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
(cd "$work" && exec offhub-emulator --http-port "$port" --https-port 0 --mqtt-port 0 --mqtts-port 0 \
  --tls-dir "$work/tls" >"$work/out" 2>"$work/err") &
pid=$!
for _ in $(seq 1 200); do grep -q '^IOTHUB_CONNECTION_STRING=' "$work/out" 2>/dev/null && break; sleep 0.05; done
grep -q '^IOTHUB_CONNECTION_STRING=' "$work/out" || { cat "$work/err"; fail "the installed emulator did not start"; }
python3 - "$port" "$work/tls/ca.pem" <<'PY' || fail "the installed emulator's page or CA"
import sys, urllib.request
port, ca = sys.argv[1], open(sys.argv[2]).read()
page = urllib.request.urlopen(f"http://localhost:{port}/").read().decode()
assert '<title>offhub emulator</title>' in page and 'SharedAccessSignature ' in page, page[:300]
assert urllib.request.urlopen(f"http://localhost:{port}/offhub/v1/ca.pem").read().decode() == ca
PY
kill "$pid"; wait "$pid" 2>/dev/null || true

# The tutorial, from the installed programs and the installed script.
/usr/share/offhub/door-lock.sh
echo "deb-test: $deb installs and runs the door-lock scenario"
