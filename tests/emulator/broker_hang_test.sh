#!/usr/bin/env bash
# A hung broker (SIGSTOP: process and sockets alive, nothing answered):
# /health turns 503 "not answering" within 10 s and back to 200 at SIGCONT;
# a broker that stays hung is killed and restarted after ~10 s, and /health
# answers 200 again with the new broker.
#   broker_hang_test.sh <build/bin>
set -uo pipefail
bin="$1"
source "$(dirname "$0")/../../scripts/lib/emulator.sh"
offhub_work_dir
health() { curl -s -m 2 -o "$work/health.body" -w '%{http_code}' "http://127.0.0.1:$http_port/health"; }
# wait_health <code> <ms>: polls /health until it answers <code>; prints the ms it took
wait_health() {
  local start; start=$(offhub_now_ms)
  while (( $(offhub_now_ms) - start < $2 )); do
    [[ "$(health)" == "$1" ]] && { echo $(( $(offhub_now_ms) - start )); return 0; }
    sleep 0.1
  done
  return 1
}

http_port="$(offhub_free_port)"
offhub_launch_emulator hub "$bin" --data-dir "$work/data" --tls-dir "$work/tls" --http-port "$http_port" \
  --https-port 0 --mqtt-port 0 --mqtts-port 0 --log-level warn
offhub_wait_ready hub || offhub_fail "the emulator did not start"
broker="$(offhub_broker_pid "$emulator_pid")" || offhub_fail "no broker under the emulator"

# --- stopped for a while: 503 with the reason, 200 again when it goes on
kill -STOP "$broker"
took="$(wait_health 503 10000)" || { kill -CONT "$broker"; offhub_fail "/health did not turn 503 within 10 s of SIGSTOP"; }
grep -q 'has not answered' "$work/health.body" || offhub_fail "no reason in the 503: $(cat "$work/health.body")"
kill -CONT "$broker"
back="$(wait_health 200 3000)" || offhub_fail "/health did not turn 200 within 3 s of SIGCONT"
[[ "$(offhub_broker_pid "$emulator_pid")" == "$broker" ]] || offhub_fail "the broker was restarted, not resumed"
echo "SIGSTOP: /health 503 after ${took} ms; SIGCONT: 200 after ${back} ms"

# --- stopped for good: killed and restarted, 200 with the new broker
kill -STOP "$broker"
stopped=$(offhub_now_ms)
wait_health 503 10000 >/dev/null || offhub_fail "/health did not turn 503 within 10 s of the second SIGSTOP"
wait_health 200 15000 >/dev/null || offhub_fail "/health did not answer 200 again within 25 s of a lasting SIGSTOP"
took=$(( $(offhub_now_ms) - stopped ))
new_broker="$(offhub_broker_pid "$emulator_pid")" || offhub_fail "no broker after the restart"
[[ "$new_broker" != "$broker" ]] || offhub_fail "the hung broker was not replaced"
(( took >= 9000 )) || offhub_fail "the broker was restarted after only ${took} ms (want ~10 s)"
grep -q '"brokerRestarts":1' "$work/health.body" || offhub_fail "health details: $(cat "$work/health.body")"
grep -q "has not answered for 10 s; killing it" "$work/hub.out" || offhub_fail "the kill was not logged"
IOTHUB_CONNECTION_STRING="$(sed -n 's/^IOTHUB_CONNECTION_STRING=//p' "$work/hub.out")" \
  OFFHUB_ENDPOINT="http://127.0.0.1:$http_port" "$bin/offhub" device create after-hang >/dev/null ||
  offhub_fail "the hub does not work after the restart"
echo "a lasting SIGSTOP: the broker was killed and restarted, /health 200 after ${took} ms"
