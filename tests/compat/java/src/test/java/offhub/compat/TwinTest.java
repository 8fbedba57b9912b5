package offhub.compat;

import static offhub.compat.Hub.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubNotFoundException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubPreconditionFailedException;
import com.microsoft.azure.sdk.iot.service.twin.Twin;
import com.microsoft.azure.sdk.iot.service.twin.TwinClient;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Twins: etags and 412, versions, desired to the device, reported to the service. */
class TwinTest {
  @Test
  void etagsVersionsDesiredToDeviceReportedToService() throws Exception {
    DeviceClient device = connectDevice(createDevice("twin-dev-1"), IotHubClientProtocol.MQTT);
    try {
      List<TwinCollection> seen = new CopyOnWriteArrayList<>();
      device.subscribeToDesiredProperties((twin, context) -> seen.add(twin.getDesiredProperties()), null);

      TwinClient twins = twins();
      Twin twin = twins.get("twin-dev-1");
      assertEquals("twin-dev-1", twin.getDeviceId());
      assertEquals("AAAAAAAAAAE=", twin.getETag());
      int initial = twin.getDesiredProperties().getVersion();

      // patch(twin, ifMatch) sends If-Match as given: quoted as RFC 7232 has it, or bare.
      Twin stale = new Twin("twin-dev-1");
      stale.getDesiredProperties().put("a", 1);
      assertThrows(IotHubPreconditionFailedException.class, () -> twins.patch(stale, "\"abc\""));
      assertThrows(IotHubPreconditionFailedException.class, () -> twins.patch(stale, "abc"));

      Twin patch = new Twin("twin-dev-1");
      patch.getDesiredProperties().put("building", "43");
      patch.getDesiredProperties().put("floor", 3);
      Twin updated = twins.patch(patch, twin.getETag());
      assertEquals(initial + 1, updated.getDesiredProperties().getVersion());
      assertEquals("43", updated.getDesiredProperties().get("building"));
      assertNotEquals(twin.getETag(), updated.getETag());
      assertTrue(updated.getVersion() > twin.getVersion());
      assertThrows(IotHubPreconditionFailedException.class, () -> twins.patch(patch, "\"" + twin.getETag() + "\""));

      eventually(() -> seen.stream().anyMatch(d -> "43".equals(d.get("building"))));
      assertEquals(initial + 1, seen.get(seen.size() - 1).getVersion());
      com.microsoft.azure.sdk.iot.device.twin.Twin onDevice = getTwin(device);
      assertEquals("43", onDevice.getDesiredProperties().get("building"));
      assertEquals(initial + 1, onDevice.getDesiredProperties().getVersion());

      TwinCollection reported = onDevice.getReportedProperties();
      reported.put("building", "43");
      reported.put("floor", 3);
      reported.put("lock", "acknowledged");
      int retriesBefore = SDK_1803_RETRIES.get();
      int reportedVersion = updateReportedProperties(device, reported).getVersion();
      // +1, and +1 more if the SDK lost the first answer and the same patch went again
      assertEquals(onDevice.getReportedProperties().getVersion() + 1 + (SDK_1803_RETRIES.get() - retriesBefore),
          reportedVersion);
      Twin afterReport = twins.get("twin-dev-1");
      assertEquals("acknowledged", afterReport.getReportedProperties().get("lock"));
      assertEquals(reportedVersion, afterReport.getReportedProperties().getVersion());
      assertEquals(updated.getETag(), afterReport.getETag(), "reported writes leave the etag");
    } finally {
      device.close();
    }
  }

  @Test
  void replaceSetsTagsAndDesiredWhole() throws Exception {
    createDevice("twin-dev-2");
    TwinClient twins = twins();
    Twin first = new Twin("twin-dev-2");
    first.getTags().put("old", true);
    first.getDesiredProperties().put("old", 1);
    twins.patch(first);
    Twin replacement = new Twin("twin-dev-2");
    replacement.getTags().put("site", "b43");
    replacement.getDesiredProperties().put("mode", "eco");
    Twin replaced = twins.replace(replacement);
    assertEquals("b43", replaced.getTags().get("site"));
    assertNull(replaced.getTags().get("old"));
    assertNull(replaced.getDesiredProperties().get("old"));
    assertEquals("eco", replaced.getDesiredProperties().get("mode"));
    assertThrows(IotHubNotFoundException.class, () -> twins.get("twin-nobody"));
  }
}
