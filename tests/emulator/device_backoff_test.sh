#!/usr/bin/env bash
# sim-device over TLS while the hub is away (a clean stop, then kill -9):
# under 2 % of a core over 5 s, and connected again within 10 s of the hub's
# return on the same ports.
#   device_backoff_test.sh <build/bin>
set -uo pipefail
bin="$1"
source "$(dirname "$0")/../../scripts/lib/emulator.sh"
offhub_work_dir
fail() { echo "FAIL: $*"; for f in "$work"/*.out "$work"/*.err; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
now_ms() { date +%s%3N; }

http_port="$(offhub_free_port)"; mqtts_port="$(offhub_free_port)"
flags=(--data-dir "$work/data" --tls-dir "$work/tls" --http-port "$http_port" --https-port 0
       --mqtt-port 0 --mqtts-port "$mqtts_port" --log-level warn)
offhub_launch_emulator hub "$bin" "${flags[@]}"
offhub_wait_ready hub || fail "the emulator did not start"
IOTHUB_CONNECTION_STRING="$(sed -n 's/^IOTHUB_CONNECTION_STRING=//p' "$work/hub.out")"
export IOTHUB_CONNECTION_STRING OFFHUB_ENDPOINT="http://127.0.0.1:$http_port" OFFHUB_CA_FILE="$work/tls/ca.pem"
"$bin/offhub" device create backoff-1 >/dev/null || fail "device create"
touch "$work/device.out"
IOTHUB_DEVICE_CONNECTION_STRING="$(offhub_device_connection_string "$bin" backoff-1)" \
  OFFHUB_DEVICE_ENDPOINT="mqtts://localhost:$mqtts_port" "$bin/sim-device" >"$work/device.out" 2>&1 &
device=$!; pids+=("$device")

connections() { grep -c "^Connected" "$work/device.out"; }
wait_connected() {  # wait_connected <count> <ms>
  local deadline=$(( $(now_ms) + $2 ))
  while (( $(now_ms) < deadline )); do (( $(connections) >= $1 )) && return 0; sleep 0.05; done
  return 1
}
wait_connected 1 10000 || fail "sim-device did not connect"

away_and_back() {  # away_and_back <signal> <connections so far>
  local signal="$1" before="$2"
  kill "-$signal" "$emulator_pid"; wait "$emulator_pid" 2>/dev/null
  sleep 0.5  # the disconnect is noticed and the first retries fail
  local ticks0 ticks1 used
  ticks0="$(offhub_cpu_ticks "$device")"
  sleep 5
  ticks1="$(offhub_cpu_ticks "$device")"
  used=$(( (ticks1 - ticks0) * 100 * 100 / ($(getconf CLK_TCK) * 5) ))  # hundredths of a percent of a core
  echo "hub away ($signal): sim-device used $((used / 100)).$(printf %02d $((used % 100))) % of a core over 5 s"
  (( used < 200 )) || fail "sim-device used $used/100 % of a core while the hub was away ($signal)"
  kill -0 "$device" 2>/dev/null || fail "sim-device exited while the hub was away"
  offhub_launch_emulator hub "$bin" "${flags[@]}"
  offhub_wait_ready hub || fail "the emulator did not restart"
  local back; back=$(now_ms)
  wait_connected $((before + 1)) 10000 || fail "sim-device did not reconnect within 10 s of the hub's return ($signal)"
  echo "hub back: sim-device connected again after $(( $(now_ms) - back )) ms"
}
away_and_back TERM 1
away_and_back KILL 2
kill "$emulator_pid"; wait "$emulator_pid"
