// A deterministic integration test as a user of offhub writes one: the hub's
// state from a document (fixed keys, so fixed connection strings), its clock
// frozen and moved by hand, devices made to fail, and the hub put back as it
// was. The official SDKs are the service and the devices; the control plane
// (/offhub/v1/) is reached with the service connection string's SAS token.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const https = require('node:https');
const { hostName, serviceConnectionString, jobClient, registry, connectDevice, invokeWhenSubscribed } = require('./common');

const KEY1 = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';
const KEY2 = 'ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=';

function serviceToken() {
  const policy = /SharedAccessKeyName=([^;]+)/.exec(serviceConnectionString)[1];
  const key = /SharedAccessKey=([^;]+)/.exec(serviceConnectionString)[1];
  return require('azure-iothub/dist/shared_access_signature')
    .create(hostName, policy, key, Math.floor(Date.now() / 1000) + 3600).toString();
}

// `method` on /offhub/v1/`path`: {status, body} (body parsed when there is one).
function control(method, path, body) {
  return new Promise((resolve, reject) => {
    const request = https.request({
      host: hostName, port: 443, method, path: `/offhub/v1/${path}`,
      headers: { Authorization: serviceToken(), 'Content-Type': 'application/json' },
    }, (response) => {
      let text = '';
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body: text ? JSON.parse(text) : null }));
    });
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const connectionString = (id) => `HostName=${hostName};DeviceId=${id};SharedAccessKey=${KEY1}`;

test('control plane: seeded devices, a frozen clock, a failing and a refused device, then back', async () => {
  const saved = await control('GET', 'state');
  assert.strictEqual(saved.status, 200);
  const seed = {
    devices: ['ctl-lock1', 'ctl-lock2', 'ctl-lock3'].map((deviceId, i) => ({
      deviceId, keys: { primaryKey: KEY1, secondaryKey: KEY2 }, tags: { site: i < 2 ? 'north' : 'south' },
    })),
  };
  const seeded = await control('PUT', 'state', seed);
  assert.deepStrictEqual(seeded.body, { devices: 3, modules: 0, jobs: 0 });

  const frozen = await control('PUT', 'clock', { mode: 'manual' });
  assert.strictEqual(frozen.body.mode, 'manual');
  const devices = [];
  try {
    for (const id of ['ctl-lock1', 'ctl-lock2']) {
      const device = await connectDevice(connectionString(id));
      device.onDeviceMethod('reboot', (request, response) => response.send(200, { rebooted: id }));
      devices.push(device);
    }
    // ctl-lock2's reboot fails: the hub answers 500 for it. ctl-lock3 cannot connect.
    const fault = await control('PUT', 'devices/ctl-lock2/faults', { methods: { reboot: { status: 500, payload: { error: 'disk' } } } });
    assert.strictEqual(fault.status, 200);
    assert.strictEqual((await control('PUT', 'devices/ctl-lock3/faults', { connect: 'refuse' })).status, 200);
    await assert.rejects(connectDevice(connectionString('ctl-lock3')), (err) => err.constructor.name === 'UnauthorizedError');
    // Direct calls, once each device has subscribed: ctl-lock2's is answered by the hub.
    const answered = await invokeWhenSubscribed('ctl-lock1', { methodName: 'reboot', payload: null, responseTimeoutInSeconds: 5 });
    assert.deepStrictEqual(answered.result, { status: 200, payload: { rebooted: 'ctl-lock1' } });
    const direct = await invokeWhenSubscribed('ctl-lock2', { methodName: 'reboot', payload: null, responseTimeoutInSeconds: 5 });
    assert.deepStrictEqual(direct.result, { status: 500, payload: { error: 'disk' } });

    // A job a minute ahead on the hub's clock: it waits until the clock is moved there.
    const start = new Date(Date.parse(frozen.body.now) + 60000);
    await jobClient().scheduleDeviceMethod('ctl-reboot', "tags.site = 'north'",
      { methodName: 'reboot', payload: null, responseTimeoutInSeconds: 30 }, start, 600);
    assert.strictEqual((await jobClient().getJob('ctl-reboot')).jobStatus.status, 'scheduled');
    const advanced = await control('POST', 'clock/advance', { seconds: 60 });
    assert.strictEqual(advanced.status, 200);
    // The advance answers once the work it released has settled: no polling.
    const { jobStatus: job } = await jobClient().getJob('ctl-reboot');
    assert.strictEqual(job.status, 'completed');
    assert.strictEqual(job.deviceJobStatistics.succeededCount, 2);
    const { result: records } = await registry()
      .createQuery("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'ctl-reboot'").next();
    const outcomes = Object.fromEntries(records.map((r) => [r.deviceId, r.outcome.deviceMethodResponse]));
    assert.deepStrictEqual(outcomes, {
      'ctl-lock1': { status: 200, payload: { rebooted: 'ctl-lock1' } },
      'ctl-lock2': { status: 500, payload: { error: 'disk' } },
    });
    const exported = await control('GET', 'state');
    assert.deepStrictEqual(exported.body.devices.find((d) => d.deviceId === 'ctl-lock3').faults, { connect: 'refuse' });
  } finally {
    for (const device of devices) await device.close();
    await control('PUT', 'clock', { mode: 'real' });
    // The hub as it was before this test, for the scenarios that follow.
    assert.strictEqual((await control('PUT', 'state', saved.body)).status, 200);
  }
});
