package offhub.compat;

import static offhub.compat.Hub.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.service.exceptions.ErrorCodeDescription;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubBadFormatException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubGatewayTimeoutException;
import com.microsoft.azure.sdk.iot.service.exceptions.IotHubNotFoundException;
import com.microsoft.azure.sdk.iot.service.methods.DirectMethodRequestOptions;
import com.microsoft.azure.sdk.iot.service.methods.DirectMethodsClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Direct methods: echo, 404103 offline, 504 timeout, 400 for a bad timeout. */
class MethodsTest {
  static DirectMethodRequestOptions options(Object payload, int responseTimeoutSeconds) {
    return DirectMethodRequestOptions.builder().payload(payload).methodResponseTimeoutSeconds(responseTimeoutSeconds).build();
  }

  @Test
  void echoOfflineTimeoutBadTimeout() throws Exception {
    DeviceClient device = connectDevice(createDevice("method-dev-1"), IotHubClientProtocol.MQTT);
    createDevice("method-dev-offline");
    try {
      device.subscribeToMethods((name, payload, context) -> {
        if (name.equals("echo")) return new DirectMethodResponse(200, payload.getPayloadAsJsonElement());
        try {
          Thread.sleep(6000);  // "slow": answers a second after the caller gave up
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return new DirectMethodResponse(200, null);
      }, null);
      DirectMethodsClient methods = methods();
      invokeWhenSubscribed(() -> methods.invoke("method-dev-1", "echo", options(null, 5)));

      for (Object payload : List.of("", "foo", Map.of("k1", "v1"), Map.of(), 7, List.of(1, "two"))) {
        var result = methods.invoke("method-dev-1", "echo", options(payload, 5));
        assertEquals(200, result.getStatus());
        assertEquals(JsonParser.parseString(new com.google.gson.Gson().toJson(payload)), result.getPayloadAsJsonElement());
      }
      var nullEcho = methods.invoke("method-dev-1", "echo", options(null, 5));
      assertEquals(200, nullEcho.getStatus());
      assertEquals(com.google.gson.JsonNull.INSTANCE, nullEcho.getPayloadAsJsonElement());

      // The SDK's default connect timeout is 200 s (the hub would wait for the device): 0 asks for an answer now.
      DirectMethodRequestOptions now =
          DirectMethodRequestOptions.builder().methodResponseTimeoutSeconds(5).methodConnectTimeoutSeconds(0).build();
      IotHubException offline =
          assertThrows(IotHubNotFoundException.class, () -> methods.invoke("method-dev-offline", "echo", now));
      assertEquals(ErrorCodeDescription.DeviceNotOnline, offline.getErrorCodeDescription());
      assertEquals(404103, offline.getErrorCode());

      assertThrows(IotHubGatewayTimeoutException.class, () -> methods.invoke("method-dev-1", "slow", options(null, 5)));
      assertThrows(IotHubBadFormatException.class, () -> methods.invoke("method-dev-1", "echo", options(null, 301)));
      IotHubException nobody = assertThrows(IotHubNotFoundException.class,
          () -> methods.invoke("method-nobody", "echo", options(null, 5)));
      assertTrue(nobody.getMessage().startsWith("ErrorCode:DeviceNotFound;"), nobody.getMessage());
    } finally {
      device.close();
    }
  }
}
