"""Helpers shared by the compatibility scenarios: the official SDKs only."""
import logging
import os
import re
import time

from azure.iot.device import IoTHubDeviceClient, IoTHubModuleClient, MethodResponse
from azure.iot.hub import IoTHubJobManager, IoTHubRegistryManager
from azure.iot.hub.models import CloudToDeviceMethod
from msrest.exceptions import HttpOperationError

SERVICE_CONNECTION_STRING = os.environ["IOTHUB_CONNECTION_STRING"]
HOST_NAME = re.search(r"HostName=([^;]+)", SERVICE_CONNECTION_STRING).group(1)
with open(os.environ["OFFHUB_CA_FILE"], encoding="ascii") as ca:
    CA_PEM = ca.read()

TERMINAL_JOB_STATUSES = ("completed", "failed", "cancelled")


def registry():
    return IoTHubRegistryManager.from_connection_string(SERVICE_CONNECTION_STRING)


def job_manager():
    return IoTHubJobManager.from_connection_string(SERVICE_CONNECTION_STRING)


def create_device(device_id):
    """Registers a device with hub-generated keys; returns its connection string."""
    device = registry().create_device_with_sas(device_id, None, None, "enabled")
    key = device.authentication.symmetric_key.primary_key
    return f"HostName={HOST_NAME};DeviceId={device_id};SharedAccessKey={key}"


def create_module(device_id, module_id):
    """Adds a module with hub-generated keys; returns its connection string."""
    module = registry().create_module_with_sas(device_id, module_id, None, None, None)
    key = module.authentication.symmetric_key.primary_key
    return f"HostName={HOST_NAME};DeviceId={device_id};ModuleId={module_id};SharedAccessKey={key}"


def connect_device(connection_string, websockets=False):
    client = IoTHubDeviceClient.create_from_connection_string(
        connection_string, server_verification_cert=CA_PEM, websockets=websockets)
    client.connect()
    return client


def connect_module(connection_string, websockets=False):
    client = IoTHubModuleClient.create_from_connection_string(
        connection_string, server_verification_cert=CA_PEM, websockets=websockets)
    client.connect()
    return client


def answer_methods(client, answers):
    """Installs a method handler: answers[name](payload) -> (status, payload);
    unknown names are left unanswered. Returns the list of requests seen."""
    seen = []

    def on_request(request):
        seen.append(request)
        answer = answers.get(request.name)
        if answer is None:
            return
        status, payload = answer(request.payload)
        client.send_method_response(MethodResponse.create_from_method_request(request, status, payload))

    client.on_method_request_received = on_request
    return seen


def eventually(probe, timeout_s=10.0, every_s=0.05):
    """Polls probe() until it returns a truthy value (returned) or timeout_s pass."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(every_s)


def error_code_of(error):
    """IoT Hub's error name (the iothub-errorcode header) of a failed service call."""
    return error.response.headers.get("iothub-errorcode")


def method_request(name, payload=None, response_timeout_s=5, connect_timeout_s=None):
    return CloudToDeviceMethod(method_name=name, payload=payload,
                               response_timeout_in_seconds=response_timeout_s,
                               connect_timeout_in_seconds=connect_timeout_s)


def invoke_when_subscribed(call, timeout_s=10.0):
    """A device's method subscription reaches the hub a little after the SUBACK:
    until it has, calls answer 404103 DeviceNotOnline (as on a real hub). Retries those."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return call()
        except HttpOperationError as error:
            if error_code_of(error) != "DeviceNotOnline" or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def wait_for_job(job_id, timeout_s=20.0):
    jobs = job_manager()

    def terminal():
        job = jobs.get_scheduled_job(job_id)
        return job if job.status in TERMINAL_JOB_STATUSES else None

    return eventually(terminal, timeout_s, 0.2)


def quiet_sdk_warnings(test):
    """For a test whose client is refused on purpose: the SDK logs the broker's
    close that follows a refused CONNACK (MQTT-3.2.2-5) as a warning. Until the
    test's clean-ups end, only its errors are shown."""
    sdk_logger = logging.getLogger("azure.iot.device")
    test.addCleanup(sdk_logger.setLevel, sdk_logger.level)
    sdk_logger.setLevel(logging.ERROR)
