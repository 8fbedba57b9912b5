package offhub.compat;

import static offhub.compat.Hub.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import com.microsoft.azure.sdk.iot.service.jobs.DirectMethodsJobOptions;
import com.microsoft.azure.sdk.iot.service.jobs.ScheduledJob;
import com.microsoft.azure.sdk.iot.service.jobs.ScheduledJobStatus;
import com.microsoft.azure.sdk.iot.service.jobs.ScheduledJobType;
import com.microsoft.azure.sdk.iot.service.jobs.ScheduledJobsClient;
import com.microsoft.azure.sdk.iot.service.query.JobQueryResponse;
import com.microsoft.azure.sdk.iot.service.query.RawQueryResponse;
import com.microsoft.azure.sdk.iot.service.twin.Twin;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The door-lock tutorial ("schedule and broadcast jobs") with the official Java SDKs. */
class DoorLockTest {
  static final String QUERY = "deviceId IN ['myDeviceId']";

  @Test
  void aMethodJobAndATwinJobComplete() throws Exception {
    DeviceClient device = connectDevice(createDevice("myDeviceId"), IotHubClientProtocol.MQTT);
    try {
      AtomicInteger locked = new AtomicInteger();
      device.subscribeToMethods((name, payload, context) -> {
        if (!name.equals("lockDoor")) return new DirectMethodResponse(404, null);
        locked.incrementAndGet();
        return new DirectMethodResponse(200, null);
      }, null);
      List<TwinCollection> desired = new CopyOnWriteArrayList<>();
      device.subscribeToDesiredProperties((twin, context) -> desired.add(twin.getDesiredProperties()), null);

      ScheduledJobsClient jobs = jobs();
      ScheduledJob methodJob = jobs.scheduleDirectMethod("lockDoorJob", QUERY, "lockDoor", new Date(),
          DirectMethodsJobOptions.builder().payload(null).methodResponseTimeoutSeconds(15)
              .maxExecutionTimeSeconds(300).build());
      assertEquals(ScheduledJobStatus.queued, methodJob.getJobStatus());
      assertEquals(ScheduledJobType.scheduleDeviceMethod, methodJob.getJobType());
      Twin patch = new Twin();
      patch.setETag("*");
      patch.getDesiredProperties().put("building", "43");
      patch.getDesiredProperties().put("floor", 3);
      jobs.scheduleUpdateTwin("updateTwinJob", QUERY, patch, new Date(), 300);

      for (String jobId : List.of("lockDoorJob", "updateTwinJob")) {
        ScheduledJob job = waitForJob(jobId);
        assertEquals(ScheduledJobStatus.completed, job.getJobStatus(), jobId);
        assertEquals(1, job.getJobStatistics().getDeviceCount(), jobId);
        assertEquals(1, job.getJobStatistics().getSucceededCount(), jobId);
        assertEquals(0, job.getJobStatistics().getFailedCount(), jobId);
      }
      assertEquals(1, locked.get());
      eventually(() -> desired.stream().anyMatch(d -> "43".equals(d.get("building"))
          && Double.valueOf(3).equals(((Number) d.get("floor")).doubleValue())));

      // The device job record, as raw JSON: in SDK 2.x ScheduledJob reads a method job's outcome from its
      // cloudToDeviceMethod, which device job records do not carry (a NullPointerException in queryJobs).
      RawQueryResponse records = query().queryRaw("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'lockDoorJob'");
      JsonObject record = JsonParser.parseString(records.next()).getAsJsonObject();
      assertEquals("myDeviceId", record.get("deviceId").getAsString());
      assertEquals("scheduleDeviceMethod", record.get("jobType").getAsString());
      assertEquals("completed", record.get("status").getAsString());
      assertEquals(200, record.getAsJsonObject("outcome").getAsJsonObject("deviceMethodResponse").get("status").getAsInt());
      assertFalse(records.hasNext());
      // The twin job's records read as ScheduledJob.
      JobQueryResponse twinRecords =
          query().queryJobs("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'updateTwinJob'");
      ScheduledJob twinRecord = twinRecords.next();
      assertEquals("myDeviceId", twinRecord.getDeviceId());
      assertEquals(ScheduledJobType.scheduleUpdateTwin, twinRecord.getJobType());
      assertEquals(ScheduledJobStatus.completed, twinRecord.getJobStatus());
      assertEquals("43", twins().get("myDeviceId").getDesiredProperties().get("building"));
    } finally {
      device.close();
    }
  }
}
