'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { ModuleClient } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const {
  registry, serviceClient, jobClient, hostName, createDevice, connectDevice, eventually, invokeModuleWhenSubscribed,
} = require('./common');

function errorCodeOf(err) { return err.response && err.response.headers['iothub-errorcode']; }

test('modules: registry CRUD with etags and errors', async () => {
  const reg = registry();
  await assert.rejects(reg.addModule({ deviceId: 'mod-nodev', moduleId: 'm' }),
    (err) => err.constructor.name === 'DeviceNotFoundError');
  await createDevice('mod-reg-1');
  const { responseBody: created } = await reg.addModule({ deviceId: 'mod-reg-1', moduleId: 'camera' });
  assert.strictEqual(created.deviceId, 'mod-reg-1');
  assert.strictEqual(created.moduleId, 'camera');
  assert.strictEqual(created.authentication.symmetricKey.primaryKey.length, 44);
  await assert.rejects(reg.addModule({ deviceId: 'mod-reg-1', moduleId: 'camera' }),
    (err) => err.response.statusCode === 409 && errorCodeOf(err) === 'ModuleAlreadyExistsOnDevice');
  await reg.addModule({ deviceId: 'mod-reg-1', moduleId: 'sensor' });

  const { responseBody: listed } = await reg.getModulesOnDevice('mod-reg-1');
  assert.deepStrictEqual(listed.map((m) => m.moduleId), ['camera', 'sensor']);
  const { responseBody: got } = await reg.getModule('mod-reg-1', 'camera');
  assert.strictEqual(got.etag, created.etag);
  await assert.rejects(reg.getModule('mod-reg-1', 'nothing'),
    (err) => err.response.statusCode === 404 && errorCodeOf(err) === 'ModuleNotFound');

  await assert.rejects(reg.updateModule({ ...got, etag: 'bm90LXRoZS1ldGFn' }),
    (err) => err.response.statusCode === 412);
  const { responseBody: updated } = await reg.updateModule({ ...got, managedBy: 'offhub-tests' });
  assert.strictEqual(updated.managedBy, 'offhub-tests');
  assert.notStrictEqual(updated.etag, got.etag);
  assert.strictEqual(updated.authentication.symmetricKey.primaryKey, got.authentication.symmetricKey.primaryKey);

  await reg.removeModule('mod-reg-1', 'sensor');
  await assert.rejects(reg.getModule('mod-reg-1', 'sensor'), (err) => errorCodeOf(err) === 'ModuleNotFound');
  await reg.delete('mod-reg-1');
  await assert.rejects(reg.getModule('mod-reg-1', 'camera'), (err) => err.constructor.name === 'DeviceNotFoundError');
});

test('modules: a ModuleClient over MQTT gets its own methods and twin; queries FROM devices.modules', async () => {
  const reg = registry();
  const deviceConnectionString = await createDevice('mod-edge-1');
  const { responseBody: module } = await reg.addModule({ deviceId: 'mod-edge-1', moduleId: 'filter' });
  const moduleConnectionString =
    `HostName=${hostName};DeviceId=mod-edge-1;ModuleId=filter;SharedAccessKey=${module.authentication.symmetricKey.primaryKey}`;

  // A module key is not the device's: signing the device's resource with it fails.
  const impostor = ModuleClient.fromConnectionString(
    `HostName=${hostName};DeviceId=mod-edge-1;ModuleId=filter;SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`, Mqtt);
  await assert.rejects(impostor.open(), (err) => err.constructor.name === 'UnauthorizedError');

  const moduleClient = ModuleClient.fromConnectionString(moduleConnectionString, Mqtt);
  await moduleClient.open();
  const device = await connectDevice(deviceConnectionString);
  try {
    const deviceCalls = [];
    device.onDeviceMethod('whoami', (request, response) => { deviceCalls.push(request); response.send(200, 'device'); });
    moduleClient.onMethod('whoami', (request, response) => response.send(200, { module: 'filter', got: request.payload }));

    const { result } = await invokeModuleWhenSubscribed('mod-edge-1', 'filter',
      { methodName: 'whoami', payload: { n: 1 }, responseTimeoutInSeconds: 5 });
    assert.deepStrictEqual(result, { status: 200, payload: { module: 'filter', got: { n: 1 } } });
    assert.strictEqual(deviceCalls.length, 0, 'the device does not see its module\'s calls');
    await assert.rejects(serviceClient().invokeDeviceMethod('mod-edge-1', 'nothing', { methodName: 'whoami', payload: null }),
      (err) => err.response.statusCode === 404 && errorCodeOf(err) === 'ModuleNotFound');

    // Module twin: desired from the service reaches the module, reported reaches the service.
    const moduleTwin = await moduleClient.getTwin();
    const seen = [];
    moduleTwin.on('properties.desired', (delta) => seen.push(delta));
    const { responseBody: twin } = await reg.getModuleTwin('mod-edge-1', 'filter');
    assert.strictEqual(twin.moduleId, 'filter');
    const { responseBody: patched } =
      await reg.updateModuleTwin('mod-edge-1', 'filter', { properties: { desired: { threshold: 7 } } }, twin.etag);
    assert.strictEqual(patched.properties.desired.threshold, 7);
    await eventually(() => seen.some((d) => d.threshold === 7));
    await new Promise((resolve, reject) =>
      moduleTwin.properties.reported.update({ threshold: 7, state: 'applied' }, (err) => (err ? reject(err) : resolve())));
    await eventually(async () => {
      const { responseBody } = await reg.getModuleTwin('mod-edge-1', 'filter');
      return responseBody.properties.reported.state === 'applied';
    });
    const { responseBody: deviceTwin } = await reg.getTwin('mod-edge-1');
    assert.strictEqual(deviceTwin.properties.desired.threshold, undefined, 'the device twin is its own');

    const query = reg.createQuery("SELECT * FROM devices.modules WHERE properties.reported.state = 'applied'", 10);
    const { result: modules } = await query.nextAsTwin();
    assert.deepStrictEqual(modules.map((t) => `${t.deviceId}/${t.moduleId}`), ['mod-edge-1/filter']);
    const { responseBody: connected } = await reg.getModule('mod-edge-1', 'filter');
    assert.strictEqual(connected.connectionState, 'Connected');
  } finally {
    await moduleClient.close();
    await device.close();
  }
});

test('modules: jobs over FROM devices.modules call each module on its own connection and patch module twins', async () => {
  const reg = registry();
  const modules = [];
  for (const deviceId of ['mod-job-1', 'mod-job-2']) {
    await createDevice(deviceId);
    for (const moduleId of ['pump', 'valve']) {
      const { responseBody } = await reg.addModule({ deviceId, moduleId });
      if (moduleId === 'pump') {
        modules.push(ModuleClient.fromConnectionString(
          `HostName=${hostName};DeviceId=${deviceId};ModuleId=${moduleId};SharedAccessKey=${responseBody.authentication.symmetricKey.primaryKey}`,
          Mqtt));
      }
    }
  }
  const calls = [];
  try {
    for (const [i, client] of modules.entries()) {
      await client.open();
      client.onMethod('prime', (request, response) => { calls.push(i); response.send(200, { primed: i }); });
    }
    // Both pumps answer once subscribed; the job runs when the first has.
    await invokeModuleWhenSubscribed('mod-job-2', 'pump', { methodName: 'prime', payload: null, responseTimeoutInSeconds: 5 });
    await invokeModuleWhenSubscribed('mod-job-1', 'pump', { methodName: 'prime', payload: null, responseTimeoutInSeconds: 5 });
    calls.length = 0;

    const jobs = jobClient();
    const condition = "FROM devices.modules WHERE moduleId = 'pump' AND STARTSWITH(deviceId, 'mod-job-')";
    await jobs.scheduleDeviceMethod('pump-method-job', condition,
      { methodName: 'prime', payload: null, responseTimeoutInSeconds: 10 }, new Date(), 300);
    await jobs.scheduleTwinUpdate('pump-twin-job', condition,
      { etag: '*', properties: { desired: { rpm: 1200 } } }, new Date(), 300);
    for (const jobId of ['pump-method-job', 'pump-twin-job']) {
      const job = await eventually(async () => {
        const { jobStatus } = await jobs.getJob(jobId);
        return jobStatus.status === 'completed' ? jobStatus : null;
      }, 20000, 200);
      assert.strictEqual(job.deviceJobStatistics.deviceCount, 2, jobId);
      assert.strictEqual(job.deviceJobStatistics.succeededCount, 2, jobId);
    }
    assert.deepStrictEqual(calls.sort(), [0, 1], 'each pump module called once, on its own connection');

    const query = reg.createQuery("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'pump-method-job'", 10);
    const { result: records } = await query.next();
    assert.deepStrictEqual(records.map((r) => `${r.deviceId}/${r.moduleId}`), ['mod-job-1/pump', 'mod-job-2/pump']);
    assert.deepStrictEqual(records.map((r) => r.outcome.deviceMethodResponse.payload.primed).sort(), [0, 1]);

    const { responseBody: pump } = await reg.getModuleTwin('mod-job-1', 'pump');
    assert.strictEqual(pump.properties.desired.rpm, 1200);
    const { responseBody: valve } = await reg.getModuleTwin('mod-job-1', 'valve');
    assert.strictEqual(valve.properties.desired.rpm, undefined, 'only the matching modules are patched');
    const { responseBody: device } = await reg.getTwin('mod-job-1');
    assert.strictEqual(device.properties.desired.rpm, undefined, 'the devices are not patched');
  } finally {
    for (const client of modules) await client.close();
  }
});
