'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { Client: DeviceClient, ModuleClient } = require('azure-iot-device');
const { MqttWs } = require('azure-iot-device-mqtt');
const { invokeWhenSubscribed, invokeModuleWhenSubscribed, createDevice, registry, eventually, hostName } = require('./common');

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

test('MQTT over WebSockets: a module answers its own methods', async () => {
  await createDevice('ws-dev-3');
  const { responseBody: created } = await registry().addModule({ deviceId: 'ws-dev-3', moduleId: 'relay' });
  const key = created.authentication.symmetricKey.primaryKey;
  const module = ModuleClient.fromConnectionString(`HostName=${hostName};DeviceId=ws-dev-3;ModuleId=relay;SharedAccessKey=${key}`, MqttWs);
  await module.open();
  try {
    module.onMethod('ping', (request, response) => response.send(200, { relay: request.payload }));
    const { result } = await invokeModuleWhenSubscribed('ws-dev-3', 'relay', { methodName: 'ping', payload: 1, responseTimeoutInSeconds: 5 });
    assert.deepStrictEqual(result, { status: 200, payload: { relay: 1 } });
  } finally {
    await module.close();
  }
});

test('MQTT over WebSockets: a wrong key is refused', async () => {
  await createDevice('ws-dev-2');
  const wrong = Buffer.from('y'.repeat(32)).toString('base64');
  const device = DeviceClient.fromConnectionString(`HostName=${hostName};DeviceId=ws-dev-2;SharedAccessKey=${wrong}`, MqttWs);
  await assert.rejects(device.open());
});
