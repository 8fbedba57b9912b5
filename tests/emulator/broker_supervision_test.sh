#!/usr/bin/env bash
# offhub-emulator's managed broker, black-box: it dies with the emulator
# (kill -9), is restarted when it dies alone (/health 503 then 200, a device
# back, a job completes), ports already taken and a data directory already in
# use are refused at once, and the files holding secrets are 0600 (the device
# keys only while the broker starts) and gone after a normal exit; temporary data directories of crashed runs are cleaned.
#   broker_supervision_test.sh <build/bin>
set -uo pipefail
bin="$1"
source "$(dirname "$0")/../../scripts/lib/emulator.sh"
offhub_work_dir
export TMPDIR="$work/tmp"  # the emulator's temporary data directories go here
mkdir -p "$TMPDIR"
fail() { echo "FAIL: $*"; for f in "$work"/*.out "$work"/*.err; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
now_ms() { date +%s%3N; }
gone_within() {  # gone_within <pid> <ms>: true when the process is gone (or a zombie) in time
  local deadline=$(( $(now_ms) + $2 ))
  while (( $(now_ms) < deadline )); do
    [[ ! -e /proc/$1 || "$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null)" == Z ]] && return 0
    sleep 0.02
  done
  return 1
}
health() { curl -s -o "$work/health.body" -w '%{http_code}' "http://127.0.0.1:$http_port/health"; }

http_port="$(offhub_free_port)"; mqtt_port="$(offhub_free_port)"; mqtts_port="$(offhub_free_port)"
data="$work/data"
flags=(--data-dir "$data" --tls-dir "$work/tls" --http-port "$http_port" --https-port 0
       --mqtt-port "$mqtt_port" --mqtts-port "$mqtts_port" --log-level warn)

# --- secrets 0600; a second emulator on the same data directory; ports taken
offhub_launch_emulator first "$bin" "${flags[@]}"
offhub_wait_ready first || fail "the emulator did not start"
first=$emulator_pid
[[ "$(stat -c %a "$data/broker/mosquitto.conf")" == 600 ]] || fail "mosquitto.conf is not 0600"
grep -q '^persistence true' "$data/broker/mosquitto.conf" || fail "no broker persistence with --data-dir"
[[ "$(curl -s "http://127.0.0.1:$http_port/health")" == *'"broker":"running"'* ]] || fail "health does not show the broker"

refused() {  # refused <text> <flags...>: exits 1 within 5 s saying <text>
  local text="$1"; shift
  local start; start=$(now_ms)
  timeout 20 "$bin/offhub-emulator" "$@" >"$work/refused.out" 2>"$work/refused.err"
  local code=$? took=$(( $(now_ms) - start ))
  [[ $code == 1 ]] || fail "offhub-emulator $* exited $code, not 1"
  grep -qF -- "$text" "$work/refused.err" || fail "offhub-emulator $*: no '$text' in: $(cat "$work/refused.err")"
  (( took < 5000 )) || fail "offhub-emulator $* took $took ms to give up"
}
other() {  # other <http> <mqtt> <mqtts>: flags of another emulator on another data directory
  echo --data-dir "$work/other" --tls-dir "$work/tls" --https-port 0 --http-port "$1" --mqtt-port "$2" --mqtts-port "$3"
}
refused "the data directory $data is in use by another offhub-emulator (pid $first)" "${flags[@]}"
refused "cannot listen for MQTT on 127.0.0.1:$mqtt_port" $(other 0 "$mqtt_port" 0)
refused "cannot listen for MQTT over TLS on 127.0.0.1:$mqtts_port" $(other 0 0 "$mqtts_port")
refused "cannot listen for HTTP on 127.0.0.1:$http_port" $(other "$http_port" 0 0)
# Any other program's listener, not only a broker.
# The listener picks its own free port and says which: no race with other programs for a port picked here.
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' \
  >"$work/taken" &
listener=$!; pids+=("$listener")
for _ in $(seq 1 50); do [[ -s "$work/taken" ]] && break; sleep 0.1; done
taken="$(cat "$work/taken")"
[[ -n "$taken" ]] || fail "the stand-in listener did not start"
refused "cannot listen for MQTT on 127.0.0.1:$taken" $(other 0 "$taken" 0)
kill "$listener"
echo "refused at once: a data directory in use, MQTT, MQTTS and HTTP ports taken"

# --- the broker dies alone: 503 while it is down, 200 and the same ports again, a job completes
IOTHUB_CONNECTION_STRING="$(sed -n 's/^IOTHUB_CONNECTION_STRING=//p' "$work/first.out")"
export IOTHUB_CONNECTION_STRING OFFHUB_ENDPOINT="http://127.0.0.1:$http_port" OFFHUB_CA_FILE="$work/tls/ca.pem"
"$bin/offhub" device create lock-1 >/dev/null || fail "device create"
IOTHUB_DEVICE_CONNECTION_STRING="$(offhub_device_connection_string "$bin" lock-1)" \
  OFFHUB_DEVICE_ENDPOINT="mqtts://localhost:$mqtts_port" "$bin/sim-device" >"$work/device.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^Connected' "$work/device.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^Connected' "$work/device.out" || fail "sim-device did not connect"
broker="$(offhub_broker_pid "$first")" || fail "no broker under the emulator"
kill -9 "$broker"
killed_at=$(now_ms)
# Made while the broker restarts: the device is offline, its call waits for it.
"$bin/offhub" job create lock-job --type method --query "deviceId IN ['lock-1']" --method lockDoor --timeout 10 \
  --max-execution 60 >"$work/job-create.out" 2>&1 &
job_create=$!
saw_503=""; back_ms=""
while (( $(now_ms) - killed_at < 5000 )); do
  code="$(health)"
  [[ "$code" == 503 ]] && grep -q '"ErrorCode":"ServiceUnavailable"\|ServiceUnavailable' "$work/health.body" && saw_503=yes
  # 200 before any 503: the emulator has not noticed the death yet (a loaded machine).
  [[ "$code" == 200 && -n "$saw_503" ]] && { back_ms=$(( $(now_ms) - killed_at )); break; }
  sleep 0.02
done
[[ -n "$saw_503" ]] || fail "/health never answered 503 ServiceUnavailable while the broker was down"
[[ -n "$back_ms" ]] || fail "/health did not answer 200 within 5 s of the broker's death"
(( back_ms < 2000 )) || fail "/health took $back_ms ms to recover (want ~1 s)"
wait "$job_create" || fail "job create while the broker restarts: $(cat "$work/job-create.out")"
grep -q 'warning.*killed by signal 9.*restarting' "$work/first.out" || fail "the broker's death was not logged"
new_broker="$(offhub_broker_pid "$first")" || fail "no new broker"
[[ "$new_broker" != "$broker" ]] || fail "the broker pid did not change"
# The restarted broker read the device keys at its start; no copy stays on disk.
[[ ! -e "$data/broker/device-keys.json" ]] || fail "device-keys.json left after the broker started"
for _ in $(seq 1 150); do
  "$bin/offhub" job show lock-job >"$work/job.out" 2>&1; grep -q '"status": "completed"' "$work/job.out" && break
  sleep 0.1
done
grep -q '"succeededCount": 1' "$work/job.out" || fail "the method job did not complete with the device: $(cat "$work/job.out")"
grep -q 'Locking Door!' "$work/device.out" || fail "the device was not called"
[[ "$(grep -c '^Connected' "$work/device.out")" -ge 2 ]] || fail "sim-device did not reconnect"
echo "broker killed: /health 503 then 200 after ${back_ms} ms, the device is back, the job completed"

# --- a normal exit removes the secrets and stops the broker
kill "$first"; wait "$first"
[[ ! -e "$data/broker/mosquitto.conf" && ! -e "$data/broker/device-keys.json" ]] || fail "secrets left after exit"
gone_within "$new_broker" 1000 || fail "the broker outlived a normal exit"

# --- kill -9 of the emulator takes the broker along; the same command starts again at once
offhub_launch_emulator second "$bin" "${flags[@]}"
offhub_wait_ready second || fail "the emulator did not restart after a clean stop"
broker="$(offhub_broker_pid "$emulator_pid")" || fail "no broker under the emulator"
kill -9 "$emulator_pid"; wait "$emulator_pid" 2>/dev/null
# At once, as a supervisor would: the dying broker may still hold the MQTT ports for a moment.
offhub_launch_emulator third "$bin" "${flags[@]}"
gone_within "$broker" 1000 || fail "the broker outlived kill -9 of the emulator by more than 1 s"
offhub_wait_ready third || fail "the same start command, run at once, failed after kill -9: $(cat "$work/third.err" 2>/dev/null)"
kill "$emulator_pid"; wait "$emulator_pid"
echo "kill -9: the broker went with the emulator; the same command started again"

# --- temporary data directories: removed on exit, and a crashed run's by the next run
temp_flags=(--tls-dir "$work/tls" --http-port 0 --https-port 0 --mqtt-port 0 --mqtts-port 0 --log-level warn)
offhub_launch_emulator temp1 "$bin" "${temp_flags[@]}"
offhub_wait_ready temp1 || fail "no start without --data-dir"
crashed="$TMPDIR/offhub-emulator-$emulator_pid"
[[ -d "$crashed" ]] || fail "no temporary data directory $crashed"
kill -9 "$emulator_pid"; wait "$emulator_pid" 2>/dev/null
[[ -d "$crashed" ]] || fail "expected the crashed run's directory to stay"
offhub_launch_emulator temp2 "$bin" "${temp_flags[@]}"
offhub_wait_ready temp2 || fail "no start without --data-dir after a crash"
[[ ! -e "$crashed" ]] || fail "the crashed run's directory $crashed was not cleaned up"
kill "$emulator_pid"; wait "$emulator_pid"
[[ -z "$(ls -A "$TMPDIR")" ]] || fail "temporary data left after a normal exit: $(ls -A "$TMPDIR")"
echo "temporary data directories: removed at exit, a crashed run's removed by the next"
