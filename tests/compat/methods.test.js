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
