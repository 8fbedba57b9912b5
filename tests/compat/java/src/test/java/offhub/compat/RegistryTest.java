package offhub.compat;

import static offhub.compat.Hub.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.azure.sdk.iot.service.auth.SymmetricKey;
import com.microsoft.azure.sdk.iot.service.exceptions.ErrorCodeDescription;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubConflictException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubNotFoundException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubPreconditionFailedException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubUnauthorizedException;
import com.microsoft.azure.sdk.iot.service.registry.Device;
import com.microsoft.azure.sdk.iot.service.registry.DeviceStatus;
import com.microsoft.azure.sdk.iot.service.registry.RegistryClient;
import com.microsoft.azure.sdk.iot.service.registry.RegistryStatistics;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Registry: devices, errors and statistics through RegistryClient. */
class RegistryTest {
  @Test
  void createGetUpdateDelete() throws Exception {
    RegistryClient registry = registry();
    Device created = registry.addDevice(new Device("reg-dev-1"));
    assertEquals("reg-dev-1", created.getDeviceId());
    assertEquals(DeviceStatus.Enabled, created.getStatus());
    assertTrue(!created.getETag().isEmpty());

    Device got = registry.getDevice("reg-dev-1");
    assertEquals(created.getETag(), got.getETag());
    assertEquals(created.getPrimaryKey(), got.getPrimaryKey());

    got.setStatus(DeviceStatus.Disabled);
    Device updated = registry.updateDevice(got);
    assertEquals(DeviceStatus.Disabled, updated.getStatus());
    assertNotEquals(got.getETag(), updated.getETag());
    assertEquals(DeviceStatus.Disabled, registry.getDevice("reg-dev-1").getStatus());

    registry.removeDevice("reg-dev-1");
    IotHubNotFoundException missing = assertThrows(IotHubNotFoundException.class, () -> registry.getDevice("reg-dev-1"));
    // IoT Hub's registry errors carry the name, not the number: the SDK falls back on the HTTP status.
    assertEquals(ErrorCodeDescription.NotFound, missing.getErrorCodeDescription());
    assertTrue(missing.getMessage().startsWith("ErrorCode:DeviceNotFound;"), missing.getMessage());
    assertThrows(IotHubNotFoundException.class, () -> registry.removeDevice("reg-dev-1"));
  }

  @Test
  void theSdksOwnKeysAreKept() throws Exception {
    Device device = new Device("reg-dev-keys");
    SymmetricKey keys = new SymmetricKey();
    keys.setPrimaryKey(Base64.getEncoder().encodeToString("p".repeat(32).getBytes()));
    keys.setSecondaryKey(Base64.getEncoder().encodeToString("s".repeat(32).getBytes()));
    device.setSymmetricKey(keys);
    Device created = registry().addDevice(device);
    assertEquals(keys.getPrimaryKey(), created.getPrimaryKey());
    assertEquals(keys.getSecondaryKey(), created.getSecondaryKey());
  }

  @Test
  void updatesAreUnconditionalAndRemovesHonourTheEtag() throws Exception {
    RegistryClient registry = registry();
    Device created = registry.addDevice(new Device("reg-dev-etag"));
    Device first = registry.getDevice("reg-dev-etag");
    first.setStatus(DeviceStatus.Disabled);
    registry.updateDevice(first);
    // updateDevice sends If-Match: *, so a stale copy still wins.
    created.setStatus(DeviceStatus.Enabled);
    assertEquals(DeviceStatus.Enabled, registry.updateDevice(created).getStatus());
    // removeDevice(Device) sends the device's etag, unquoted.
    assertThrows(IotHubPreconditionFailedException.class, () -> registry.removeDevice(created));
    registry.removeDevice(registry.getDevice("reg-dev-etag"));
    assertThrows(IotHubNotFoundException.class, () -> registry.getDevice("reg-dev-etag"));
  }

  @Test
  void aSecondCreateIs409DeviceAlreadyExists() throws Exception {
    registry().addDevice(new Device("reg-dev-2"));
    IotHubConflictException twice =
        assertThrows(IotHubConflictException.class, () -> registry().addDevice(new Device("reg-dev-2")));
    assertTrue(twice.getMessage().startsWith("ErrorCode:DeviceAlreadyExists;"), twice.getMessage());
  }

  @Test
  void statistics() throws Exception {
    registry().addDevice(new Device("reg-stats-on"));
    Device off = new Device("reg-stats-off");
    off.setStatus(DeviceStatus.Disabled);
    assertEquals(DeviceStatus.Disabled, registry().addDevice(off).getStatus());
    RegistryStatistics stats = registry().getStatistics();
    assertTrue(stats.getTotalDeviceCount() >= 2);
    assertTrue(stats.getDisabledDeviceCount() >= 1);
    assertTrue(stats.getDisabledDeviceCount() < stats.getTotalDeviceCount());
    // getEnabledDeviceCount() is left out: the SDK reads "enableDeviceCount", a name IoT Hub does not send.
  }

  @Test
  void aWrongKeyIs401() {
    String wrong = Base64.getEncoder().encodeToString("x".repeat(32).getBytes());
    RegistryClient bad = new RegistryClient(CONNECTION_STRING.replaceAll("SharedAccessKey=[^;]+", "SharedAccessKey=" + wrong));
    assertThrows(IotHubUnauthorizedException.class, () -> bad.getDevice("anything"));
  }
}
