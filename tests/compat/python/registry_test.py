"""Registry: devices, errors and statistics through IoTHubRegistryManager."""
import base64
import re
import unittest

from azure.iot.hub import IoTHubRegistryManager
from msrest.exceptions import HttpOperationError

from common import SERVICE_CONNECTION_STRING, error_code_of, registry


class Registry(unittest.TestCase):
    def test_create_with_generated_keys_get_list_update_delete(self):
        reg = registry()
        created = reg.create_device_with_sas("reg-dev-1", None, None, "enabled")
        self.assertEqual(created.device_id, "reg-dev-1")
        self.assertEqual(created.status, "enabled")
        self.assertEqual(len(created.authentication.symmetric_key.primary_key), 44)
        self.assertNotEqual(created.authentication.symmetric_key.primary_key,
                            created.authentication.symmetric_key.secondary_key)

        got = reg.get_device("reg-dev-1")
        self.assertEqual(got.etag, created.etag)
        self.assertIn("reg-dev-1", [d.device_id for d in reg.get_devices()])
        self.assertEqual([d.device_id for d in reg.get_devices(max_number_of_devices=1)].__len__(), 1)

        keys = got.authentication.symmetric_key
        updated = reg.update_device_with_sas("reg-dev-1", got.etag, keys.primary_key, keys.secondary_key, "disabled")
        self.assertEqual(updated.status, "disabled")
        self.assertNotEqual(updated.etag, got.etag)
        with self.assertRaises(HttpOperationError) as stale:
            reg.update_device_with_sas("reg-dev-1", got.etag, keys.primary_key, keys.secondary_key, "enabled")
        self.assertEqual(stale.exception.response.status_code, 412)

        reg.delete_device("reg-dev-1")
        with self.assertRaises(HttpOperationError) as missing:
            reg.get_device("reg-dev-1")
        self.assertEqual(missing.exception.response.status_code, 404)
        self.assertEqual(error_code_of(missing.exception), "DeviceNotFound")

    def test_a_second_create_is_409_device_already_exists(self):
        reg = registry()
        reg.create_device_with_sas("reg-dev-2", None, None, "enabled")
        with self.assertRaises(HttpOperationError) as twice:
            reg.create_device_with_sas("reg-dev-2", None, None, "enabled")
        self.assertEqual(twice.exception.response.status_code, 409)
        self.assertEqual(error_code_of(twice.exception), "DeviceAlreadyExists")

    def test_given_keys_are_kept_and_delete_honours_the_etag(self):
        reg = registry()
        primary = base64.b64encode(b"p" * 32).decode()
        secondary = base64.b64encode(b"s" * 32).decode()
        created = reg.create_device_with_sas("reg-dev-3", primary, secondary, "enabled")
        self.assertEqual(created.authentication.symmetric_key.primary_key, primary)
        self.assertEqual(created.authentication.symmetric_key.secondary_key, secondary)
        with self.assertRaises(HttpOperationError) as stale:
            reg.delete_device("reg-dev-3", etag="bm90LXRoZS1ldGFn")
        self.assertEqual(stale.exception.response.status_code, 412)
        reg.delete_device("reg-dev-3", etag=created.etag)
        with self.assertRaises(HttpOperationError) as gone:
            reg.delete_device("reg-dev-3")
        self.assertEqual(gone.exception.response.status_code, 404)

    def test_statistics(self):
        reg = registry()
        reg.create_device_with_sas("reg-stats-on", None, None, "enabled")
        reg.create_device_with_sas("reg-stats-off", None, None, "disabled")
        stats = reg.get_device_registry_statistics()
        self.assertGreaterEqual(stats.total_device_count, 2)
        self.assertEqual(stats.total_device_count, stats.enabled_device_count + stats.disabled_device_count)
        self.assertGreaterEqual(stats.disabled_device_count, 1)
        self.assertGreaterEqual(reg.get_service_statistics().connected_device_count, 0)

    def test_a_wrong_key_is_401_unauthorized(self):
        wrong = base64.b64encode(b"x" * 32).decode()
        bad = IoTHubRegistryManager.from_connection_string(
            re.sub(r"SharedAccessKey=[^;]+", "SharedAccessKey=" + wrong, SERVICE_CONNECTION_STRING))
        with self.assertRaises(HttpOperationError) as refused:
            bad.get_devices()
        self.assertEqual(refused.exception.response.status_code, 401)
