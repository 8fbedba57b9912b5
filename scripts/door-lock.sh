#!/usr/bin/env bash
# The door-lock tutorial, offline: starts offhub-emulator, registers
# myDeviceId, runs sim-device against it over MQTT/TLS and
# schedule-job-service over HTTPS, and prints both jobs' results.
#   scripts/door-lock.sh            in a checkout: builds what it needs first
#                                   (installing missing packages)
#   door-lock.sh [BIN_DIR]          the programs in BIN_DIR (installed: where
#                                   offhub-emulator is on PATH)
# Exit code: schedule-job-service's (0 = both jobs completed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if (($# > 0)); then
  bin="$1"
elif [[ -f "$here/../CMakeLists.txt" ]]; then
  cd "$here/.."
  scripts/install-deps.sh >/dev/null
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/offhub-ccache}"
  # Paths relative to the checkout, so every clone shares the cache.
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  echo "== building (first time: a few minutes) =="
  cmake --preset default >/dev/null
  cmake --build --preset default -j "$(nproc)" --target offhub-emulator sim-device schedule-job-service offhub \
    offhub_broker_plugin | grep -E '^\[ *[0-9]+%\] (Linking|Built target)' || true
  bin="$PWD/build/bin"
else
  bin="$(dirname "$(command -v offhub-emulator)")"
fi

source "$here/lib/emulator.sh"
offhub_work_dir
echo "== starting offhub-emulator =="
offhub_start_emulator "$bin" --log-level warn
echo "IOTHUB_CONNECTION_STRING=$IOTHUB_CONNECTION_STRING"

"$bin/offhub" device create myDeviceId >/dev/null
IOTHUB_DEVICE_CONNECTION_STRING="$(offhub_device_connection_string "$bin" myDeviceId)"
export IOTHUB_DEVICE_CONNECTION_STRING

echo "== sim-device (myDeviceId) =="
"$bin/sim-device" > >(sed 's/^/[sim-device] /') 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do  # the tutorial starts the device first: wait until it is online
  "$bin/offhub" device show myDeviceId | grep -q '"connectionState": "Connected"' && break
  sleep 0.1
done

echo "== schedule-job-service =="
status=0
"$bin/schedule-job-service" || status=$?
sleep 0.5
exit "$status"
