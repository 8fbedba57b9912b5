"""MQTT over WebSockets on 443 (websockets=True): methods, twins, modules, a wrong key."""
import base64
import unittest

from azure.iot.device import IoTHubDeviceClient
from azure.iot.device.exceptions import CredentialError

from common import (CA_PEM, HOST_NAME, answer_methods, connect_device, connect_module, create_device, create_module,
                    invoke_when_subscribed, method_request, quiet_sdk_warnings, registry)


class MqttOverWebSockets(unittest.TestCase):
    def test_methods_and_twins(self):
        device = connect_device(create_device("ws-dev-1"), websockets=True)
        self.addCleanup(device.shutdown)
        answer_methods(device, {"ping": lambda payload: (200, {"pong": payload})})
        reg = registry()
        result = invoke_when_subscribed(lambda: reg.invoke_device_method("ws-dev-1", method_request("ping", 7)))
        self.assertEqual((result.status, result.payload), (200, {"pong": 7}))
        device.patch_twin_reported_properties({"via": "websocket"})
        self.assertEqual(reg.get_twin("ws-dev-1").properties.reported["via"], "websocket")
        self.assertEqual(device.get_twin()["reported"]["via"], "websocket")

    def test_a_module_answers_its_own_methods(self):
        create_device("ws-dev-3")
        module = connect_module(create_module("ws-dev-3", "relay"), websockets=True)
        self.addCleanup(module.shutdown)
        answer_methods(module, {"ping": lambda payload: (200, {"relay": payload})})
        result = invoke_when_subscribed(
            lambda: registry().invoke_device_module_method("ws-dev-3", "relay", method_request("ping", 1)))
        self.assertEqual((result.status, result.payload), (200, {"relay": 1}))

    def test_a_wrong_key_is_refused(self):
        create_device("ws-dev-2")
        wrong = base64.b64encode(b"y" * 32).decode()
        device = IoTHubDeviceClient.create_from_connection_string(
            f"HostName={HOST_NAME};DeviceId=ws-dev-2;SharedAccessKey={wrong}",
            server_verification_cert=CA_PEM, websockets=True, connection_retry=False)
        quiet_sdk_warnings(self)
        self.addCleanup(device.shutdown)
        with self.assertRaises(CredentialError):
            device.connect()
