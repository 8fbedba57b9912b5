"""Twins: etags and 412, versions, desired to the device, reported to the service."""
import unittest

from azure.iot.hub.models import Twin, TwinProperties
from msrest.exceptions import HttpOperationError

from common import connect_device, create_device, eventually, registry


class Twins(unittest.TestCase):
    def test_etags_versions_desired_to_device_reported_to_service(self):
        device = connect_device(create_device("twin-dev-1"))
        self.addCleanup(device.shutdown)
        seen = []
        device.on_twin_desired_properties_patch_received = seen.append

        reg = registry()
        twin = reg.get_twin("twin-dev-1")
        self.assertEqual(twin.device_id, "twin-dev-1")
        self.assertEqual(twin.etag, "AAAAAAAAAAE=")
        initial = twin.properties.desired["$version"]

        with self.assertRaises(HttpOperationError) as stale:
            reg.update_twin("twin-dev-1", Twin(properties=TwinProperties(desired={"a": 1})), etag="abc")
        self.assertEqual(stale.exception.response.status_code, 412)

        patch = Twin(properties=TwinProperties(desired={"building": "43", "floor": 3}))
        updated = reg.update_twin("twin-dev-1", patch, etag=twin.etag)
        self.assertEqual(updated.properties.desired["$version"], initial + 1)
        self.assertEqual(updated.properties.desired["building"], "43")
        self.assertNotEqual(updated.etag, twin.etag)
        self.assertGreater(updated.version, twin.version)
        with self.assertRaises(HttpOperationError) as again:
            reg.update_twin("twin-dev-1", patch, etag=twin.etag)
        self.assertEqual(again.exception.response.status_code, 412)

        eventually(lambda: any(d.get("building") == "43" and d.get("floor") == 3 for d in seen))
        self.assertEqual(seen[-1]["$version"], initial + 1)
        on_device = device.get_twin()
        self.assertEqual(on_device["desired"]["building"], "43")
        self.assertEqual(on_device["desired"]["$version"], initial + 1)

        device.patch_twin_reported_properties({"building": "43", "floor": 3, "lock": "acknowledged"})
        reported = reg.get_twin("twin-dev-1")
        self.assertEqual(reported.properties.reported["lock"], "acknowledged")
        self.assertEqual(reported.properties.reported["$version"], 2)
        self.assertEqual(reported.etag, updated.etag, "reported writes leave the etag")
        self.assertEqual(device.get_twin()["reported"]["floor"], 3)

    def test_replace_sets_tags_and_desired_whole(self):
        create_device("twin-dev-2")
        reg = registry()
        reg.update_twin("twin-dev-2", Twin(tags={"old": True}, properties=TwinProperties(desired={"old": 1})))
        replacement = Twin(tags={"site": "b43"}, properties=TwinProperties(desired={"mode": "eco"}))
        replaced = reg.replace_twin("twin-dev-2", replacement)
        self.assertEqual(replaced.tags, {"site": "b43"})
        self.assertNotIn("old", replaced.properties.desired)
        self.assertEqual(replaced.properties.desired["mode"], "eco")
        with self.assertRaises(HttpOperationError) as missing:
            reg.get_twin("twin-nobody")
        self.assertEqual(missing.exception.response.status_code, 404)
