package offhub.compat;

import static offhub.compat.Hub.*;

import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.Message;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.service.messaging.IotHubServiceClientProtocol;
import com.microsoft.azure.sdk.iot.service.messaging.MessagingClient;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/** Device-to-cloud telemetry, and what the emulator does not offer. */
class TelemetryTest {
  @Test
  void messagesWithPropertiesAreAcknowledgedOverMqttAndWebSockets() throws Exception {
    for (IotHubClientProtocol protocol : List.of(IotHubClientProtocol.MQTT, IotHubClientProtocol.MQTT_WS)) {
      DeviceClient device = connectDevice(createDevice("telemetry-dev-" + protocol), protocol);
      try {
        Message message = new Message("{\"temperature\":21.5}");
        message.setMessageId("m-1");
        message.setContentType("application/json");
        message.setProperty("alert", "false");
        device.sendEvent(message);  // returns once the hub has PUBACKed it
        device.sendEvent(new Message("plain text"));
      } finally {
        device.close();
      }
    }
  }

  @Test
  void aModuleSendsToAnOutput() throws Exception {
    createDevice("telemetry-dev-m");
    ModuleClient module = connectModule(createModule("telemetry-dev-m", "sensor"), IotHubClientProtocol.MQTT);
    try {
      module.sendEvent(new Message("{\"t\":1}"), "temperatureOutput");
    } finally {
      module.close();
    }
  }

  @Test
  @Disabled("cloud-to-device messages: MessagingClient speaks AMQP (5671, or AMQP over WebSockets) and the emulator "
      + "has neither AMQP nor cloud-to-device messages")
  void cloudToDeviceMessage() throws Exception {
    DeviceClient device = connectDevice(createDevice("c2d-dev"), IotHubClientProtocol.MQTT);
    List<String> received = new CopyOnWriteArrayList<>();
    device.setMessageCallback((message, context) -> {
      received.add(new String(message.getBytes()));
      return com.microsoft.azure.sdk.iot.device.IotHubMessageResult.COMPLETE;
    }, null);
    MessagingClient messaging = new MessagingClient(CONNECTION_STRING, IotHubServiceClientProtocol.AMQPS);
    messaging.open();
    messaging.send("c2d-dev", new com.microsoft.azure.sdk.iot.service.messaging.Message("hello"));
    eventually(() -> !received.isEmpty());
    messaging.close();
    device.close();
  }
}
