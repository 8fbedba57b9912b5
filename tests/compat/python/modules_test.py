"""Modules: registry, module clients over MQTT, module twins and methods, jobs over modules."""
import base64
import datetime
import unittest

from azure.iot.device import IoTHubModuleClient
from azure.iot.device.exceptions import CredentialError
from azure.iot.hub.models import CloudToDeviceMethod, JobRequest, QuerySpecification, Twin, TwinProperties
from msrest.exceptions import HttpOperationError

from common import (CA_PEM, HOST_NAME, answer_methods, connect_device, connect_module, create_device, create_module,
                    error_code_of, eventually, invoke_when_subscribed, job_manager, method_request, quiet_sdk_warnings,
                    registry, wait_for_job)


class Modules(unittest.TestCase):
    def test_registry_crud_with_etags_and_errors(self):
        reg = registry()
        with self.assertRaises(HttpOperationError) as no_device:
            reg.create_module_with_sas("mod-nodev", "m", None, None, None)
        self.assertEqual(error_code_of(no_device.exception), "DeviceNotFound")
        create_device("mod-reg-1")
        created = reg.create_module_with_sas("mod-reg-1", "camera", None, None, None)
        self.assertEqual((created.device_id, created.module_id), ("mod-reg-1", "camera"))
        self.assertEqual(len(created.authentication.symmetric_key.primary_key), 44)
        with self.assertRaises(HttpOperationError) as twice:
            reg.create_module_with_sas("mod-reg-1", "camera", None, None, None)
        self.assertEqual(twice.exception.response.status_code, 409)
        self.assertEqual(error_code_of(twice.exception), "ModuleAlreadyExistsOnDevice")
        reg.create_module_with_sas("mod-reg-1", "sensor", None, None, None)

        self.assertEqual(sorted(m.module_id for m in reg.get_modules("mod-reg-1")), ["camera", "sensor"])
        got = reg.get_module("mod-reg-1", "camera")
        self.assertEqual(got.etag, created.etag)
        with self.assertRaises(HttpOperationError) as missing:
            reg.get_module("mod-reg-1", "nothing")
        self.assertEqual((missing.exception.response.status_code, error_code_of(missing.exception)),
                         (404, "ModuleNotFound"))

        keys = got.authentication.symmetric_key
        with self.assertRaises(HttpOperationError) as stale:
            reg.update_module_with_sas("mod-reg-1", "camera", "offhub-tests", "bm90LXRoZS1ldGFn",
                                       keys.primary_key, keys.secondary_key)
        self.assertEqual(stale.exception.response.status_code, 412)
        updated = reg.update_module_with_sas("mod-reg-1", "camera", "offhub-tests", got.etag,
                                             keys.primary_key, keys.secondary_key)
        self.assertEqual(updated.managed_by, "offhub-tests")
        self.assertNotEqual(updated.etag, got.etag)
        self.assertEqual(updated.authentication.symmetric_key.primary_key, keys.primary_key)

        reg.delete_module("mod-reg-1", "sensor")
        with self.assertRaises(HttpOperationError) as removed:
            reg.get_module("mod-reg-1", "sensor")
        self.assertEqual(error_code_of(removed.exception), "ModuleNotFound")
        reg.delete_device("mod-reg-1")
        with self.assertRaises(HttpOperationError) as device_gone:
            reg.get_module("mod-reg-1", "camera")
        self.assertEqual(error_code_of(device_gone.exception), "DeviceNotFound")

    def test_a_module_client_gets_its_own_methods_and_twin(self):
        reg = registry()
        device_connection_string = create_device("mod-edge-1")
        module_connection_string = create_module("mod-edge-1", "filter")

        wrong = base64.b64encode(bytes(32 * [7])).decode()
        impostor = IoTHubModuleClient.create_from_connection_string(
            f"HostName={HOST_NAME};DeviceId=mod-edge-1;ModuleId=filter;SharedAccessKey={wrong}",
            server_verification_cert=CA_PEM, connection_retry=False)
        quiet_sdk_warnings(self)
        self.addCleanup(impostor.shutdown)
        with self.assertRaises(CredentialError):
            impostor.connect()

        module = connect_module(module_connection_string)
        self.addCleanup(module.shutdown)
        device = connect_device(device_connection_string)
        self.addCleanup(device.shutdown)
        device_calls = answer_methods(device, {"whoami": lambda payload: (200, "device")})
        answer_methods(module, {"whoami": lambda payload: (200, {"module": "filter", "got": payload})})

        result = invoke_when_subscribed(lambda: reg.invoke_device_module_method(
            "mod-edge-1", "filter", method_request("whoami", {"n": 1})))
        self.assertEqual((result.status, result.payload), (200, {"module": "filter", "got": {"n": 1}}))
        self.assertEqual(device_calls, [], "the device does not see its module's calls")
        with self.assertRaises(HttpOperationError) as nothing:
            reg.invoke_device_module_method("mod-edge-1", "nothing", method_request("whoami"))
        self.assertEqual((nothing.exception.response.status_code, error_code_of(nothing.exception)),
                         (404, "ModuleNotFound"))

        seen = []
        module.on_twin_desired_properties_patch_received = seen.append
        twin = reg.get_module_twin("mod-edge-1", "filter")
        self.assertEqual(twin.module_id, "filter")
        patched = reg.update_module_twin("mod-edge-1", "filter",
                                         Twin(properties=TwinProperties(desired={"threshold": 7})), twin.etag)
        self.assertEqual(patched.properties.desired["threshold"], 7)
        eventually(lambda: any(d.get("threshold") == 7 for d in seen))
        module.patch_twin_reported_properties({"threshold": 7, "state": "applied"})
        self.assertEqual(reg.get_module_twin("mod-edge-1", "filter").properties.reported["state"], "applied")
        self.assertNotIn("threshold", reg.get_twin("mod-edge-1").properties.desired, "the device twin is its own")

        modules = reg.query_iot_hub(QuerySpecification(
            query="SELECT * FROM devices.modules WHERE properties.reported.state = 'applied'"))
        self.assertEqual([(t.device_id, t.module_id) for t in modules.items], [("mod-edge-1", "filter")])
        self.assertEqual(reg.get_module("mod-edge-1", "filter").connection_state, "Connected")

    def test_jobs_over_modules_call_each_module_and_patch_module_twins(self):
        reg = registry()
        clients, calls = [], []
        for index, device_id in enumerate(("mod-job-1", "mod-job-2")):
            create_device(device_id)
            pump = connect_module(create_module(device_id, "pump"))
            self.addCleanup(pump.shutdown)
            create_module(device_id, "valve")
            answer_methods(pump, {"prime": lambda payload, i=index: (calls.append(i), (200, {"primed": i}))[1]})
            clients.append(pump)
        for device_id in ("mod-job-1", "mod-job-2"):
            invoke_when_subscribed(
                lambda d=device_id: reg.invoke_device_module_method(d, "pump", method_request("prime")))
        calls.clear()

        jobs = job_manager()
        condition = "FROM devices.modules WHERE moduleId = 'pump' AND STARTSWITH(deviceId, 'mod-job-')"
        now = datetime.datetime.now(datetime.timezone.utc)
        jobs.create_scheduled_job("pump-method-job", JobRequest(
            job_id="pump-method-job", type="scheduleDeviceMethod", query_condition=condition,
            cloud_to_device_method=CloudToDeviceMethod(method_name="prime", response_timeout_in_seconds=10),
            start_time=now, max_execution_time_in_seconds=300))
        jobs.create_scheduled_job("pump-twin-job", JobRequest(
            job_id="pump-twin-job", type="scheduleUpdateTwin", query_condition=condition,
            update_twin=Twin(etag="*", properties=TwinProperties(desired={"rpm": 1200})),
            start_time=now, max_execution_time_in_seconds=300))
        for job_id in ("pump-method-job", "pump-twin-job"):
            job = wait_for_job(job_id)
            self.assertEqual(job.status, "completed", job_id)
            self.assertEqual(job.device_job_statistics.device_count, 2, job_id)
            self.assertEqual(job.device_job_statistics.succeeded_count, 2, job_id)
        self.assertEqual(sorted(calls), [0, 1], "each pump module called once, on its own connection")

        records = reg.query_iot_hub(QuerySpecification(
            query="SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'pump-method-job'"))
        self.assertEqual(sorted((r.device_id, r.module_id) for r in records.items),
                         [("mod-job-1", "pump"), ("mod-job-2", "pump")])
        self.assertEqual(reg.get_module_twin("mod-job-1", "pump").properties.desired["rpm"], 1200)
        self.assertNotIn("rpm", reg.get_module_twin("mod-job-1", "valve").properties.desired)
        self.assertNotIn("rpm", reg.get_twin("mod-job-1").properties.desired)
