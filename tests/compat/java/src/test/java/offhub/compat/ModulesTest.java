package offhub.compat;

import static offhub.compat.Hub.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.IotHubStatusCode;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubConflictException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubNotFoundException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubPreconditionFailedException;
import com.microsoft.azure.sdk.iot.service.jobs.DirectMethodsJobOptions;
import com.microsoft.azure.sdk.iot.service.jobs.ScheduledJob;
import com.microsoft.azure.sdk.iot.service.jobs.ScheduledJobStatus;
import com.microsoft.azure.sdk.iot.service.methods.DirectMethodRequestOptions;
import com.microsoft.azure.sdk.iot.service.query.RawQueryResponse;
import com.microsoft.azure.sdk.iot.service.query.TwinQueryResponse;
import com.microsoft.azure.sdk.iot.service.registry.DeviceConnectionState;
import com.microsoft.azure.sdk.iot.service.registry.Module;
import com.microsoft.azure.sdk.iot.service.registry.RegistryClient;
import com.microsoft.azure.sdk.iot.service.twin.Twin;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Modules: registry, module clients over MQTT, module twins and methods, jobs over modules. */
class ModulesTest {
  static DirectMethodRequestOptions options(Object payload) {
    return DirectMethodRequestOptions.builder().payload(payload).methodResponseTimeoutSeconds(5).build();
  }

  @Test
  void registryCrudWithEtagsAndErrors() throws Exception {
    RegistryClient registry = registry();
    IotHubException noDevice =
        assertThrows(IotHubNotFoundException.class, () -> registry.addModule(new Module("mod-nodev", "m")));
    assertTrue(noDevice.getMessage().startsWith("ErrorCode:DeviceNotFound;"), noDevice.getMessage());
    createDevice("mod-reg-1");
    Module created = registry.addModule(new Module("mod-reg-1", "camera"));
    assertEquals("mod-reg-1", created.getDeviceId());
    assertEquals("camera", created.getId());
    IotHubException twice =
        assertThrows(IotHubConflictException.class, () -> registry.addModule(new Module("mod-reg-1", "camera")));
    assertTrue(twice.getMessage().startsWith("ErrorCode:ModuleAlreadyExistsOnDevice;"), twice.getMessage());
    registry.addModule(new Module("mod-reg-1", "sensor"));

    List<String> listed = new ArrayList<>();
    for (Module m : registry.getModulesOnDevice("mod-reg-1")) listed.add(m.getId());
    listed.sort(null);
    assertEquals(List.of("camera", "sensor"), listed);
    Module got = registry.getModule("mod-reg-1", "camera");
    assertEquals(created.getETag(), got.getETag());
    IotHubException missing =
        assertThrows(IotHubNotFoundException.class, () -> registry.getModule("mod-reg-1", "nothing"));
    assertTrue(missing.getMessage().startsWith("ErrorCode:ModuleNotFound;"), missing.getMessage());

    // updateModule sends If-Match: *; removeModule(Module) sends the module's etag, unquoted.
    Module updated = registry.updateModule(got);
    assertNotEquals(got.getETag(), updated.getETag());
    assertEquals(got.getPrimaryKey(), updated.getPrimaryKey());
    assertThrows(IotHubPreconditionFailedException.class, () -> registry.removeModule(got));

    registry.removeModule(registry.getModule("mod-reg-1", "sensor"));
    IotHubException removed =
        assertThrows(IotHubNotFoundException.class, () -> registry.getModule("mod-reg-1", "sensor"));
    assertTrue(removed.getMessage().startsWith("ErrorCode:ModuleNotFound;"), removed.getMessage());
    registry.removeDevice("mod-reg-1");
    IotHubException deviceGone =
        assertThrows(IotHubNotFoundException.class, () -> registry.getModule("mod-reg-1", "camera"));
    assertTrue(deviceGone.getMessage().startsWith("ErrorCode:DeviceNotFound;"), deviceGone.getMessage());
  }

  @Test
  void aModuleClientGetsItsOwnMethodsAndTwin() throws Exception {
    String deviceConnectionString = createDevice("mod-edge-1");
    String moduleConnectionString = createModule("mod-edge-1", "filter");

    String wrong = Base64.getEncoder().encodeToString(new byte[32]);
    ModuleClient impostor = new ModuleClient(
        "HostName=" + HOST_NAME + ";DeviceId=mod-edge-1;ModuleId=filter;SharedAccessKey=" + wrong,
        IotHubClientProtocol.MQTT, ClientOptions.builder().sslContext(caSslContext()).build());
    IotHubClientException refused = assertThrows(IotHubClientException.class, () -> impostor.open(false));
    assertEquals(IotHubStatusCode.UNAUTHORIZED, refused.getStatusCode());

    ModuleClient module = connectModule(moduleConnectionString, IotHubClientProtocol.MQTT);
    DeviceClient device = connectDevice(deviceConnectionString, IotHubClientProtocol.MQTT);
    try {
      List<String> deviceCalls = new CopyOnWriteArrayList<>();
      device.subscribeToMethods((name, payload, context) -> {
        deviceCalls.add(name);
        return new DirectMethodResponse(200, "device");
      }, null);
      module.subscribeToMethods((name, payload, context) -> new DirectMethodResponse(200,
          JsonParser.parseString("{\"module\":\"filter\",\"got\":" + payload.getPayloadAsJsonString() + "}")), null);

      var result = invokeWhenSubscribed(() -> methods().invoke("mod-edge-1", "filter", "whoami",
          options(JsonParser.parseString("{\"n\":1}"))));
      assertEquals(200, result.getStatus());
      assertEquals(JsonParser.parseString("{\"module\":\"filter\",\"got\":{\"n\":1}}"), result.getPayloadAsJsonElement());
      assertTrue(deviceCalls.isEmpty(), "the device does not see its module's calls");
      IotHubException nothing = assertThrows(IotHubNotFoundException.class,
          () -> methods().invoke("mod-edge-1", "nothing", "whoami", options(null)));
      assertTrue(nothing.getMessage().startsWith("ErrorCode:ModuleNotFound;"), nothing.getMessage());

      List<TwinCollection> seen = new CopyOnWriteArrayList<>();
      module.subscribeToDesiredProperties((twin, context) -> seen.add(twin.getDesiredProperties()), null);
      Twin twin = twins().get("mod-edge-1", "filter");
      assertEquals("filter", twin.getModuleId());
      Twin patch = new Twin("mod-edge-1", "filter");
      patch.setETag(twin.getETag());
      patch.getDesiredProperties().put("threshold", 7);
      assertEquals(7.0, ((Number) twins().patch(patch).getDesiredProperties().get("threshold")).doubleValue());
      eventually(() -> seen.stream().anyMatch(d -> d.containsKey("threshold")));

      TwinCollection reported = getTwin(module).getReportedProperties();
      reported.put("threshold", 7);
      reported.put("state", "applied");
      updateReportedProperties(module, reported);
      assertEquals("applied", twins().get("mod-edge-1", "filter").getReportedProperties().get("state"));
      assertNull(twins().get("mod-edge-1").getDesiredProperties().get("threshold"), "the device twin is its own");

      TwinQueryResponse modules = query().queryTwins(
          "SELECT * FROM devices.modules WHERE properties.reported.state = 'applied'");
      Twin only = modules.next();
      assertEquals(List.of("mod-edge-1", "filter"), List.of(only.getDeviceId(), only.getModuleId()));
      assertTrue(!modules.hasNext());
      assertEquals(DeviceConnectionState.Connected, registry().getModule("mod-edge-1", "filter").getConnectionState());
    } finally {
      module.close();
      device.close();
    }
  }

  @Test
  void jobsOverModulesCallEachModuleAndPatchModuleTwins() throws Exception {
    List<ModuleClient> pumps = new ArrayList<>();
    List<Integer> calls = new CopyOnWriteArrayList<>();
    try {
      for (int i = 1; i <= 2; i++) {
        String deviceId = "mod-job-" + i;
        createDevice(deviceId);
        ModuleClient pump = connectModule(createModule(deviceId, "pump"), IotHubClientProtocol.MQTT);
        pumps.add(pump);
        createModule(deviceId, "valve");
        final int index = i;
        pump.subscribeToMethods((name, payload, context) -> {
          calls.add(index);
          return new DirectMethodResponse(200, JsonParser.parseString("{\"primed\":" + index + "}"));
        }, null);
      }
      for (int i = 1; i <= 2; i++) {
        String deviceId = "mod-job-" + i;
        invokeWhenSubscribed(() -> methods().invoke(deviceId, "pump", "prime", options(null)));
      }
      calls.clear();

      String condition = "FROM devices.modules WHERE moduleId = 'pump' AND STARTSWITH(deviceId, 'mod-job-')";
      jobs().scheduleDirectMethod("pump-method-job", condition, "prime", new Date(),
          DirectMethodsJobOptions.builder().methodResponseTimeoutSeconds(10).maxExecutionTimeSeconds(300).build());
      Twin rpm = new Twin();
      rpm.setETag("*");
      rpm.getDesiredProperties().put("rpm", 1200);
      jobs().scheduleUpdateTwin("pump-twin-job", condition, rpm, new Date(), 300);
      for (String jobId : List.of("pump-method-job", "pump-twin-job")) {
        ScheduledJob job = waitForJob(jobId);
        assertEquals(ScheduledJobStatus.completed, job.getJobStatus(), jobId);
        assertEquals(2, job.getJobStatistics().getDeviceCount(), jobId);
        assertEquals(2, job.getJobStatistics().getSucceededCount(), jobId);
      }
      List<Integer> called = new ArrayList<>(calls);
      called.sort(null);
      assertEquals(List.of(1, 2), called, "each pump module called once, on its own connection");

      // queryRaw: queryJobs cannot read a method job's device records (see DoorLockTest).
      RawQueryResponse records = query().queryRaw("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'pump-method-job'");
      List<String> targets = new ArrayList<>();
      while (records.hasNext()) {
        JsonObject record = JsonParser.parseString(records.next()).getAsJsonObject();
        targets.add(record.get("deviceId").getAsString() + "/" + record.get("moduleId").getAsString());
        assertEquals(200, record.getAsJsonObject("outcome").getAsJsonObject("deviceMethodResponse").get("status").getAsInt());
      }
      targets.sort(null);
      assertEquals(List.of("mod-job-1/pump", "mod-job-2/pump"), targets);

      assertEquals(1200.0, ((Number) twins().get("mod-job-1", "pump").getDesiredProperties().get("rpm")).doubleValue());
      assertNull(twins().get("mod-job-1", "valve").getDesiredProperties().get("rpm"), "only the matching modules");
      assertNull(twins().get("mod-job-1").getDesiredProperties().get("rpm"), "the devices are not patched");
    } finally {
      for (ModuleClient pump : pumps) pump.close();
    }
  }
}
