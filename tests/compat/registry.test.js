'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { registry } = require('./common');

test('registry: create with generated keys, get, list, update, delete', async () => {
  const reg = registry();
  const { responseBody: created } = await reg.create({ deviceId: 'reg-dev-1' });
  assert.strictEqual(created.deviceId, 'reg-dev-1');
  assert.strictEqual(created.authentication.symmetricKey.primaryKey.length, 44);
  assert.strictEqual(created.status, 'enabled');

  const { responseBody: got } = await reg.get('reg-dev-1');
  assert.strictEqual(got.etag, created.etag);
  const { responseBody: list } = await reg.list();
  assert.ok(list.some((d) => d.deviceId === 'reg-dev-1'));

  const { responseBody: updated } = await reg.update({ deviceId: 'reg-dev-1', status: 'disabled', etag: got.etag });
  assert.strictEqual(updated.status, 'disabled');
  await reg.delete('reg-dev-1');
  await assert.rejects(reg.get('reg-dev-1'), (err) => err.constructor.name === 'DeviceNotFoundError');
});

test('registry: a second create is DeviceAlreadyExistsError', async () => {
  const reg = registry();
  await reg.create({ deviceId: 'reg-dev-2' });
  await assert.rejects(reg.create({ deviceId: 'reg-dev-2' }), (err) => err.constructor.name === 'DeviceAlreadyExistsError');
});

test('auth: a wrong key is UnauthorizedError', async () => {
  const { Registry } = require('azure-iothub');
  const bad = Registry.fromConnectionString(
    process.env.IOTHUB_CONNECTION_STRING.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=' + Buffer.from('x'.repeat(32)).toString('base64')));
  await assert.rejects(bad.list(), (err) => err.constructor.name === 'UnauthorizedError');
});
