'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { registry, createDevice, connectDevice, eventually } = require('./common');

test('twins: etag 412, desired reaching the device, reported reaching the service', async () => {
  const deviceConnectionString = await createDevice('twin-dev-1');
  const device = await connectDevice(deviceConnectionString);
  try {
    const deviceTwin = await device.getTwin();
    const seen = [];
    deviceTwin.on('properties.desired', (delta) => seen.push(delta));

    const { responseBody: twin } = await registry().getTwin('twin-dev-1');
    assert.strictEqual(twin.etag, 'AAAAAAAAAAE=');
    const initial = twin.properties.desired.$version;

    await assert.rejects(
      new Promise((resolve, reject) => registry()._restApiClient.executeApiCall('PATCH', '/twins/twin-dev-1?api-version=2021-04-12',
        { 'Content-Type': 'application/json; charset=utf-8', 'If-Match': '"abc"' }, { properties: { desired: { a: 1 } } },
        (err, res) => (err ? reject(err) : resolve(res)))),
      (err) => err.constructor.name === 'InvalidEtagError');

    const updated = await twin.update({ properties: { desired: { building: '43', floor: 3 } } });
    assert.strictEqual(updated.result.properties.desired.$version, initial + 1);
    await eventually(() => seen.some((d) => d.building === '43' && d.floor === 3));
    assert.strictEqual(deviceTwin.properties.desired.building, '43');

    await new Promise((resolve, reject) =>
      deviceTwin.properties.reported.update({ building: '43', floor: 3, lock: 'acknowledged' }, (err) => (err ? reject(err) : resolve())));
    const reported = await eventually(async () => {
      const { responseBody } = await registry().getTwin('twin-dev-1');
      return responseBody.properties.reported.lock === 'acknowledged' ? responseBody : null;
    });
    assert.strictEqual(reported.properties.reported.floor, 3);
    assert.strictEqual(reported.etag, updated.result.etag, 'reported writes leave the etag');
  } finally {
    await device.close();
  }
});
