// Prints SAS tokens made by the official SDKs, one per line, for the inputs
// on stdin (JSON lines: {"kind":"service"|"device","host","name","key","expiry"}).
// tests/azure/sas_node_compat_test.cpp compares offhub's tokens with these.
'use strict';
const service = require('azure-iothub/dist/shared_access_signature');
const device = require('azure-iot-device/dist/shared_access_signature');
const lines = require('node:fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.trim());
for (const line of lines) {
  const i = JSON.parse(line);
  const sas = i.kind === 'service' ? service.create(i.host, i.name, i.key, i.expiry) : device.create(i.host, i.name, i.key, i.expiry);
  console.log(sas.toString());
}
