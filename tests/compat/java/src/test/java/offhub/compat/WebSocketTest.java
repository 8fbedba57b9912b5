package offhub.compat;

import static offhub.compat.Hub.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonParser;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.IotHubStatusCode;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import com.microsoft.azure.sdk.iot.service.methods.DirectMethodRequestOptions;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** MQTT over WebSockets on 443 (IotHubClientProtocol.MQTT_WS): methods, twins, modules, a wrong key. */
class WebSocketTest {
  static DirectMethodRequestOptions options(Object payload) {
    return DirectMethodRequestOptions.builder().payload(payload).methodResponseTimeoutSeconds(5).build();
  }

  @Test
  void methodsAndTwins() throws Exception {
    DeviceClient device = connectDevice(createDevice("ws-dev-1"), IotHubClientProtocol.MQTT_WS);
    try {
      device.subscribeToMethods((name, payload, context) -> new DirectMethodResponse(200,
          JsonParser.parseString("{\"pong\":" + payload.getPayloadAsJsonString() + "}")), null);
      var result = invokeWhenSubscribed(() -> methods().invoke("ws-dev-1", "ping", options(7)));
      assertEquals(200, result.getStatus());
      assertEquals(JsonParser.parseString("{\"pong\":7}"), result.getPayloadAsJsonElement());
      device.subscribeToDesiredProperties((twin, context) -> { }, null);  // the SDK's condition for getTwin
      TwinCollection reported = getTwin(device).getReportedProperties();
      reported.put("via", "websocket");
      updateReportedProperties(device, reported);
      assertEquals("websocket", twins().get("ws-dev-1").getReportedProperties().get("via"));
    } finally {
      device.close();
    }
  }

  @Test
  void aModuleAnswersItsOwnMethods() throws Exception {
    createDevice("ws-dev-3");
    ModuleClient module = connectModule(createModule("ws-dev-3", "relay"), IotHubClientProtocol.MQTT_WS);
    try {
      module.subscribeToMethods((name, payload, context) -> new DirectMethodResponse(200,
          JsonParser.parseString("{\"relay\":" + payload.getPayloadAsJsonString() + "}")), null);
      var result = invokeWhenSubscribed(() -> methods().invoke("ws-dev-3", "relay", "ping", options(1)));
      assertEquals(JsonParser.parseString("{\"relay\":1}"), result.getPayloadAsJsonElement());
    } finally {
      module.close();
    }
  }

  @Test
  void aWrongKeyIsRefused() throws Exception {
    createDevice("ws-dev-2");
    String wrong = Base64.getEncoder().encodeToString("y".repeat(32).getBytes());
    DeviceClient device = new DeviceClient("HostName=" + HOST_NAME + ";DeviceId=ws-dev-2;SharedAccessKey=" + wrong,
        IotHubClientProtocol.MQTT_WS);
    IotHubClientException refused = assertThrows(IotHubClientException.class, () -> device.open(false));
    assertEquals(IotHubStatusCode.UNAUTHORIZED, refused.getStatusCode());
  }
}
