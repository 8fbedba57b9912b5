"""Device-to-cloud telemetry and what the emulator does not offer."""
import unittest

from azure.iot.device import Message

from azure.iot.hub import IoTHubConfigurationManager

from common import (SERVICE_CONNECTION_STRING, connect_device, connect_module, create_device, create_module, eventually,
                    registry)


class Telemetry(unittest.TestCase):
    def test_messages_with_properties_are_acknowledged_over_mqtt_and_websockets(self):
        for websockets in (False, True):
            device_id = f"telemetry-dev-{int(websockets)}"
            device = connect_device(create_device(device_id), websockets=websockets)
            self.addCleanup(device.shutdown)
            message = Message('{"temperature": 21.5}', message_id="m-1", content_encoding="utf-8",
                              content_type="application/json")
            message.custom_properties["alert"] = "false"
            device.send_message(message)  # returns once the hub has PUBACKed it
            device.send_message("plain text")
            self.assertTrue(device.connected)

    def test_a_module_sends_to_an_output(self):
        create_device("telemetry-dev-m")
        module = connect_module(create_module("telemetry-dev-m", "sensor"))
        self.addCleanup(module.shutdown)
        module.send_message_to_output(Message('{"t": 1}'), "temperatureOutput")
        self.assertTrue(module.connected)


class NotEmulated(unittest.TestCase):
    @unittest.skip("cloud-to-device messages: IoTHubRegistryManager.send_c2d_message speaks AMQP (uamqp, port 5671) "
                   "and the emulator has neither AMQP nor cloud-to-device messages")
    def test_cloud_to_device_message(self):
        device = connect_device(create_device("c2d-dev"))
        self.addCleanup(device.shutdown)
        received = []
        device.on_message_received = received.append
        registry().send_c2d_message("c2d-dev", "hello", {"k": "v"})
        eventually(lambda: received)

    @unittest.skip("configurations (IoTHubConfigurationManager) are not emulated")
    def test_configurations(self):
        self.assertEqual(IoTHubConfigurationManager.from_connection_string(SERVICE_CONNECTION_STRING)
                         .get_configurations(), [])
