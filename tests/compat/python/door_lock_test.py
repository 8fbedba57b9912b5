"""The door-lock tutorial ("schedule and broadcast jobs") with the official Python SDKs."""
import datetime
import unittest

from azure.iot.hub.models import CloudToDeviceMethod, JobRequest, QuerySpecification, Twin, TwinProperties

from common import answer_methods, connect_device, create_device, eventually, job_manager, registry, wait_for_job

QUERY = "deviceId IN ['myDeviceId']"


def now():
    return datetime.datetime.now(datetime.timezone.utc)


class DoorLockTutorial(unittest.TestCase):
    def test_a_method_job_and_a_twin_job_complete(self):
        device = connect_device(create_device("myDeviceId"))
        self.addCleanup(device.shutdown)
        locked = []
        answer_methods(device, {"lockDoor": lambda payload: (locked.append(payload), (200, None))[1]})
        desired = []
        device.on_twin_desired_properties_patch_received = desired.append

        jobs = job_manager()
        method_job = jobs.create_scheduled_job("lockDoorJob", JobRequest(
            job_id="lockDoorJob", type="scheduleDeviceMethod", query_condition=QUERY,
            cloud_to_device_method=CloudToDeviceMethod(method_name="lockDoor", payload=None,
                                                       response_timeout_in_seconds=15),
            start_time=now(), max_execution_time_in_seconds=300))
        self.assertEqual(method_job.status, "queued")
        self.assertEqual(method_job.type, "scheduleDeviceMethod")
        jobs.create_scheduled_job("updateTwinJob", JobRequest(
            job_id="updateTwinJob", type="scheduleUpdateTwin", query_condition=QUERY,
            update_twin=Twin(etag="*", properties=TwinProperties(desired={"building": "43", "floor": 3})),
            start_time=now(), max_execution_time_in_seconds=300))

        for job_id in ("lockDoorJob", "updateTwinJob"):
            job = wait_for_job(job_id)
            self.assertEqual(job.status, "completed", job_id)
            self.assertEqual(job.device_job_statistics.device_count, 1, job_id)
            self.assertEqual(job.device_job_statistics.succeeded_count, 1, job_id)
            self.assertEqual(job.device_job_statistics.failed_count, 0, job_id)
        self.assertEqual(len(locked), 1)
        eventually(lambda: any(d.get("building") == "43" and d.get("floor") == 3 for d in desired))

        records = registry().query_iot_hub(
            QuerySpecification(query="SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'lockDoorJob'"))
        # query_iot_hub reads every row as a Twin: a device job record keeps its
        # deviceId and status (its outcome has no field there).
        self.assertEqual(records.type, "deviceJob")
        self.assertEqual([(r.device_id, r.status) for r in records.items], [("myDeviceId", "completed")])
        twin = registry().get_twin("myDeviceId")
        self.assertEqual(twin.properties.desired["building"], "43")
