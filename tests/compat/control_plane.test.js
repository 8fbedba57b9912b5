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

test('control plane: a seeded hub, a job a day ahead, a device answering 500 and one dropping the call', async () => {
  const saved = await control('GET', 'state');
  assert.strictEqual(saved.status, 200);
  const ids = ['ctl-ok', 'ctl-500', 'ctl-drop', 'ctl-refused'];
  const seed = {
    devices: ids.map((deviceId) => ({
      deviceId, keys: { primaryKey: KEY1, secondaryKey: KEY2 }, tags: { site: deviceId === 'ctl-refused' ? 'south' : 'north' },
    })),
  };
  const seeded = await control('PUT', 'state', seed);
  assert.deepStrictEqual(seeded.body, { devices: 4, modules: 0, jobs: 0 });

  const frozen = await control('PUT', 'clock', { mode: 'manual' });
  assert.strictEqual(frozen.body.mode, 'manual');
  const devices = [];
  const reboots = {};
  try {
    // The hub answers ctl-500's reboot with 500; ctl-drop's reboot reaches no one; ctl-refused cannot connect.
    assert.strictEqual((await control('PUT', 'devices/ctl-500/faults',
      { methods: { reboot: { status: 500, payload: { error: 'disk' } } } })).status, 200);
    assert.strictEqual((await control('PUT', 'devices/ctl-drop/faults', { methods: { reboot: { drop: true } } })).status, 200);
    assert.strictEqual((await control('PUT', 'devices/ctl-refused/faults', { connect: 'refuse' })).status, 200);
    await assert.rejects(connectDevice(connectionString('ctl-refused')), (err) => err.constructor.name === 'UnauthorizedError');
    for (const id of ['ctl-ok', 'ctl-500', 'ctl-drop']) {
      const device = await connectDevice(connectionString(id));
      reboots[id] = 0;
      device.onDeviceMethod('reboot', (request, response) => { reboots[id] += 1; response.send(200, { rebooted: id }); });
      device.onDeviceMethod('ping', (request, response) => response.send(200, null));
      devices.push(device);
      await invokeWhenSubscribed(id, { methodName: 'ping', payload: null, responseTimeoutInSeconds: 5 });
    }

    // A job a day ahead on the hub's clock: it waits until the clock is moved there.
    const start = new Date(Date.parse(frozen.body.now) + 24 * 3600 * 1000);
    await jobClient().scheduleDeviceMethod('ctl-reboot', "tags.site = 'north'",
      { methodName: 'reboot', payload: null, responseTimeoutInSeconds: 30 }, start, 3600);
    assert.strictEqual((await jobClient().getJob('ctl-reboot')).jobStatus.status, 'scheduled');
    assert.strictEqual((await control('POST', 'clock/advance', { seconds: 86400 })).status, 200);
    // The advance answers once the work it released has settled: no polling. The dropped
    // call is still out; 30 s more of hub time and its response timeout fires.
    assert.strictEqual((await jobClient().getJob('ctl-reboot')).jobStatus.status, 'running');
    assert.strictEqual((await control('POST', 'clock/advance', { seconds: 30 })).status, 200);
    const { jobStatus: job } = await jobClient().getJob('ctl-reboot');
    assert.strictEqual(job.status, 'completed');
    assert.deepStrictEqual([job.deviceJobStatistics.succeededCount, job.deviceJobStatistics.failedCount], [2, 1]);
    const { result: records } = await registry()
      .createQuery("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'ctl-reboot'").next();
    const byDevice = Object.fromEntries(records.map((r) => [r.deviceId, r]));
    assert.strictEqual(byDevice['ctl-ok'].status, 'completed');
    assert.deepStrictEqual(byDevice['ctl-ok'].outcome.deviceMethodResponse, { status: 200, payload: { rebooted: 'ctl-ok' } });
    // IoT Hub records any status a device answers as a completed device job.
    assert.strictEqual(byDevice['ctl-500'].status, 'completed');
    assert.deepStrictEqual(byDevice['ctl-500'].outcome.deviceMethodResponse, { status: 500, payload: { error: 'disk' } });
    assert.strictEqual(byDevice['ctl-drop'].status, 'failed');
    assert.match(JSON.stringify(byDevice['ctl-drop'].error), /[Tt]imeout/);
    assert.deepStrictEqual(reboots, { 'ctl-ok': 1, 'ctl-500': 0, 'ctl-drop': 0 });
    const exported = await control('GET', 'state');
    assert.deepStrictEqual(exported.body.devices.find((d) => d.deviceId === 'ctl-refused').faults, { connect: 'refuse' });
  } finally {
    for (const device of devices) await device.close();
    await control('PUT', 'clock', { mode: 'real' });
    // The hub as it was before this test (its clock stays a day and a bit ahead: run.js runs this file last).
    assert.strictEqual((await control('PUT', 'state', saved.body)).status, 200);
  }
});
