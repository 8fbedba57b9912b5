#!/usr/bin/env bash
# offhub-fleet against offhub-emulator, both as processes, over TLS: bad
# flags exit 2; 200 devices on 2 worker processes connect; a method job over
# all of them completes with 200 answers, each device called once; a twin
# job reaches each device once and it reports back; SIGTERM ends the fleet
# cleanly with a JSON summary; SIGKILL of the parent leaves no worker behind.
#   offhub_fleet_processes_test.sh <build/bin>
set -euo pipefail
bin="$1"
source "$(dirname "$0")/../../scripts/lib/emulator.sh"
offhub_work_dir
fail() { echo "FAIL: $*"; for f in "$work"/*.out "$work"/*.err; do echo "--- $f"; tail -n 20 "$f"; done; exit 1; }
offhub_start_emulator "$bin" || fail "the emulator did not start"
fleet="$bin/offhub-fleet"

# Bad configuration: exit 2 and a line naming the flag.
expect_usage_error() {
  local flag="$1"; shift
  local code=0
  "$fleet" "$@" >"$work/usage.out" 2>"$work/usage.err" || code=$?
  [[ "$code" == 2 ]] || fail "offhub-fleet $* exited $code, not 2"
  grep -q -- "$flag" "$work/usage.err" || fail "offhub-fleet $*: the error does not name $flag: $(cat "$work/usage.err")"
}
expect_usage_error --devices --devices 0
expect_usage_error --devices --prefix x-
expect_usage_error --method --devices 5 --method 'reboot=99'
expect_usage_error --method --devices 5 --method 'reboot=200:10:{bad'
expect_usage_error --output --devices 5 --output yaml
expect_usage_error --devices-per-worker --devices 5 --devices-per-worker 100000000
expect_usage_error --device-endpoint --devices 5 --device-endpoint 'ftp://x:1'
(unset IOTHUB_CONNECTION_STRING; expect_usage_error --connection-string --devices 5)
"$fleet" --help | grep -q 'Exit codes' || fail "--help does not document the exit codes"
"$fleet" --version | grep -q 'offhub-fleet' || fail "--version"

# 200 devices, 100 per worker: two worker processes.
"$fleet" --prefix fleet- --devices 200 --devices-per-worker 100 --progress-interval 100 --output json \
  --method 'reboot=200:5:{"rebooted":true}' >"$work/fleet.out" 2>"$work/fleet.err" &
fleet_pid=$!
pids+=("$fleet_pid")
connected() { grep -q '200/200 connected' "$work/fleet.err"; }
for _ in $(seq 1 300); do connected && break; sleep 0.1; done
connected || fail "the fleet did not connect 200 devices in 30 s"
workers=($(pgrep -P "$fleet_pid"))
[[ "${#workers[@]}" == 2 ]] || fail "expected 2 worker processes, found ${#workers[@]}"

job() {  # job <id> <offhub job create flags...>: creates the job, prints the finished job
  local id="$1"; shift
  "$bin/offhub" job create "$id" --query '*' "$@" >"$work/$id-create.out" || fail "job create $id"
  "$bin/offhub" job watch "$id" --poll 1 2>/dev/null >"$work/$id.out" || fail "job watch $id"
}
job reboot-all --type method --method reboot --timeout 10
[[ "$(jq -r .status "$work/reboot-all.out")" == completed ]] || fail "the method job did not complete"
[[ "$(jq .deviceJobStatistics.succeededCount "$work/reboot-all.out")" == 200 ]] || fail "the method job: not 200 answers"
job floor-3 --type twin --patch '{"etag":"*","properties":{"desired":{"floor":3}}}'
[[ "$(jq .deviceJobStatistics.succeededCount "$work/floor-3.out")" == 200 ]] || fail "the twin job: not 200 twins"
seen() { grep -q 'desired: 200 seen, 200 reported' "$work/fleet.err"; }
for _ in $(seq 1 100); do seen && break; sleep 0.1; done
seen || fail "the fleet did not see 200 desired patches"
"$bin/offhub" twin show fleet-123 | jq -e '.properties.reported.floor == 3' >/dev/null \
  || fail "fleet-123 did not report floor 3 back"

# SIGTERM: clean stop, exit 0, a JSON summary with every device called once.
kill -TERM "$fleet_pid"
code=0
wait "$fleet_pid" || code=$?
[[ "$code" == 0 ]] || fail "the fleet exited $code after SIGTERM"
summary="$work/fleet.out"
jq -e '.connected == 200 and .workers == 2 and .failedWorkers == []' "$summary" >/dev/null || fail "summary: $(cat "$summary")"
jq -e '.methodCalls.byMethod.reboot == {"received":200,"perDevice":{"min":1,"max":1}}' "$summary" >/dev/null \
  || fail "each device should have been called once: $(cat "$summary")"
jq -e '.methodCalls.answered == 200 and .desiredPatches.perDevice == {"min":1,"max":1}' "$summary" >/dev/null \
  || fail "answers or desired patches: $(cat "$summary")"
for w in "${workers[@]}"; do kill -0 "$w" 2>/dev/null && fail "worker $w outlived a clean stop"; done

# SIGKILL of the parent: the workers follow it (PR_SET_PDEATHSIG).
"$fleet" --prefix fleet- --devices 20 --devices-per-worker 10 --progress-interval 100 >"$work/killed.out" 2>"$work/killed.err" &
killed_pid=$!
for _ in $(seq 1 100); do grep -q '20/20 connected' "$work/killed.err" && break; sleep 0.1; done
workers=($(pgrep -P "$killed_pid"))
[[ "${#workers[@]}" == 2 ]] || fail "expected 2 worker processes of the second fleet, found ${#workers[@]}"
kill -KILL "$killed_pid"
wait "$killed_pid" 2>/dev/null || true
for _ in $(seq 1 50); do
  alive=0
  for w in "${workers[@]}"; do kill -0 "$w" 2>/dev/null && alive=1; done
  [[ "$alive" == 0 ]] && break
  sleep 0.1
done
[[ "$alive" == 0 ]] || fail "a worker outlived its killed parent"
echo "offhub-fleet: 200 devices on 2 workers, method and twin jobs reached each once, clean and killed stops"
