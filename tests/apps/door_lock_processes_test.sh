#!/usr/bin/env bash
# sim-device and schedule-job-service as processes against offhub-emulator
# over TLS (the emulator's CA, host-name verification on): both jobs
# complete, the device printed "Locking Door!" and received building 43.
#   door_lock_processes_test.sh <build/bin>
set -euo pipefail
bin="$1"
source "$(dirname "$0")/../../scripts/lib/emulator.sh"
offhub_work_dir
fail() { echo "FAIL: $*"; for f in "$work"/*.out "$work"/*.err; do echo "--- $f"; cat "$f"; done; exit 1; }
offhub_start_emulator "$bin" || fail "the emulator did not start"

"$bin/offhub" device create myDeviceId >"$work/create.out" || fail "device create"
IOTHUB_DEVICE_CONNECTION_STRING="$("$bin/offhub" device connection-string myDeviceId)"
export IOTHUB_DEVICE_CONNECTION_STRING
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
