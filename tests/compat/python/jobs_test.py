"""Jobs: scheduled then cancelled, listed, refused; device job records."""
import datetime
import unittest

from azure.iot.hub.models import JobRequest, QuerySpecification, Twin
from msrest.exceptions import HttpOperationError

from common import create_device, eventually, job_manager, registry, wait_for_job


def in_an_hour():
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)


class Jobs(unittest.TestCase):
    def test_scheduled_cancelled_and_listed(self):
        create_device("job-dev-1")
        jobs = job_manager()
        start = in_an_hour()
        created = jobs.create_scheduled_job("futureJob", JobRequest(
            job_id="futureJob", type="scheduleUpdateTwin", query_condition="deviceId = 'job-dev-1'",
            update_twin=Twin(etag="*", tags={"t": 1}), start_time=start, max_execution_time_in_seconds=120))
        self.assertEqual((created.job_id, created.type, created.status), ("futureJob", "scheduleUpdateTwin", "queued"))
        scheduled = eventually(lambda: (job := jobs.get_scheduled_job("futureJob")).status == "scheduled" and job)
        self.assertLess(abs((scheduled.start_time - start).total_seconds()), 1)
        self.assertEqual(scheduled.max_execution_time_in_seconds, 120)
        self.assertEqual(scheduled.query_condition, "deviceId = 'job-dev-1'")

        cancelled = jobs.cancel_scheduled_job("futureJob")
        self.assertEqual(cancelled.status, "cancelled")
        self.assertEqual(wait_for_job("futureJob").status, "cancelled")
        self.assertFalse(registry().get_twin("job-dev-1").tags, "a cancelled job never ran")

    @unittest.skip("azure-iot-hub 2.7.0 reads GET /jobs/v2/query as an object (QueryResult); IoT Hub answers "
                   "a JSON array, so query_scheduled_jobs raises DeserializationError against a real hub too "
                   "(the SDK's bug; job listing runs in the Node and Java suites)")
    def test_job_listing(self):
        job_manager().query_scheduled_jobs("scheduleUpdateTwin", "cancelled")

    def test_a_twin_job_patches_tags_and_keeps_device_job_records(self):
        for i in range(3):
            create_device(f"job-tags-{i}")
        jobs = job_manager()
        jobs.create_scheduled_job("tagJob", JobRequest(
            job_id="tagJob", type="scheduleUpdateTwin", query_condition="STARTSWITH(deviceId, 'job-tags-')",
            update_twin=Twin(etag="*", tags={"floor": 3}),
            start_time=datetime.datetime.now(datetime.timezone.utc), max_execution_time_in_seconds=60))
        job = wait_for_job("tagJob")
        self.assertEqual(job.status, "completed")
        self.assertEqual(job.device_job_statistics.device_count, 3)
        self.assertEqual(job.device_job_statistics.succeeded_count, 3)
        self.assertEqual(registry().get_twin("job-tags-2").tags, {"floor": 3})
        records = registry().query_iot_hub(QuerySpecification(
            query="SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'tagJob'"))
        self.assertEqual(sorted(r.device_id for r in records.items), [f"job-tags-{i}" for i in range(3)])
        self.assertEqual({r.status for r in records.items}, {"completed"})

    def test_a_job_id_in_use_is_409_and_an_unknown_job_404(self):
        create_device("job-dev-2")
        jobs = job_manager()
        request = JobRequest(job_id="twiceJob", type="scheduleUpdateTwin", query_condition="deviceId = 'job-dev-2'",
                             update_twin=Twin(etag="*", tags={"t": 2}), start_time=in_an_hour(),
                             max_execution_time_in_seconds=60)
        jobs.create_scheduled_job("twiceJob", request)
        with self.assertRaises(HttpOperationError) as twice:
            jobs.create_scheduled_job("twiceJob", request)
        self.assertEqual(twice.exception.response.status_code, 409)
        with self.assertRaises(HttpOperationError) as unknown:
            jobs.get_scheduled_job("noSuchJob")
        self.assertEqual(unknown.exception.response.status_code, 404)
        jobs.cancel_scheduled_job("twiceJob")
