'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { registry, jobClient, createDevice, connectDevice, eventually } = require('./common');

async function waitForJob(client, jobId) {
  return eventually(async () => {
    const { jobStatus: result } = await client.getJob(jobId);
    return ['completed', 'failed', 'cancelled'].includes(result.status) ? result : null;
  }, 20000, 200);
}

test('the door-lock tutorial: a method job and a twin job complete', async () => {
  const deviceConnectionString = await createDevice('myDeviceId');
  const device = await connectDevice(deviceConnectionString);
  try {
    let locked = 0;
    device.onDeviceMethod('lockDoor', (request, response) => { locked += 1; response.send(200, null); });
    const twin = await device.getTwin();
    const desired = [];
    twin.on('properties.desired', (delta) => desired.push(delta));

    const jobs = jobClient();
    const query = "deviceId IN ['myDeviceId']";
    const methodJob = await jobs.scheduleDeviceMethod('lockDoorJob', query, { methodName: 'lockDoor', payload: null, responseTimeoutInSeconds: 15 }, new Date(), 300);
    assert.strictEqual(methodJob.jobStatus.status, 'queued');
    await jobs.scheduleTwinUpdate('updateTwinJob', query, { etag: '*', properties: { desired: { building: '43', floor: 3 } } }, new Date(), 300);

    for (const jobId of ['lockDoorJob', 'updateTwinJob']) {
      const job = await waitForJob(jobs, jobId);
      assert.strictEqual(job.status, 'completed', jobId);
      assert.strictEqual(job.deviceJobStatistics.succeededCount, 1, jobId);
      assert.strictEqual(job.deviceJobStatistics.failedCount, 0, jobId);
    }
    assert.strictEqual(locked, 1);
    await eventually(() => desired.some((d) => d.building === '43' && d.floor === 3));

    const records = registry().createQuery("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'lockDoorJob'");
    const { result } = await records.next();
    assert.strictEqual(result.length, 1);
    assert.strictEqual(result[0].status, 'completed');
    assert.strictEqual(result[0].outcome.deviceMethodResponse.status, 200);
  } finally {
    await device.close();
  }
});

test('jobs: scheduled, cancelled and listed', async () => {
  await createDevice('job-dev-1');
  const jobs = jobClient();
  const later = new Date(Date.now() + 3600 * 1000);
  const created = await jobs.scheduleTwinUpdate('futureJob', "deviceId = 'job-dev-1'", { etag: '*', tags: { t: 1 } }, later, 120);
  assert.strictEqual(created.jobStatus.status, 'queued');
  await eventually(async () => (await jobs.getJob("futureJob")).jobStatus.status === 'scheduled');
  const cancelled = await jobs.cancelJob('futureJob');
  assert.strictEqual(cancelled.jobStatus.status, 'cancelled');

  const listed = jobs.createQuery('scheduleUpdateTwin', 'cancelled', 10);
  const { result } = await listed.next();
  assert.ok(result.some((job) => job.jobId === 'futureJob'));
});
