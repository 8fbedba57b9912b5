'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { serviceClient, createDevice, connectDevice, invokeWhenSubscribed } = require('./common');

test('direct methods: echo, offline, timeout, bad timeout', async () => {
  const deviceConnectionString = await createDevice('method-dev-1');
  await createDevice('method-dev-offline');
  const device = await connectDevice(deviceConnectionString);
  try {
    device.onDeviceMethod('echo', (request, response) => response.send(200, request.payload));
    device.onDeviceMethod('slow', () => { /* never answers */ });
    const service = serviceClient();
    await invokeWhenSubscribed('method-dev-1', { methodName: 'echo', payload: null, responseTimeoutInSeconds: 5 });
    for (const payload of [null, '', 'foo', { k1: 'v1' }, {}]) {
      const { result } = await service.invokeDeviceMethod('method-dev-1', { methodName: 'echo', payload, responseTimeoutInSeconds: 5 });
      assert.strictEqual(result.status, 200);
      assert.deepStrictEqual(result.payload, payload);
    }
    await assert.rejects(service.invokeDeviceMethod('method-dev-offline', { methodName: 'echo', payload: null }),
      (err) => err.response && err.response.statusCode === 404 && JSON.parse(JSON.parse(err.responseBody).Message).errorCode === 404103);
    await assert.rejects(service.invokeDeviceMethod('method-dev-1', { methodName: 'slow', payload: null, responseTimeoutInSeconds: 5 }),
      (err) => err.constructor.name === 'GatewayTimeoutError');
    await assert.rejects(service.invokeDeviceMethod('method-dev-1', { methodName: 'echo', payload: null, responseTimeoutInSeconds: 301 }),
      (err) => err.response && err.response.statusCode === 400);
  } finally {
    await device.close();
  }
});

// A device whose answer is not JSON: the hub splices its bytes unchanged into
// {"status":..,"payload":<bytes>}, so the service SDK's JSON parse fails, as
// users of IoT Hub have met it. The device speaks MQTT itself (mqtt.js, the
// client the device SDK uses): the device SDK always sends JSON.
test('a method answer that is not JSON reaches the service as the device sent it', async () => {
  const mqtt = require('mqtt');
  const { SharedAccessSignature } = require('azure-iot-device');
  const connectionString = await createDevice('method-dev-raw');
  const key = /SharedAccessKey=([^;]+)/.exec(connectionString)[1];
  const { hostName } = require('./common');
  const sas = SharedAccessSignature.create(hostName, 'method-dev-raw', key, Math.floor(Date.now() / 1000) + 3600);
  const device = mqtt.connect(`mqtts://${hostName}:8883`, {
    clientId: 'method-dev-raw', username: `${hostName}/method-dev-raw/?api-version=2021-04-12`,
    password: sas.toString(), protocolVersion: 4, clean: true, reconnectPeriod: 0,
  });
  try {
    await new Promise((resolve, reject) => { device.once('connect', resolve); device.once('error', reject); });
    await new Promise((resolve, reject) => device.subscribe('$iothub/methods/POST/#', { qos: 0 }, (e) => (e ? reject(e) : resolve())));
    device.on('message', (topic) => {
      const rid = /\?\$rid=(.*)$/.exec(topic)[1];
      device.publish(`$iothub/methods/res/200/?$rid=${rid}`, "{'file': 'logs.zip'}", { qos: 0 });
    });
    const failure = await invokeWhenSubscribed('method-dev-raw', { methodName: 'upload', payload: null, responseTimeoutInSeconds: 5 })
      .then(() => null, (err) => err);
    assert.ok(failure instanceof SyntaxError, `expected the SDK's JSON parse to fail, got ${failure}`);
    // The bytes on the wire, read with a plain HTTPS request.
    const { serviceConnectionString } = require('./common');
    const policy = /SharedAccessKeyName=([^;]+)/.exec(serviceConnectionString)[1];
    const policyKey = /SharedAccessKey=([^;]+)/.exec(serviceConnectionString)[1];
    const token = require('azure-iothub/dist/shared_access_signature')
      .create(hostName, policy, policyKey, Math.floor(Date.now() / 1000) + 3600).toString();
    const body = await new Promise((resolve, reject) => {
      const request = require('node:https').request({
        host: hostName, port: 443, method: 'POST', path: '/twins/method-dev-raw/methods?api-version=2021-04-12',
        headers: { Authorization: token, 'Content-Type': 'application/json' },
      }, (response) => {
        let text = '';
        response.on('data', (chunk) => { text += chunk; });
        response.on('end', () => resolve(text));
      });
      request.on('error', reject);
      request.end(JSON.stringify({ methodName: 'upload', payload: null, responseTimeoutInSeconds: 5 }));
    });
    assert.strictEqual(body, `{"status":200,"payload":{'file': 'logs.zip'}}`);
  } finally {
    device.end(true);
  }
});
