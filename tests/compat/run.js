// Starts offhub-emulator on IoT Hub's own ports (HTTPS 443, MQTTS 8883, as
// the official SDKs insist on), then runs the scenario files with the
// official Node SDKs as clients, trusting the emulator's CA through
// NODE_EXTRA_CA_CERTS (read by node at start, hence the child process).
//   OFFHUB_EMULATOR=<path to offhub-emulator> node run.js [scenario files...]
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const emulatorPath = process.env.OFFHUB_EMULATOR;
if (!emulatorPath) {
  console.error('run.js: set OFFHUB_EMULATOR to the offhub-emulator binary');
  process.exit(2);
}
const tlsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'offhub-compat-tls-'));
const emulator = spawn(emulatorPath, [
  '--https-port', '443', '--mqtts-port', '8883', '--http-port', '0', '--mqtt-port', '0',
  '--tls-dir', tlsDir, '--log-level', 'warn',
], { stdio: ['ignore', 'pipe', 'inherit'] });

let finished = false;
function finish(code) {
  if (finished) return;
  finished = true;
  emulator.kill('SIGTERM');
  fs.rmSync(tlsDir, { recursive: true, force: true });
  process.exitCode = code;
}
const startTimer = setTimeout(() => { console.error('run.js: the emulator did not become ready'); finish(1); }, 20000);
emulator.on('exit', (code) => { if (!finished) { console.error(`run.js: the emulator exited (${code})`); finish(1); } });

let buffered = '';
emulator.stdout.on('data', (chunk) => {
  buffered += chunk.toString();
  const match = buffered.match(/IOTHUB_CONNECTION_STRING=(.*)\n/);
  if (!match || finished) return;
  clearTimeout(startTimer);
  buffered = '';
  // control_plane.test.js moves the hub's clock a day ahead: it runs after the others, on its own.
  const isLast = (f) => f.endsWith('control_plane.test.js');
  const files = process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(__dirname, f));
  const batches = [files.filter((f) => !isLast(f)), files.filter(isLast)].filter((b) => b.length > 0);
  const env = { ...process.env, IOTHUB_CONNECTION_STRING: match[1], NODE_EXTRA_CA_CERTS: path.join(tlsDir, 'ca.pem') };
  const runBatch = (i, failed) => {
    if (i === batches.length) return finish(failed ? 1 : 0);
    const tests = spawn(process.execPath, ['--test', '--test-concurrency=1', ...batches[i]], { stdio: 'inherit', env });
    tests.on('exit', (code) => runBatch(i + 1, failed || code !== 0));
  };
  runBatch(0, false);
});
