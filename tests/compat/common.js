// Helpers shared by the compatibility scenarios: the official SDKs only.
'use strict';
const { Registry, JobClient, Client } = require('azure-iothub');
const { Client: DeviceClient } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');

const serviceConnectionString = process.env.IOTHUB_CONNECTION_STRING;
const hostName = /HostName=([^;]+)/.exec(serviceConnectionString)[1];

function registry() { return Registry.fromConnectionString(serviceConnectionString); }
function jobClient() { return JobClient.fromConnectionString(serviceConnectionString); }
function serviceClient() { return Client.fromConnectionString(serviceConnectionString); }

// A registered device with hub-generated keys, and its connection string.
async function createDevice(deviceId) {
  const { responseBody } = await registry().create({ deviceId });
  const key = responseBody.authentication.symmetricKey.primaryKey;
  return `HostName=${hostName};DeviceId=${deviceId};SharedAccessKey=${key}`;
}

async function connectDevice(deviceConnectionString) {
  const client = DeviceClient.fromConnectionString(deviceConnectionString, Mqtt);
  await client.open();
  return client;
}

function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

// Polls `probe` until it returns a truthy value or `ms` pass.
async function eventually(probe, ms = 10000, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(every);
  }
}

// The device subscribes to methods asynchronously after onDeviceMethod: until
// the hub has seen that, calls answer 404103 (as on a real hub). Retry those.
async function retryWhileNotOnline(call, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const notOnline = err.response && err.response.headers['iothub-errorcode'] === 'DeviceNotOnline';
      if (!notOnline || Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

function invokeWhenSubscribed(deviceId, params) {
  return retryWhileNotOnline(() => serviceClient().invokeDeviceMethod(deviceId, params));
}

function invokeModuleWhenSubscribed(deviceId, moduleId, params) {
  return retryWhileNotOnline(() => serviceClient().invokeDeviceMethod(deviceId, moduleId, params));
}

module.exports = {
  serviceConnectionString, hostName, registry, jobClient, serviceClient, createDevice, connectDevice, sleep, eventually,
  invokeWhenSubscribed, invokeModuleWhenSubscribed,
};
