#!/usr/bin/env bash
# sim-device and schedule-job-service as processes against offhub-emulator
# over TLS (the emulator's CA, host-name verification on): both jobs
# complete, the device printed "Locking Door!" and received building 43.
#   door_lock_processes_test.sh <build/bin>
set -euo pipefail
bin="$1"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.out "$work"/*.err; do echo "--- $f"; cat "$f"; done; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
https_port="$(free_port)"
mqtts_port="$(free_port)"
"$bin/offhub-emulator" --tls-dir "$work/tls" --http-port 0 --https-port "$https_port" --mqtt-port 0 \
  --mqtts-port "$mqtts_port" >"$work/emulator.out" 2>"$work/emulator.err" &
pids+=($!)
for _ in $(seq 1 200); do
  grep -q '^IOTHUB_CONNECTION_STRING=' "$work/emulator.out" && break
  kill -0 "${pids[0]}" || fail "the emulator exited"
  sleep 0.05
done
grep -q '^IOTHUB_CONNECTION_STRING=' "$work/emulator.out" || fail "the emulator did not become ready"

export IOTHUB_CONNECTION_STRING="$(sed -n 's/^IOTHUB_CONNECTION_STRING=//p' "$work/emulator.out")"
export OFFHUB_CA_FILE="$work/tls/ca.pem"
export OFFHUB_ENDPOINT="https://localhost:$https_port"
export OFFHUB_DEVICE_ENDPOINT="mqtts://localhost:$mqtts_port"

"$bin/offhub" device create myDeviceId >"$work/create.out" || fail "device create"
export IOTHUB_DEVICE_CONNECTION_STRING="$("$bin/offhub" device connection-string myDeviceId |
  sed -n 's/.*"connectionString": "\(.*\)".*/\1/p')"
"$bin/sim-device" >"$work/device.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  "$bin/offhub" device show myDeviceId | grep -q '"connectionState": "Connected"' && break
  sleep 0.1
done
"$bin/schedule-job-service" --poll 1 >"$work/service.out" 2>"$work/service.err" || fail "schedule-job-service exited $?"
for _ in $(seq 1 50); do grep -q '"building":"43"' "$work/device.out" && break; sleep 0.1; done
grep -q 'Locking Door!' "$work/device.out" || fail "the device did not lock the door"
grep -q '"building":"43"' "$work/device.out" || fail "the device did not receive building 43"
[[ "$(grep -c '"status": "completed"' "$work/service.out")" == 2 ]] || fail "both jobs should be completed"
echo "door-lock over TLS: both jobs completed, the device locked and got building 43"
