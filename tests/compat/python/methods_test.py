"""Direct methods: echo, 404103 offline, 504 timeout, 400 for a bad timeout."""
import json
import unittest

from msrest.exceptions import HttpOperationError

from common import (answer_methods, connect_device, create_device, error_code_of, invoke_when_subscribed,
                    method_request, registry)


class DirectMethods(unittest.TestCase):
    def test_echo_offline_timeout_bad_timeout(self):
        device = connect_device(create_device("method-dev-1"))
        self.addCleanup(device.shutdown)
        create_device("method-dev-offline")
        answer_methods(device, {"echo": lambda payload: (200, payload)})  # "slow" is never answered
        reg = registry()
        invoke_when_subscribed(lambda: reg.invoke_device_method("method-dev-1", method_request("echo")))

        # The SDK sends a None payload as "" (invoke_device_method).
        for sent, echoed in ((None, ""), ("", ""), ("foo", "foo"), ({"k1": "v1"}, {"k1": "v1"}), ({}, {}),
                             (7, 7), ([1, "two", None], [1, "two", None])):
            result = reg.invoke_device_method("method-dev-1", method_request("echo", sent))
            self.assertEqual(result.status, 200)
            self.assertEqual(result.payload, echoed)

        with self.assertRaises(HttpOperationError) as offline:
            reg.invoke_device_method("method-dev-offline", method_request("echo"))
        self.assertEqual(offline.exception.response.status_code, 404)
        self.assertEqual(error_code_of(offline.exception), "DeviceNotOnline")
        self.assertEqual(json.loads(offline.exception.response.json()["Message"])["errorCode"], 404103)

        with self.assertRaises(HttpOperationError) as slow:
            reg.invoke_device_method("method-dev-1", method_request("slow", response_timeout_s=5))
        self.assertEqual(slow.exception.response.status_code, 504)
        self.assertEqual(error_code_of(slow.exception), "GatewayTimeout")

        with self.assertRaises(HttpOperationError) as bad:
            reg.invoke_device_method("method-dev-1", method_request("echo", response_timeout_s=301))
        self.assertEqual(bad.exception.response.status_code, 400)

        with self.assertRaises(HttpOperationError) as nobody:
            reg.invoke_device_method("method-nobody", method_request("echo"))
        self.assertEqual(nobody.exception.response.status_code, 404)
        self.assertEqual(error_code_of(nobody.exception), "DeviceNotFound")
