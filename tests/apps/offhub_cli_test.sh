#!/usr/bin/env bash
# The offhub CLI against offhub-emulator over HTTPS (its CA, host-name
# verification on): every command group, JSON, table and tsv out, IoT Hub's
# error names and each exit code (1 refused, 2 usage naming the flag, 3 not
# found, 4 unreachable, 5 job wait timeout); sim-device connected with the
# bare connection strings the CLI prints; queries over more than one page;
# the emulator's test-control plane (state, reset, clock, fault); and, with
# no connection string at all, the local emulator on its default ports.
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

# run <offhub args...>: must exit 0; stdout in $work/out, stderr in $work/err.
run() {
  local code=0
  "$bin/offhub" "$@" >"$work/out" 2>"$work/err" || code=$?
  [[ "$code" == 0 ]] || { cat "$work/err"; fail "offhub $* exited $code"; }
}
# stdout's lines that are `key<TAB>value` with this key (tsv of a single object).
tsv_value() { awk -F'\t' -v key="$1" '$1 == key { print $2 }' "$work/out"; }
json_length() { python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$1"; }

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
expect 3 'DeviceNotFound (404001)' -- device show nope
# connection-string: one bare line by default, ready for $(...); JSON when asked.
run device connection-string cli-1
[[ "$(wc -l <"$work/out")" == 1 && ! -s "$work/err" ]] || fail "device connection-string printed more than one line"
grep -qxE 'HostName=localhost;DeviceId=cli-1;SharedAccessKey=[A-Za-z0-9+/=]{44}' "$work/out" ||
  { cat "$work/out"; fail "device connection-string is not the bare connection string"; }
expect 0 '"connectionString": "HostName=localhost;DeviceId=cli-1;SharedAccessKey=' -- device connection-string cli-1 --output json
expect 3 'DeviceNotFound (404001)' -- device connection-string nope
expect 0 '"cli-1"' -- device list
expect 0 '"floor": 3' -- twin update cli-1 --patch '{"tags":{"site":"a"},"properties":{"desired":{"floor":3}}}'
expect 1 'PreconditionFailed (412001)' -- twin update cli-1 --patch '{"tags":{"x":1}}' --etag wrong
expect 2 '--patch: the value is not valid JSON' -- twin update cli-1 --patch '{not json'
expect 0 '"site": "a"' -- twin show cli-1
expect 0 '"deviceId": "cli-1"' -- query "SELECT * FROM devices WHERE tags.site = 'a'"
expect 1 'ArgumentInvalid (400004)' -- query "SELECT * FROM devices WHERE"
expect 1 'DeviceNotOnline (404103)' -- method invoke cli-1 reboot  # the device exists: 1, not 3
expect 3 'DeviceNotFound (404001)' -- method invoke nope reboot
expect 2 '--timeout: Value 1 not in range 5 to 300' -- method invoke cli-1 reboot --timeout 1

# twin update --desired/--tags (JSON or @FILE) instead of --patch.
echo '{"floor":8,"wing":"east"}' >"$work/desired.json"
expect 0 '"wing": "east"' -- twin update cli-1 --desired @"$work/desired.json" --tags '{"site":"b"}'
grep -qF '"floor": 8' "$work/out" || fail "twin update --desired @FILE did not set floor 8"
expect 0 '"site": "b"' -- twin show cli-1
expect 3 'DeviceNotFound (404001)' -- twin update nope --desired '{"floor":1}'

# --output table and tsv: columns for lists, key/value lines for one object; global flags after the command.
expect 0 'deviceId' -- device list --output table
grep -qxE 'deviceId +status +connectionState +authentication +lastActivityTime' "$work/out" || fail "device list -o table: header"
grep -qxE -- '-+ +-+ +-+ +-+ +-+' "$work/out" || fail "device list -o table: no rule under the header"
grep -qxE 'cli-1 +enabled +Disconnected +sas +0001-01-01T00:00:00' "$work/out" || fail "device list -o table: cli-1's row"
expect 0 'deviceId' -- device list -o tsv
[[ "$(head -1 "$work/out")" == $'deviceId\tstatus\tconnectionState\tauthentication\tlastActivityTime' ]] || fail "device list -o tsv: header"
grep -qxF $'cli-1\tenabled\tDisconnected\tsas\t0001-01-01T00:00:00' "$work/out" || fail "device list -o tsv: cli-1's row"
expect 0 'properties.desired.wing' -- -o tsv twin show cli-1
[[ "$(tsv_value properties.desired.wing)" == east && "$(tsv_value tags.site)" == b ]] || fail "twin show -o tsv: key/value lines"
expect 0 'deviceId' -- device show cli-1 --output table
grep -qxE 'deviceId +cli-1' "$work/out" || fail "device show -o table: key/value line"
expect 0 'deviceId' -- query "SELECT deviceId, tags.site AS site FROM devices WHERE deviceId = 'cli-1'" -o tsv
[[ "$(cat "$work/out")" == $'deviceId\tsite\ncli-1\tb' ]] || fail "query -o tsv: a projection's columns"
expect 0 'deviceId' -- query "SELECT * FROM devices WHERE deviceId = 'cli-1'" -o table
grep -qxE 'deviceId +status +connectionState +lastActivityTime +version' "$work/out" || fail "query -o table: twin columns"

# Device status and keys.
expect 0 '"statusReason": "under repair"' -- device update cli-1 --status disabled --status-reason 'under repair'
grep -qF '"status": "disabled"' "$work/out" || fail "device update --status disabled"
expect 0 '"status": "enabled"' -- device update cli-1 --status enabled
grep -qF '"statusReason": "under repair"' "$work/out" || fail "device update --status alone dropped the status reason"
expect 1 'PreconditionFailed (412001)' -- device update cli-1 --status enabled --etag wrong
expect 3 'DeviceNotFound (404001)' -- device update nope --status disabled
expect 0 'deviceId' -- device show cli-1 -o tsv
primary="$(tsv_value authentication.symmetricKey.primaryKey)" secondary="$(tsv_value authentication.symmetricKey.secondaryKey)"
expect 0 'deviceId' -- device regenerate-key cli-1 --key swap -o tsv
[[ "$(tsv_value authentication.symmetricKey.primaryKey)" == "$secondary" &&
   "$(tsv_value authentication.symmetricKey.secondaryKey)" == "$primary" ]] || fail "regenerate-key --key swap did not swap the keys"
expect 0 'deviceId' -- device regenerate-key cli-1 --key primary -o tsv
new_primary="$(tsv_value authentication.symmetricKey.primaryKey)"
[[ "$new_primary" =~ ^[A-Za-z0-9+/]{43}=$ && "$new_primary" != "$primary" && "$new_primary" != "$secondary" ]] ||
  fail "regenerate-key --key primary: no new 32-byte key ($new_primary)"
[[ "$(tsv_value authentication.symmetricKey.secondaryKey)" == "$primary" ]] || fail "regenerate-key --key primary changed the secondary key"
expect 0 "SharedAccessKey=$new_primary" -- device connection-string cli-1
expect 1 'PreconditionFailed (412001)' -- device regenerate-key cli-1 --key both --etag wrong
expect 3 'DeviceNotFound (404001)' -- device regenerate-key nope --key both

# Bad values and flags that do not go together: exit 2, naming the flag, before any hub is asked.
expect 2 '--output' -- device list --output yaml
expect 2 '--top' -- device list --top 1001
expect 2 '--top' -- query "SELECT * FROM devices" --top 0
expect 2 '--page-size' -- query "SELECT * FROM devices" --page-size 101
expect 2 'sql: must not be empty' -- query ' '
expect 2 '--status' -- device create bad --status on
expect 2 '--primary-key' -- device create bad --primary-key 'not-base64'
expect 2 'device-id: Invalid device id' -- device show 'bad/id'
expect 2 '--status' -- device update cli-1
expect 2 '--key' -- device regenerate-key cli-1 --key tertiary
expect 2 '--connect-timeout' -- method invoke cli-1 reboot --connect-timeout 301
expect 2 '--payload' -- method invoke cli-1 reboot --payload '{bad'
expect 2 'method-name: a method name may contain only' -- method invoke cli-1 'lock door'
expect 2 '--patch: required, or --desired and/or --tags' -- twin update cli-1
expect 2 'excludes' -- twin update cli-1 --patch '{}' --desired '{}'
expect 2 '--desired: must be a JSON object' -- twin update cli-1 --desired '[1]'
expect 2 "--tags: cannot read $work/none.json" -- twin update cli-1 --tags @"$work/none.json"
expect 2 '--module requires --device' -- monitor-events --module m1
expect 2 '--endpoint' -- --endpoint ftp://localhost:1 device list
expect 2 '--ca-file' -- device list --ca-file "$work/none.pem"
expect 2 '--device' -- --hub embedded --device 'bad/id' device list

# Modules of cli-1.
expect 0 '"moduleId": "mod-1"' -- module create cli-1 mod-1
expect 1 'ModuleAlreadyExistsOnDevice (409301)' -- module create cli-1 mod-1
expect 3 'DeviceNotFound (404001)' -- module create nope mod-1
expect 2 'module-id: Invalid module id' -- module create cli-1 'bad/id'
expect 0 '"moduleId": "mod-1"' -- module show cli-1 mod-1
expect 3 'ModuleNotFound (404010)' -- module show cli-1 nope
expect 2 'module-id' -- module show cli-1 ''
expect 0 '"moduleId": "mod-1"' -- module list cli-1
expect 0 'moduleId' -- module list cli-1 -o tsv
grep -qxF $'mod-1\tcli-1\tDisconnected\t\t0001-01-01T00:00:00' "$work/out" || fail "module list -o tsv: mod-1's row"
expect 3 'DeviceNotFound (404001)' -- module list nope
expect 0 ';DeviceId=cli-1;ModuleId=mod-1;SharedAccessKey=' -- module connection-string cli-1 mod-1
expect 0 '"moduleId": "mod-1"' -- module regenerate-key cli-1 mod-1 --key secondary
expect 3 'ModuleNotFound (404010)' -- module regenerate-key cli-1 nope --key secondary
expect 0 '"moduleId": "mod-1"' -- twin update cli-1 --module mod-1 --patch '{"properties":{"desired":{"floor":5}}}'
expect 1 'PreconditionFailed (412001)' -- twin update cli-1 --module mod-1 --patch '{"tags":{"x":1}}' --etag wrong
expect 0 '"floor": 5' -- twin show cli-1 --module mod-1
expect 3 'ModuleNotFound (404010)' -- twin show cli-1 --module nope
expect 2 '--module' -- twin show cli-1 --module ''
expect 1 'DeviceNotOnline (404103)' -- method invoke cli-1 reboot --module mod-1
expect 3 'ModuleNotFound (404010)' -- method invoke cli-1 reboot --module nope

# sim-device with the module's connection string, as connection-string prints it, connects as the module.
"$bin/sim-device" --connection-string "$("$bin/offhub" module connection-string cli-1 mod-1)" >"$work/module.out" 2>&1 &
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
# job list --type: method and twin, or IoT Hub's names; --status: IoT Hub's statuses, any case.
expect 0 '"jobId": "cli-job-1"' -- job list --type twin
grep -qF 'cli-job-2' "$work/out" && fail "job list --type twin listed the method job"
expect 0 '"jobId": "cli-job-2"' -- job list --type method --status CANCELLED
grep -qF 'cli-job-1' "$work/out" && fail "job list --type method listed the twin job"
expect 0 '"jobId": "cli-job-2"' -- job list --type scheduleDeviceMethod
expect 0 '[]' -- job list --status enqueued
expect 0 'jobId' -- job list --type twin -o table
grep -qxE 'jobId +type +status +startTime +endTime +devices +succeeded +failed' "$work/out" || fail "job list -o table: header"
grep -qE '^cli-job-1 +scheduleUpdateTwin +completed +[0-9TZ:.-]+ +[0-9TZ:.-]+ +1 +1 +0$' "$work/out" || fail "job list -o table: cli-job-1's row"
expect 0 'deviceId' -- query "SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'cli-job-1'" -o tsv
grep -qE $'^cli-1\tcli-job-1\tscheduleUpdateTwin\tcompleted\t' "$work/out" || fail "query devices.jobs -o tsv: its row"
expect 2 "--type: 'reboot' is none of" -- job list --type reboot
expect 2 "--status: 'done' is none of" -- job list --status done
# A twin job from --desired; a job's flags checked against its type.
expect 0 '"status": "queued"' -- job create cli-job-3 --type TWIN --query "deviceId = 'cli-1'" --desired '{"floor":9}'
expect 0 '"succeededCount": 1' -- job wait cli-job-3 --poll 1
expect 0 '"floor": 9' -- twin show cli-1
expect 2 'required' -- job create
expect 2 '--method: only method jobs' -- job create bad-1 --type twin --query '*' --desired '{"a":1}' --method reboot
expect 2 '--timeout: only method jobs' -- job create bad-1 --type twin --query '*' --desired '{"a":1}' --timeout 10
expect 2 '--patch: only twin jobs' -- job create bad-1 --type method --query '*' --method reboot --patch '{"tags":{"a":1}}'
expect 2 '--desired: only twin jobs' -- job create bad-1 --type method --query '*' --method reboot --desired '{"a":1}'
expect 2 '--method: a method job' -- job create bad-1 --type method --query '*'
expect 2 '--patch: required' -- job create bad-1 --type twin --query '*'
expect 2 '--patch: desired properties belong under properties.desired' -- job create bad-1 --type twin --query '*' --patch '{"desired":{"a":1}}'
expect 2 '--patch: a job' -- job create bad-1 --type twin --query '*' --patch '{"etag":"x","tags":{"a":1}}'
expect 2 '--start: 2001-01-01T00:00:00Z is in the past' -- job create bad-1 --type method --query '*' --method reboot --start 2001-01-01T00:00:00Z
expect 2 '--start: not an ISO 8601 time' -- job create bad-1 --type method --query '*' --method reboot --start tomorrow
expect 2 '--max-execution' -- job create bad-1 --type method --query '*' --method reboot --max-execution 0
expect 2 '--timeout' -- job create bad-1 --type method --query '*' --method reboot --timeout 301
expect 2 '--query: must not be empty' -- job create bad-1 --type method --query ' ' --method reboot
expect 2 "--type: 'reboot' is none of" -- job create bad-1 --type reboot --query '*'
expect 2 'job-id: a job id may contain only' -- job show 'bad/id'
expect 2 '--timeout' -- job wait cli-job-1 --timeout 0
expect 2 '--poll' -- job wait cli-job-1 --poll 0
expect 3 'JobNotFound (404002)' -- job show bad-1  # none of the above reached the hub
expect 3 'JobNotFound (404002)' -- job wait bad-1
expect 1 'PreconditionFailed (412' -- module delete cli-1 mod-1 --etag wrong
expect 0 '"deleted": "cli-1/mod-1"' -- module delete cli-1 mod-1
expect 3 'ModuleNotFound (404010)' -- module show cli-1 mod-1
expect 0 '"deleted": "cli-1"' -- device delete cli-1
# The test-control plane: state export -> reset -> import brings a device back with its key.
expect 0 '"deviceId": "cli-state"' -- device create cli-state
key="$("$bin/offhub" device show cli-state | sed -n 's/.*"primaryKey": "\(.*\)".*/\1/p')"
[[ -n "$key" ]] || fail "device show cli-state printed no primary key"
expect 0 '"file": ' -- state export "$work/state.json"
grep -qF "\"primaryKey\": \"$key\"" "$work/state.json" || fail "the exported state lacks cli-state's key"
expect 0 "\"primaryKey\": \"$key\"" -- state export  # to stdout
expect 0 '"devices": 0' -- reset
expect 3 'DeviceNotFound (404001)' -- device show cli-state
expect 0 '"devices": 1' -- state import "$work/state.json"
expect 0 "\"primaryKey\": \"$key\"" -- device show cli-state
echo '{"devices":[{"deviceId":"other","status":"enabled","keys":{"primaryKey":"!"}}]}' >"$work/bad-state.json"
expect 1 'ArgumentInvalid (400004): $.devices[0].keys.primaryKey' -- state import "$work/bad-state.json"
expect 0 '"deviceId": "cli-state"' -- device show cli-state  # all or nothing: the hub kept its state
expect 1 'IotHubFormatError' -- state import - <<<'{not json'
expect 2 'File does not exist' -- state import "$work/no-such-file.json"
expect 2 'no test-control plane' -- --hub embedded reset

# The clock, and job wait/watch: 0 completed cleanly, 1 failed devices, 5 timeout.
expect 0 '"mode": "real"' -- clock show
expect 0 'mode' -- clock show -o tsv
[[ "$(tsv_value mode)" == real ]] || fail "clock show -o tsv"
expect_stderr 1 'ClockNotManual (409901)' -- clock advance 10
[[ ! -s "$work/out" ]] || fail "clock advance in real time printed on stdout"
expect 2 'seconds: must be a number from 0 to 316224000, not -1' -- clock advance -1
expect 0 '"status": "queued"' -- job create cli-wait-twin --type twin --query "deviceId = 'cli-state'" --patch '{"properties":{"desired":{"floor":7}}}'
expect 0 '"succeededCount": 1' -- job wait cli-wait-twin --poll 1
expect 0 '"status": "queued"' -- job create cli-wait-later --type method --query "*" --method reboot --start 2099-01-01T00:00:00Z
started="$(offhub_now_ms)"
expect_stderr 5 'still scheduled after --timeout 1 s' -- job wait cli-wait-later --timeout 1 --poll 1
(( $(offhub_now_ms) - started >= 1000 )) || fail "job wait --timeout 1 gave up before a second had passed"
expect 0 '"mode": "manual"' -- clock freeze
expect 0 '"mode": "manual"' -- clock show
# cli-state is offline: its method call waits for it until the job's window closes.
expect 0 '"status": "queued"' -- job create cli-wait-offline --type method --query "deviceId = 'cli-state'" --method reboot --max-execution 60
expect_stderr 5 'after --timeout 1 s' -- job wait cli-wait-offline --timeout 1 --poll 1
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
expect 2 'excludes --drop' -- fault set cli-state --drop --status 500
expect 2 '--payload requires --status' -- fault set cli-state --payload '{"e":1}'
expect 2 'excludes --json' -- fault set cli-state --json '{}' --connect refuse
expect 3 'DeviceNotFound (404001)' -- fault show nobody
expect 3 'ModuleNotFound (404010)' -- fault set cli-state --module nomod --desired drop
expect 0 '"status": 429' -- fault set cli-state --json '{"reported":{"status":429}}'
expect 0 '{}' -- fault clear cli-state
expect 0 '{}' -- fault show cli-state
expect 0 '"floor": 3' -- --hub embedded twin update myDeviceId --patch '{"properties":{"desired":{"floor":3}}}'
expect 0 '"status": 200' -- --hub embedded method invoke myDeviceId lockDoor
IOTHUB_CONNECTION_STRING="HostName=localhost;SharedAccessKeyName=iothubowner" expect 2 'SharedAccessKey' -- device list
expect 2 '--connection-string' -- device list --connection-string 'HostName=localhost'
expect 2 '--device requires --hub' -- device list --device d9
code=0; "$bin/sim-device" --connection-string 'HostName=localhost;DeviceId=d1' >"$work/out" 2>&1 || code=$?
[[ "$code" == 2 ]] && grep -qF -- '--connection-string' "$work/out" || { cat "$work/out"; fail "sim-device, a key-less connection string: exit $code"; }
# Nothing listens on port 1: 4, for the service ports and the control plane alike.
OFFHUB_ENDPOINT="https://localhost:1" expect_stderr 4 'ServiceUnavailable (503001)' -- device list
OFFHUB_ENDPOINT="https://127.0.0.1:1" expect_stderr 4 'Connection refused' -- clock show

# Queries return every page: 250 devices, the hub's pages hold 100.
python3 -c 'import json; print(json.dumps({"devices": [{"deviceId": "bulk-%03d" % i} for i in range(250)]}))' >"$work/bulk.json"
expect 0 '"devices": 250' -- state import "$work/bulk.json"
run query "SELECT deviceId FROM devices"
[[ ! -s "$work/err" ]] || fail "query without --top wrote on stderr: $(cat "$work/err")"
python3 -c 'import json, sys; ids = {d["deviceId"] for d in json.load(open(sys.argv[1]))}; sys.exit(len(ids) != 250)' "$work/out" ||
  fail "query did not return 250 different devices"
expect_stderr 0 'showing the first 120 results (--top 120); the hub has more' -- query "SELECT deviceId FROM devices" --top 120
[[ "$(json_length "$work/out")" == 120 ]] || fail "query --top 120 did not return 120 results"
run query "SELECT deviceId FROM devices" --top 250 --page-size 50
[[ "$(json_length "$work/out")" == 250 && ! -s "$work/err" ]] || fail "query --top 250: not all 250, or a note though nothing was left"
expect_stderr 0 'the hub has more' -- query "SELECT deviceId FROM devices" --top 20 --page-size 7
[[ "$(json_length "$work/out")" == 20 ]] || fail "query --top 20 --page-size 7 did not return 20 results"
run query "SELECT deviceId FROM devices" -o tsv
[[ "$(wc -l <"$work/out")" == 251 ]] || fail "query -o tsv: not a header and 250 lines"

# No connection string anywhere: the local emulator, said in one line on stderr.
# A command prefix: no hub settings, and a home of its own (where the emulator's default CA goes).
no_hub=(env -u IOTHUB_CONNECTION_STRING -u OFFHUB_ENDPOINT -u OFFHUB_CA_FILE -u OFFHUB_DEVICE_ENDPOINT
        HOME="$work/home" XDG_STATE_HOME="$work/home/state")
port_free() { python3 -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }
note='offhub: no IOTHUB_CONNECTION_STRING; using the local emulator at'
code=0; "${no_hub[@]}" "$bin/offhub" --endpoint https://127.0.0.1:1 device show x >"$work/out" 2>"$work/err" || code=$?
grep -qxF "$note https://127.0.0.1:1" "$work/err" || { cat "$work/err"; fail "no note naming the local emulator's endpoint"; }
[[ "$code" == 4 ]] || fail "the local emulator at an unreachable endpoint: exit $code, not 4"
code=0; "${no_hub[@]}" "$bin/offhub" device show x >"$work/out" 2>"$work/err" || code=$?
grep -qxF "$note http://localhost:8080" "$work/err" || { cat "$work/err"; fail "without its CA the local emulator is not http://localhost:8080"; }
if port_free 8080; then [[ "$code" == 4 ]] || fail "nothing on 8080: exit $code, not 4"; fi
if port_free 8443 && port_free 8883; then
  # The emulator with no flags but plain ports off: its CA lands in the default folder, and everything finds it.
  HOME="$work/home" XDG_STATE_HOME="$work/home/state" offhub_launch_emulator local "$bin" --http-port 0 --mqtt-port 0
  offhub_wait_ready local || fail "the emulator on its default ports did not start"
  code=0; "${no_hub[@]}" "$bin/offhub" device create local-1 >"$work/out" 2>"$work/err" || code=$?
  [[ "$code" == 0 ]] || { cat "$work/err"; fail "device create on the local emulator exited $code"; }
  grep -qxF "$note https://localhost:8443" "$work/err" || { cat "$work/err"; fail "no note naming https://localhost:8443"; }
  "${no_hub[@]}" "$bin/sim-device" --connection-string "$("${no_hub[@]}" "$bin/offhub" device connection-string local-1 2>/dev/null)" \
    >"$work/local-device.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    "${no_hub[@]}" "$bin/offhub" device show local-1 2>/dev/null | grep -qF '"connectionState": "Connected"' && break
    sleep 0.1
  done
  "${no_hub[@]}" "$bin/offhub" device show local-1 2>/dev/null | grep -qF '"connectionState": "Connected"' ||
    { cat "$work/local-device.out"; fail "sim-device did not reach the local emulator on mqtts://localhost:8883 with its CA"; }
  "${no_hub[@]}" "$bin/schedule-job-service" --poll 1 --query "deviceId IN ['local-1']" >/dev/null 2>"$work/local-service.err" ||
    { cat "$work/local-service.err"; fail "schedule-job-service on the local emulator"; }
  grep -qF 'Scheduling jobs on the local emulator at https://localhost:8443' "$work/local-service.err" ||
    fail "schedule-job-service did not say it uses the local emulator"
  grep -q 'Locking Door!' "$work/local-device.out" || fail "the local device did not lock the door"
else
  echo "offhub CLI: ports 8443/8883 taken, the local emulator's defaults were checked against unreachable ports only"
fi
echo "offhub CLI: all commands answered as expected"
