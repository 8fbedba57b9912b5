# Shell helpers shared by scripts/door-lock.sh and the process tests: start
# offhub-emulator on free ports in the background, wait until it is ready,
# and point the programs at it. Source it, then:
#   offhub_work_dir            makes $work and cleans it (and every pid in $pids) up on exit
#   offhub_start_emulator BIN [flags...]
#                              starts BIN/offhub-emulator with its TLS material in $work/tls;
#                              exports IOTHUB_CONNECTION_STRING, OFFHUB_CA_FILE,
#                              OFFHUB_ENDPOINT (HTTPS) and OFFHUB_DEVICE_ENDPOINT (MQTTS)
#   offhub_device_connection_string BIN ID
#                              prints a registered device's connection string
#   offhub_launch_emulator NAME BIN [flags...]
#                              starts BIN/offhub-emulator with exactly these flags, its output in
#                              $work/NAME.out and .err; sets $emulator_pid (no waiting)
#   offhub_wait_ready NAME     waits (20 s) for that emulator's ready line; fails if it exits
#   offhub_broker_pid PID      prints the pid of emulator PID's broker (its mosquitto child)
#   offhub_cpu_ticks PID       prints PID's user + system CPU time in clock ticks (/proc/PID/stat)
#   offhub_fail MESSAGE        (tests) prints FAIL: MESSAGE and the tail of every $work/*.out and
#                              *.err, and exits 1
#   offhub_now_ms              prints the time in milliseconds

offhub_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

offhub_work_dir() {
  work="$(mktemp -d)"
  pids=()
  trap offhub_cleanup EXIT
}

offhub_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

offhub_start_emulator() {
  local bin="$1"; shift
  local https_port mqtts_port
  https_port="$(offhub_free_port)"
  mqtts_port="$(offhub_free_port)"
  # Plain HTTP and MQTT off: their usual ports (8080, 1883) are often taken.
  "$bin/offhub-emulator" --tls-dir "$work/tls" --http-port 0 --https-port "$https_port" --mqtt-port 0 \
    --mqtts-port "$mqtts_port" "$@" >"$work/emulator.out" 2>"$work/emulator.err" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 400); do
    grep -q '^IOTHUB_CONNECTION_STRING=' "$work/emulator.out" 2>/dev/null && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "offhub-emulator exited:" >&2; cat "$work/emulator.err" >&2; return 1
    fi
    sleep 0.05
  done
  if ! grep -q '^IOTHUB_CONNECTION_STRING=' "$work/emulator.out"; then
    echo "offhub-emulator did not become ready in 20 s:" >&2; cat "$work/emulator.err" >&2; return 1
  fi
  IOTHUB_CONNECTION_STRING="$(sed -n 's/^IOTHUB_CONNECTION_STRING=//p' "$work/emulator.out")"
  export IOTHUB_CONNECTION_STRING
  export OFFHUB_CA_FILE="$work/tls/ca.pem"
  export OFFHUB_ENDPOINT="https://localhost:$https_port"
  export OFFHUB_DEVICE_ENDPOINT="mqtts://localhost:$mqtts_port"
}

offhub_device_connection_string() {
  "$1/offhub" device connection-string "$2"
}

offhub_launch_emulator() {
  local name="$1" bin="$2"; shift 2
  "$bin/offhub-emulator" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  emulator_pid=$!
  pids+=("$emulator_pid")
}

offhub_wait_ready() {
  local name="$1"
  for _ in $(seq 1 400); do
    grep -q '^IOTHUB_CONNECTION_STRING=' "$work/$name.out" 2>/dev/null && return 0
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
      echo "offhub-emulator ($name) exited:" >&2; cat "$work/$name.err" >&2; return 1
    fi
    sleep 0.05
  done
  echo "offhub-emulator ($name) did not become ready in 20 s:" >&2; cat "$work/$name.err" >&2; return 1
}

offhub_broker_pid() {
  local child
  for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    [[ "$(cat /proc/"$child"/comm 2>/dev/null)" == mosquitto ]] && { echo "$child"; return 0; }
  done
  return 1
}

# Fields 14 and 15 of /proc/PID/stat, counted after the ")" closing the command name.
offhub_cpu_ticks() { sed 's/.*) //' /proc/"$1"/stat | awk '{print $12 + $13}'; }

offhub_fail() {
  echo "FAIL: $*"
  for f in "$work"/*.out "$work"/*.err; do echo "--- $f"; tail -20 "$f"; done
  exit 1
}

offhub_now_ms() { date +%s%3N; }
