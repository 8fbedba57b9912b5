package offhub.compat;

import static offhub.compat.Hub.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.azure.sdk.iot.service.exceptions.IotHubConflictException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubNotFoundException;
import com.microsoft.azure.sdk.iot.service.jobs.ScheduledJob;
import com.microsoft.azure.sdk.iot.service.jobs.ScheduledJobStatus;
import com.microsoft.azure.sdk.iot.service.jobs.ScheduledJobType;
import com.microsoft.azure.sdk.iot.service.jobs.ScheduledJobsClient;
import com.microsoft.azure.sdk.iot.service.query.JobQueryResponse;
import com.microsoft.azure.sdk.iot.service.twin.Twin;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Jobs: scheduled then cancelled, listed, refused; device job records. */
class JobsTest {
  static Date inAnHour() { return new Date(System.currentTimeMillis() + 3_600_000); }

  static Twin tagsPatch(String name, Object value) {
    Twin patch = new Twin();
    patch.setETag("*");
    patch.getTags().put(name, value);
    return patch;
  }

  static List<String> jobIds(JobQueryResponse response) throws Exception {
    List<String> ids = new ArrayList<>();
    while (response.hasNext()) ids.add(response.next().getJobId());
    return ids;
  }

  @Test
  void scheduledCancelledAndListed() throws Exception {
    createDevice("job-dev-1");
    ScheduledJobsClient jobs = jobs();
    Date start = inAnHour();
    ScheduledJob created = jobs.scheduleUpdateTwin("futureJob", "deviceId = 'job-dev-1'", tagsPatch("t", 1), start, 120);
    assertEquals(ScheduledJobStatus.queued, created.getJobStatus());
    ScheduledJob scheduled = eventually(() -> {
      ScheduledJob job = jobs.get("futureJob");
      return job.getJobStatus() == ScheduledJobStatus.scheduled ? job : null;
    });
    assertTrue(Math.abs(scheduled.getStartTime().getTime() - start.getTime()) < 1000);
    assertEquals(120L, scheduled.getMaxExecutionTimeInSeconds());
    assertEquals("deviceId = 'job-dev-1'", scheduled.getQueryCondition());
    assertEquals(ScheduledJobType.scheduleUpdateTwin, scheduled.getJobType());

    assertEquals(ScheduledJobStatus.cancelled, jobs.cancel("futureJob").getJobStatus());
    assertEquals(ScheduledJobStatus.cancelled, waitForJob("futureJob").getJobStatus());
    assertTrue(twins().get("job-dev-1").getTags().isEmpty(), "a cancelled job never ran");

    assertTrue(jobIds(jobs.query(ScheduledJobType.scheduleUpdateTwin, ScheduledJobStatus.cancelled)).contains("futureJob"));
    assertFalse(jobIds(jobs.query(ScheduledJobType.scheduleDeviceMethod, ScheduledJobStatus.cancelled)).contains("futureJob"));
    assertTrue(jobIds(query().queryJobs(ScheduledJobType.scheduleUpdateTwin, ScheduledJobStatus.cancelled)).contains("futureJob"));
  }

  @Test
  void aTwinJobPatchesTagsAndKeepsDeviceJobRecords() throws Exception {
    for (int i = 0; i < 3; i++) createDevice("job-tags-" + i);
    jobs().scheduleUpdateTwin("tagJob", "STARTSWITH(deviceId, 'job-tags-')", tagsPatch("floor", 3), new Date(), 60);
    ScheduledJob job = waitForJob("tagJob");
    assertEquals(ScheduledJobStatus.completed, job.getJobStatus());
    assertEquals(3, job.getJobStatistics().getDeviceCount());
    assertEquals(3, job.getJobStatistics().getSucceededCount());
    assertEquals(3.0, ((Number) twins().get("job-tags-2").getTags().get("floor")).doubleValue());

    JobQueryResponse records = query().queryJobs("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'tagJob'");
    List<String> devices = new ArrayList<>();
    while (records.hasNext()) {
      ScheduledJob record = records.next();
      assertEquals(ScheduledJobStatus.completed, record.getJobStatus());
      assertEquals(ScheduledJobType.scheduleUpdateTwin, record.getJobType());
      devices.add(record.getDeviceId());
    }
    devices.sort(null);
    assertEquals(List.of("job-tags-0", "job-tags-1", "job-tags-2"), devices);
  }

  @Test
  void aJobIdInUseIs409AndAnUnknownJob404() throws Exception {
    createDevice("job-dev-2");
    ScheduledJobsClient jobs = jobs();
    jobs.scheduleUpdateTwin("twiceJob", "deviceId = 'job-dev-2'", tagsPatch("t", 2), inAnHour(), 60);
    assertThrows(IotHubConflictException.class,
        () -> jobs.scheduleUpdateTwin("twiceJob", "deviceId = 'job-dev-2'", tagsPatch("t", 2), inAnHour(), 60));
    assertThrows(IotHubNotFoundException.class, () -> jobs.get("noSuchJob"));
    jobs.cancel("twiceJob");
  }
}
