#!/usr/bin/env bash
# Starts offhub-emulator on IoT Hub's own ports (HTTPS 443, MQTTS 8883, as the
# official SDKs insist on), then runs the scenarios (src/test/java) with the
# official Java SDKs as clients, through Maven, offline, from the repo-local
# Maven repository that scripts/test.sh fills (.m2).
#
# The emulator's CA is trusted as a Java user trusts a private CA: a trust
# store made with keytool, passed as javax.net.ssl.trustStore (the service
# clients and the device clients); module clients also show the SDK's own
# way, ClientOptions.sslContext.
#   OFFHUB_EMULATOR=<path to offhub-emulator> [OFFHUB_JAVA_BUILD_DIR=<dir>] tests/compat/java/run.sh [-Dtest=Pattern]
# (classes and reports go to OFFHUB_JAVA_BUILD_DIR, by default tests/compat/java/target)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${OFFHUB_EMULATOR:?set OFFHUB_EMULATOR to the offhub-emulator binary}"

tls_dir="$(mktemp -d "${TMPDIR:-/tmp}/offhub-compat-tls-XXXXXX")"
emulator_pid=""
cleanup() {
  if [[ -n $emulator_pid ]]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$tls_dir"
}
trap cleanup EXIT

# The Java device SDK refuses a HostName without a dot ("[iotHubName].[...]"), so
# the hub is named by its address, which its certificate also holds.
"$OFFHUB_EMULATOR" --hostname 127.0.0.1 --https-port 443 --mqtts-port 8883 --http-port 0 --mqtt-port 0 \
  --tls-dir "$tls_dir" --log-level warn >"$tls_dir/emulator.out" &
emulator_pid=$!

connection_string=""
for _ in $(seq 200); do
  connection_string="$(sed -n 's/^IOTHUB_CONNECTION_STRING=//p' "$tls_dir/emulator.out")"
  [[ -n $connection_string ]] && break
  kill -0 "$emulator_pid" 2>/dev/null || { echo "run.sh: the emulator exited" >&2; exit 1; }
  sleep 0.1
done
[[ -n $connection_string ]] || { echo "run.sh: the emulator did not become ready" >&2; exit 1; }

keytool -importcert -noprompt -alias offhub-ca -file "$tls_dir/ca.pem" \
  -keystore "$tls_dir/truststore.p12" -storetype PKCS12 -storepass offhub-compat >/dev/null

IOTHUB_CONNECTION_STRING="$connection_string" OFFHUB_CA_FILE="$tls_dir/ca.pem" \
  mvn -o -B --no-transfer-progress -f "$here/pom.xml" -Dmaven.repo.local="$here/.m2" \
  -Dcompat.build.directory="${OFFHUB_JAVA_BUILD_DIR:-$here/target}" \
  -DargLine="-Djavax.net.ssl.trustStore=$tls_dir/truststore.p12 -Djavax.net.ssl.trustStorePassword=offhub-compat" \
  "$@" test
