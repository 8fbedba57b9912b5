#!/usr/bin/env bash
# The offhub CLI against offhub-emulator over HTTPS (its CA, host-name
# verification on): every command group, JSON out, IoT Hub's error names and
# exit codes on failure; sim-device connected as a module with the module
# connection string the CLI prints; the emulator's test-control plane (state,
# reset, clock, fault) and job wait/watch's exit codes.
#   offhub_cli_test.sh <build/bin>
set -euo pipefail
bin="$1"
source "$(dirname "$0")/../../scripts/lib/emulator.sh"
offhub_work_dir
fail() { echo "FAIL: $*"; exit 1; }
expect() {  # expect <exit code> <text the output must contain> -- <offhub args...>
  local want_code="$1" want_text="$2"; shift 3
  local code=0
  "$bin/offhub" "$@" >"$work/out" 2>&1 || code=$?
  [[ "$code" == "$want_code" ]] || { cat "$work/out"; fail "offhub $* exited $code, not $want_code"; }
  grep -qF -- "$want_text" "$work/out" || { cat "$work/out"; fail "offhub $*: no '$want_text' in the output"; }
}

# expect_stderr: as expect, with the text on stderr and nothing but JSON (or nothing) on stdout.
expect_stderr() {  # expect_stderr <exit code> <text stderr must contain> -- <offhub args...>
  local want_code="$1" want_text="$2"; shift 3
  local code=0
  "$bin/offhub" "$@" >"$work/out" 2>"$work/err" || code=$?
  [[ "$code" == "$want_code" ]] || { cat "$work/out" "$work/err"; fail "offhub $* exited $code, not $want_code"; }
  grep -qF -- "$want_text" "$work/err" || { cat "$work/err"; fail "offhub $*: no '$want_text' on stderr"; }
  if [[ -s "$work/out" ]]; then python3 -m json.tool "$work/out" >/dev/null || fail "offhub $*: stdout is not JSON"; fi
}

offhub_start_emulator "$bin" || fail "the emulator did not start"
# Retries `offhub <args>` for a few seconds until its output contains the text.
wait_for() {  # wait_for <text> -- <offhub args...>
  local want_text="$1"; shift 2
  for _ in $(seq 1 100); do
    "$bin/offhub" "$@" 2>&1 | grep -qF -- "$want_text" && return 0
    sleep 0.1
  done
  "$bin/offhub" "$@" || true
  fail "offhub $*: no '$want_text' in the output after waiting"
}

# The banner's export lines are ready to paste: they say what this script set up by hand.
for variable in OFFHUB_ENDPOINT OFFHUB_DEVICE_ENDPOINT OFFHUB_CA_FILE; do
  grep -qxF "export $variable=${!variable}" "$work/emulator.out" || { cat "$work/emulator.out"; fail "no 'export $variable=${!variable}' in the emulator's banner"; }
done
for program in offhub offhub-emulator offhub-fleet sim-device schedule-job-service; do
  "$bin/$program" --version | grep -qx "$program [0-9]*\.[0-9]*\.[0-9]*" || fail "$program --version"
done
expect 0 'offhub: devices, modules, twins' -- --help
expect 0 '"deviceId": "cli-1"' -- device create cli-1
expect 1 'DeviceAlreadyExists (409001)' -- device create cli-1
expect 0 '"status": "enabled"' -- device show cli-1
expect 1 'DeviceNotFound (404001)' -- device show nope
expect 0 'SharedAccessKey=' -- device connection-string cli-1
expect 0 '"cli-1"' -- device list
expect 0 '"floor": 3' -- twin update cli-1 --patch '{"tags":{"site":"a"},"properties":{"desired":{"floor":3}}}'
expect 1 'PreconditionFailed (412001)' -- twin update cli-1 --patch '{"tags":{"x":1}}' --etag wrong
expect 1 'ArgumentInvalid' -- twin update cli-1 --patch '{not json'
expect 0 '"site": "a"' -- twin show cli-1
expect 0 '"deviceId": "cli-1"' -- query "SELECT * FROM devices WHERE tags.site = 'a'"
expect 1 'ArgumentInvalid (400004)' -- query "SELECT * FROM devices WHERE"
expect 1 'DeviceNotOnline (404103)' -- method invoke cli-1 reboot
expect 1 'ArgumentInvalid' -- method invoke cli-1 reboot --timeout 1

# Modules of cli-1.
expect 0 '"moduleId": "mod-1"' -- module create cli-1 mod-1
expect 1 'ModuleAlreadyExistsOnDevice (409301)' -- module create cli-1 mod-1
expect 1 'DeviceNotFound (404001)' -- module create nope mod-1
expect 1 'ArgumentInvalid' -- module create cli-1 'bad/id'
expect 0 '"moduleId": "mod-1"' -- module show cli-1 mod-1
expect 1 'ModuleNotFound (404010)' -- module show cli-1 nope
expect 1 'ArgumentInvalid' -- module show cli-1 ''
expect 0 '"moduleId": "mod-1"' -- module list cli-1
expect 1 'DeviceNotFound (404001)' -- module list nope
expect 0 ';DeviceId=cli-1;ModuleId=mod-1;SharedAccessKey=' -- module connection-string cli-1 mod-1
expect 0 '"moduleId": "mod-1"' -- twin update cli-1 --module mod-1 --patch '{"properties":{"desired":{"floor":5}}}'
expect 1 'PreconditionFailed (412001)' -- twin update cli-1 --module mod-1 --patch '{"tags":{"x":1}}' --etag wrong
expect 0 '"floor": 5' -- twin show cli-1 --module mod-1
expect 1 'ModuleNotFound (404010)' -- twin show cli-1 --module nope
expect 1 'ArgumentInvalid' -- twin show cli-1 --module ''
expect 1 'DeviceNotOnline (404103)' -- method invoke cli-1 reboot --module mod-1
expect 1 'ModuleNotFound (404010)' -- method invoke cli-1 reboot --module nope

# sim-device with the module's connection string connects as the module.
IOTHUB_DEVICE_CONNECTION_STRING="$("$bin/offhub" module connection-string cli-1 mod-1 |
  sed -n 's/.*"connectionString": "\(.*\)".*/\1/p')" "$bin/sim-device" >"$work/module.out" 2>&1 &
pids+=($!)
wait_for '"connectionState": "Connected"' -- module show cli-1 mod-1
expect 0 '"connectionState": "Disconnected"' -- device show cli-1
expect 0 '"status": 200' -- method invoke cli-1 lockDoor --module mod-1
grep -q 'Locking Door!' "$work/module.out" || { cat "$work/module.out"; fail "the module did not lock the door"; }
expect 1 'DeviceNotOnline (404103)' -- method invoke cli-1 lockDoor
expect 0 '"floor": 6' -- twin update cli-1 --module mod-1 --patch '{"properties":{"desired":{"floor":6}}}'
# sim-device reports each desired change back: it shows in the module's reported properties.
wait_for '"floor": 6' -- query "SELECT properties.reported FROM devices.modules WHERE moduleId = 'mod-1'"
expect 0 '"status": "queued"' -- job create cli-job-1 --type twin --query "deviceId = 'cli-1'" --patch '{"properties":{"desired":{"floor":4}}}'
expect 0 '"status": "completed"' -- job watch cli-job-1 --poll 1
expect 0 '"succeededCount": 1' -- job show cli-job-1
expect 0 '"status": "queued"' -- job create cli-job-2 --type method --query "*" --method reboot --start 2099-01-01T00:00:00Z
expect 0 '"status": "cancelled"' -- job cancel cli-job-2
expect 0 '"jobId": "cli-job-2"' -- job list --status cancelled
expect 0 '"jobId": "cli-job-1"' -- query "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'cli-job-1'"
expect 2 'required' -- job create
expect 1 'PreconditionFailed (412' -- module delete cli-1 mod-1 --etag wrong
expect 0 '"deleted": "cli-1/mod-1"' -- module delete cli-1 mod-1
expect 1 'ModuleNotFound (404010)' -- module show cli-1 mod-1
expect 0 '"deleted": "cli-1"' -- device delete cli-1
# The test-control plane: state export -> reset -> import brings a device back with its key.
expect 0 '"deviceId": "cli-state"' -- device create cli-state
key="$("$bin/offhub" device show cli-state | sed -n 's/.*"primaryKey": "\(.*\)".*/\1/p')"
[[ -n "$key" ]] || fail "device show cli-state printed no primary key"
expect 0 '"file": ' -- state export "$work/state.json"
grep -qF "\"primaryKey\": \"$key\"" "$work/state.json" || fail "the exported state lacks cli-state's key"
expect 0 "\"primaryKey\": \"$key\"" -- state export  # to stdout
expect 0 '"devices": 0' -- reset
expect 1 'DeviceNotFound (404001)' -- device show cli-state
expect 0 '"devices": 1' -- state import "$work/state.json"
expect 0 "\"primaryKey\": \"$key\"" -- device show cli-state
echo '{"devices":[{"deviceId":"other","status":"enabled","keys":{"primaryKey":"!"}}]}' >"$work/bad-state.json"
expect 1 'ArgumentInvalid (400004): $.devices[0].keys.primaryKey' -- state import "$work/bad-state.json"
expect 0 '"deviceId": "cli-state"' -- device show cli-state  # all or nothing: the hub kept its state
expect 1 'IotHubFormatError' -- state import - <<<'{not json'
expect 2 'File does not exist' -- state import "$work/no-such-file.json"
expect 2 'no test-control plane' -- --hub embedded reset

# The clock, and job wait/watch: 0 completed cleanly, 1 failed devices, 3 timeout.
expect 0 '"mode": "real"' -- clock show
expect_stderr 1 'ClockNotManual (409901)' -- clock advance 10
[[ ! -s "$work/out" ]] || fail "clock advance in real time printed on stdout"
expect 2 'at least 0' -- clock advance -1
expect 0 '"status": "queued"' -- job create cli-wait-twin --type twin --query "deviceId = 'cli-state'" --patch '{"properties":{"desired":{"floor":7}}}'
expect 0 '"succeededCount": 1' -- job wait cli-wait-twin --poll 1
expect 0 '"status": "queued"' -- job create cli-wait-later --type method --query "*" --method reboot --start 2099-01-01T00:00:00Z
started="$(offhub_now_ms)"
expect_stderr 3 'still scheduled after --timeout 1 s' -- job wait cli-wait-later --timeout 1 --poll 1
(( $(offhub_now_ms) - started >= 1000 )) || fail "job wait --timeout 1 gave up before a second had passed"
expect 0 '"mode": "manual"' -- clock freeze
expect 0 '"mode": "manual"' -- clock show
# cli-state is offline: its method call waits for it until the job's window closes.
expect 0 '"status": "queued"' -- job create cli-wait-offline --type method --query "deviceId = 'cli-state'" --method reboot --max-execution 60
expect_stderr 3 'after --timeout 1 s' -- job wait cli-wait-offline --timeout 1 --poll 1
expect 0 '"mode": "manual"' -- clock advance 120
expect_stderr 1 'device cli-state failed: JobRunPreconditionFailed' -- job wait cli-wait-offline --timeout 20 --poll 1
grep -qF '"failedCount": 1' "$work/out" || fail "job wait printed no final job on stdout"
expect_stderr 1 'completed with 1 failed device(s)' -- job watch cli-wait-offline --poll 1
grep -qF '1 failed' "$work/err" || fail "job watch printed no progress line"
if grep -q $'\r' "$work/err"; then fail "job watch wrote carriage returns to a file"; fi
expect 0 '"status": "cancelled"' -- job cancel cli-wait-later
expect_stderr 1 'job cli-wait-later cancelled' -- job wait cli-wait-later
expect 0 '"now": "2030-01-01T00:00:00.0000000Z"' -- clock freeze 2030-01-01T00:00:00Z
expect 0 '"now": "2030-01-01T00:01:30.0000000Z"' -- clock advance 90
expect 1 'never goes back' -- clock freeze 2029-01-01T00:00:00Z
expect 2 'not an ISO 8601 time' -- clock freeze yesterday
expect 0 '"mode": "real"' -- clock resume
expect 0 '"mode": "real"' -- clock show
grep -qF '"now": "2030-01-01T00:01:3' "$work/out" || { cat "$work/out"; fail "the clock did not resume from where it stood"; }
# Faults: set replaces, show reads back, clear empties; bad flags exit 2 naming the flag.
expect 0 '"connect": "refuse"' -- fault set cli-state --connect refuse --method reboot --status 500 --payload '{"e":1}'
expect 0 '"status": 500' -- fault show cli-state
expect 0 '"drop": true' -- fault set cli-state --drop
grep -qF '"*"' "$work/out" || fail "fault set --drop without --method did not apply to every method"
grep -qF 'refuse' "$work/out" && fail "fault set did not replace the faults set before"
expect 2 '--connect' -- fault set cli-state --connect refused
expect 2 '--reported-status' -- fault set cli-state --reported-status 200
expect 2 '--latency-ms' -- fault set cli-state --latency-ms -5
expect 1 'excludes --status' -- fault set cli-state --drop --status 500
expect 1 'DeviceNotFound (404001)' -- fault show nobody
expect 1 'ModuleNotFound (404010)' -- fault set cli-state --module nomod --desired drop
expect 0 '"status": 429' -- fault set cli-state --json '{"reported":{"status":429}}'
expect 0 '{}' -- fault clear cli-state
expect 0 '{}' -- fault show cli-state
expect 0 '"floor": 3' -- --hub embedded twin update myDeviceId --patch '{"properties":{"desired":{"floor":3}}}'
expect 0 '"status": 200' -- --hub embedded method invoke myDeviceId lockDoor
IOTHUB_CONNECTION_STRING="HostName=localhost;SharedAccessKeyName=iothubowner" expect 2 'SharedAccessKey' -- device list
OFFHUB_ENDPOINT="https://localhost:1" expect 1 'ServiceUnavailable' -- device list
echo "offhub CLI: all commands answered as expected"
