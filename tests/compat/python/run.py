"""Starts offhub-emulator on IoT Hub's own ports (HTTPS 443, MQTTS 8883, as the
official SDKs insist on), then runs the scenario files with the official Python
SDKs (azure-iot-hub, azure-iot-device) as clients.

The emulator's CA is trusted as a user of each SDK would trust a private CA:
the device clients get it as ``server_verification_cert``; the service clients
(msrest over requests) through ``REQUESTS_CA_BUNDLE``, read by requests.

    OFFHUB_EMULATOR=<path to offhub-emulator> python run.py [scenario modules...]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
READY_TIMEOUT_S = 20


def start_emulator(emulator_path, tls_dir):
    return subprocess.Popen(
        [emulator_path, "--https-port", "443", "--mqtts-port", "8883", "--http-port", "0",
         "--mqtt-port", "0", "--tls-dir", tls_dir, "--log-level", "warn"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)


def wait_for_connection_string(emulator):
    """The IOTHUB_CONNECTION_STRING=... line the emulator prints when ready, or None."""
    found = {}
    ready = threading.Event()

    def read():
        for line in emulator.stdout:
            match = re.match(r"IOTHUB_CONNECTION_STRING=(.*)", line.rstrip("\n"))
            if match and not ready.is_set():
                found["value"] = match.group(1)
                ready.set()
            # Keep draining so the emulator never blocks on a full pipe.
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    ready.wait(READY_TIMEOUT_S)
    return found.get("value")


def main(argv):
    emulator_path = os.environ.get("OFFHUB_EMULATOR")
    if not emulator_path:
        print("run.py: set OFFHUB_EMULATOR to the offhub-emulator binary", file=sys.stderr)
        return 2
    tls_dir = tempfile.mkdtemp(prefix="offhub-compat-tls-")
    emulator = start_emulator(emulator_path, tls_dir)
    try:
        connection_string = wait_for_connection_string(emulator)
        if connection_string is None:
            print("run.py: the emulator did not become ready", file=sys.stderr)
            return 1
        ca_file = os.path.join(tls_dir, "ca.pem")
        env = dict(os.environ, IOTHUB_CONNECTION_STRING=connection_string,
                   OFFHUB_CA_FILE=ca_file, REQUESTS_CA_BUNDLE=ca_file)
        scenarios = ["-v", *argv] if argv else ["discover", "-v", "-s", HERE, "-t", HERE, "-p", "*_test.py"]
        # Warnings shown, but for the one every TLS connection of azure-iot-device
        # raises on Python 3.10+ (its own code, which we do not change).
        warning_options = ["-W", "default", "-W", "ignore:ssl.PROTOCOL_TLSv1_2 is deprecated:DeprecationWarning"]
        tests = subprocess.run([sys.executable, *warning_options, "-m", "unittest", *scenarios], cwd=HERE, env=env)
        if emulator.poll() is not None:
            print(f"run.py: the emulator exited ({emulator.returncode})", file=sys.stderr)
            return 1
        return tests.returncode
    finally:
        emulator.terminate()
        try:
            emulator.wait(10)
        except subprocess.TimeoutExpired:
            emulator.kill()
        shutil.rmtree(tls_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
