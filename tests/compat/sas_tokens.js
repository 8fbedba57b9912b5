// Prints SAS tokens made by the official SDKs, one per line, for the inputs
// on stdin (JSON lines: {"kind":"service"|"device"|"module","host","name","module","key","expiry"}).
// Module tokens are made as the device SDK's ModuleClient makes them
// (sak_authentication_provider: strict-encoded "<host>/devices/<d>/modules/<m>").
// tests/azure/sas_node_compat_test.cpp compares offhub's tokens with these.
'use strict';
const service = require('azure-iothub/dist/shared_access_signature');
const device = require('azure-iot-device/dist/shared_access_signature');
const { SharedAccessSignature, encodeUriComponentStrict } = require('azure-iot-common');
const lines = require('node:fs').readFileSync(0, 'utf8').split('\n').filter((l) => l.trim());
for (const line of lines) {
  const i = JSON.parse(line);
  let sas;
  if (i.kind === 'service') sas = service.create(i.host, i.name, i.key, i.expiry);
  else if (i.kind === 'device') sas = device.create(i.host, i.name, i.key, i.expiry);
  else sas = SharedAccessSignature.create(encodeUriComponentStrict(`${i.host}/devices/${i.name}/modules/${i.module}`), null, i.key, i.expiry);
  console.log(sas.toString());
}
