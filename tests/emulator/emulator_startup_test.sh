#!/usr/bin/env bash
# offhub-emulator's start-up failures end with one clear message and a
# non-zero exit: a port taken, mosquitto missing, a data directory that
# cannot be made; bad flags exit 2, --help 0.
#   emulator_startup_test.sh <build/bin>
set -uo pipefail
emulator="$1/offhub-emulator"
work="$(mktemp -d)"
first=""
cleanup() { [[ -n "$first" ]] && kill "$first" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect() {  # expect <exit code> <text on stderr> -- <args...>
  local want_code="$1" want_text="$2"; shift 3
  timeout 20 "$emulator" "$@" >"$work/out" 2>"$work/err"
  local code=$?
  [[ "$code" == "$want_code" ]] || { cat "$work/err"; fail "offhub-emulator $* exited $code, not $want_code"; }
  grep -qF -- "$want_text" "$work/err" "$work/out" || { cat "$work/err"; fail "offhub-emulator $*: no '$want_text'"; }
}
source "$(dirname "$0")/../../scripts/lib/emulator.sh"  # offhub_free_port

expect 0 "--https-port" -- --help
expect 2 "--no-such-flag" -- --no-such-flag
expect 1 "mosquitto not found" -- --mosquitto /nonexistent/mosquitto --http-port 0 --https-port 0 --mqtts-port 0 --mqtt-port 0
expect 1 "cannot create the data directory" -- --data-dir /proc/offhub-cannot-be-here --http-port 0 --https-port 0 --mqtts-port 0 --mqtt-port 0

port="$(offhub_free_port)"
"$emulator" --http-port "$port" --https-port 0 --mqtt-port 0 --mqtts-port 0 >"$work/first.out" 2>&1 &
first=$!
for _ in $(seq 1 200); do grep -q IOTHUB_CONNECTION_STRING "$work/first.out" && break; sleep 0.05; done
expect 1 "cannot listen for HTTP on 127.0.0.1:$port" -- --http-port "$port" --https-port 0 --mqtt-port 0 --mqtts-port 0
kill "$first"; wait "$first" 2>/dev/null; first=""

# --data-dir keeps the hub's state across restarts (state.db); --in-memory does not.
start() {  # start <extra args...>: an emulator on $port, waited for
  "$emulator" --http-port "$port" --https-port 0 --mqtt-port 0 --mqtts-port 0 "$@" >"$work/run.out" 2>&1 &
  first=$!
  for _ in $(seq 1 200); do grep -q IOTHUB_CONNECTION_STRING "$work/run.out" && return 0; sleep 0.05; done
  cat "$work/run.out"; fail "the emulator did not start with $*"
}
stop() { kill "$first"; wait "$first" 2>/dev/null; first=""; }
cli() { IOTHUB_CONNECTION_STRING="$(sed -n 's/^IOTHUB_CONNECTION_STRING=//p' "$work/run.out")" \
        OFFHUB_ENDPOINT="http://127.0.0.1:$port" "$(dirname "$emulator")/offhub" "$@"; }
start --data-dir "$work/data"
cli device create kept-1 >/dev/null || fail "device create"
stop
[[ -f "$work/data/state.db" ]] || fail "no state.db in the data directory"
start --data-dir "$work/data"
cli device show kept-1 >/dev/null || fail "the device did not survive a restart with --data-dir"
stop
start --data-dir "$work/data" --in-memory
cli device show kept-1 >/dev/null 2>&1 && fail "--in-memory read the stored state"
stop
echo "start-up failures: clear messages and exit codes; --data-dir keeps state, --in-memory does not"
