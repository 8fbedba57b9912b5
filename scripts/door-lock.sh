#!/usr/bin/env bash
# The door-lock tutorial, offline: builds what it needs (installing missing
# packages), starts offhub-emulator, registers myDeviceId, runs sim-device
# against it over MQTT/TLS and schedule-job-service over HTTPS, and prints
# both jobs' results. Exit code: schedule-job-service's (0 = both completed).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh >/dev/null
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/offhub-ccache}"
# Paths relative to the checkout, so every clone shares the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
echo "== building (first time: a few minutes) =="
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target offhub-emulator sim-device schedule-job-service offhub \
  offhub_broker_plugin | grep -E '^\[ *[0-9]+%\] (Linking|Built target)' || true

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== starting offhub-emulator (HTTPS 8443, MQTTS 8883) =="
# Plain HTTP off and plain MQTT on a free port: 8080 and 1883 are often taken
# (a system mosquitto listens on 1883).
build/bin/offhub-emulator --tls-dir "$work/tls" --http-port 0 --mqtt-port 0 --log-level warn \
  >"$work/emulator.out" 2>"$work/emulator.err" &
pids+=($!)
for _ in $(seq 1 200); do
  grep -q '^IOTHUB_CONNECTION_STRING=' "$work/emulator.out" 2>/dev/null && break
  if ! kill -0 "${pids[0]}" 2>/dev/null; then cat "$work/emulator.err" >&2; exit 1; fi
  sleep 0.05
done
export IOTHUB_CONNECTION_STRING="$(sed -n 's/^IOTHUB_CONNECTION_STRING=//p' "$work/emulator.out")"
export OFFHUB_CA_FILE="$work/tls/ca.pem"
export OFFHUB_ENDPOINT="https://127.0.0.1:8443"
export OFFHUB_DEVICE_ENDPOINT="mqtts://127.0.0.1:8883"
echo "IOTHUB_CONNECTION_STRING=$IOTHUB_CONNECTION_STRING"

build/bin/offhub device create myDeviceId >/dev/null
export IOTHUB_DEVICE_CONNECTION_STRING="$(build/bin/offhub device connection-string myDeviceId |
  sed -n 's/.*"connectionString": "\(.*\)".*/\1/p')"

echo "== sim-device (myDeviceId) =="
build/bin/sim-device > >(sed 's/^/[sim-device] /') 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do  # the tutorial starts the device first: wait until it is online
  build/bin/offhub device show myDeviceId | grep -q '"connectionState": "Connected"' && break
  sleep 0.1
done

echo "== schedule-job-service =="
status=0
build/bin/schedule-job-service || status=$?
sleep 0.5
exit "$status"
