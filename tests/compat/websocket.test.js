'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { Client: DeviceClient } = require('azure-iot-device');
const { MqttWs } = require('azure-iot-device-mqtt');
const { invokeWhenSubscribed, createDevice, registry, eventually } = require('./common');

test('MQTT over WebSockets on 443: methods and twins through the MqttWs transport', async () => {
  const deviceConnectionString = await createDevice('ws-dev-1');
  const device = DeviceClient.fromConnectionString(deviceConnectionString, MqttWs);
  await device.open();
  try {
    device.onDeviceMethod('ping', (request, response) => response.send(200, { pong: request.payload }));
    const { result } = await invokeWhenSubscribed('ws-dev-1', { methodName: 'ping', payload: 7, responseTimeoutInSeconds: 5 });
    assert.deepStrictEqual(result, { status: 200, payload: { pong: 7 } });
    const twin = await device.getTwin();
    await new Promise((resolve, reject) => twin.properties.reported.update({ via: 'websocket' }, (e) => (e ? reject(e) : resolve())));
    await eventually(async () => (await registry().getTwin('ws-dev-1')).responseBody.properties.reported.via === 'websocket');
  } finally {
    await device.close();
  }
});

test('MQTT over WebSockets: a wrong key is refused', async () => {
  await createDevice('ws-dev-2');
  const wrong = Buffer.from('y'.repeat(32)).toString('base64');
  const { hostName } = require('./common');
  const device = DeviceClient.fromConnectionString(`HostName=${hostName};DeviceId=ws-dev-2;SharedAccessKey=${wrong}`, MqttWs);
  await assert.rejects(device.open());
});
