// The emulator's dashboard in headless Chromium (Debian's, driven by
// playwright-core), live from the event stream, with no reload: a device
// connecting (the official device SDK), a method job's bar reaching 100 %, a
// telemetry message arriving, a twin shown. A screenshot is kept as the test's
// artifact ($OFFHUB_ARTIFACT_DIR/dashboard.png).
//   OFFHUB_EMULATOR=<offhub-emulator> node run.js dashboard.browser.js
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { Message } = require('azure-iot-device');
const { hostName, serviceConnectionString, jobClient, createDevice, connectDevice, registry } = require('./common');

const chromiumPath = process.env.OFFHUB_CHROMIUM || '/usr/bin/chromium';
const artifactDir = process.env.OFFHUB_ARTIFACT_DIR || path.join(os.tmpdir(), 'offhub-test-artifacts');

// Debian's Chromium, headless, closed when the test ends (a fresh profile each launch).
async function launch(t) {
  assert.ok(fs.existsSync(chromiumPath), `no Chromium at ${chromiumPath} (scripts/install-deps.sh installs Debian's)`);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Chromium's own network chatter off: this machine reaches only the hub. dashboard.test: a name
    // pointed at 127.0.0.1, as a DNS-rebinding page's own name would be.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP dashboard.test 127.0.0.1'],
  });
  t.after(() => browser.close());
  return browser;
}

test('the dashboard shows a device connecting, a job reaching 100 % and telemetry, live', async (t) => {
  const browser = await launch(t);
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') pageErrors.push(message.text()); });
  page.on('response', (response) => { if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`); });

  const connectionString = await createDevice('dash-1');
  await page.goto(`https://${hostName}/`);
  // Loopback: no login, the page carries its token.
  await page.waitForSelector('#main:not([hidden])');
  assert.strictEqual(await page.isHidden('#login'), true);
  await page.evaluate(() => { window.offhubNoReload = true; });
  const row = '#devices tr[data-id="dash-1"]';
  await page.waitForSelector(`${row} .connection:text-is("disconnected")`);
  await page.waitForSelector('#stream:text-is("live")');

  // A device connects: its row turns connected.
  const device = await connectDevice(connectionString);
  t.after(() => device.close());
  device.onDeviceMethod('reboot', (request, response) => response.send(200, { rebooted: true }));
  await page.waitForSelector(`${row} .connection:text-is("connected")`, { timeout: 10000 });

  // A method job over it: its bar reaches 100 % and its record shows the answer.
  await new Promise((resolve) => setTimeout(resolve, 500));  // the SDK subscribes to methods after open
  await jobClient().scheduleDeviceMethod('dash-job', "deviceId = 'dash-1'",
                                         { methodName: 'reboot', payload: {}, responseTimeoutInSeconds: 10 });
  const job = '#jobs tr[data-id="dash-job"]';
  await page.waitForSelector(`${job} .bar[data-percent="100"]`, { timeout: 15000 });
  await page.waitForSelector(`${job} .status:text-is("completed")`, { timeout: 15000 });
  assert.match(await page.textContent(`${job} .counts`), /^1 succeeded, 0 failed/);
  await page.click(job);
  await page.waitForSelector('#records tr[data-id="dash-1"] td:text-is("completed")');
  assert.match(await page.textContent('#records tr[data-id="dash-1"]'), /status 200: \{"rebooted":true\}/);

  // Telemetry arrives in the list.
  const message = new Message(JSON.stringify({ temperature: 21.5 }));
  message.properties.add('room', 'hall');
  await device.sendEvent(message);
  await page.waitForSelector('#telemetry tr[data-id="dash-1"] .body:has-text("temperature")', { timeout: 10000 });
  assert.match(await page.textContent('#telemetry tr[data-id="dash-1"]'), /"room":"hall"/);

  // A twin, shown on click and kept up to date.
  await page.click(row);
  await page.waitForSelector('#twin:has-text("\\"deviceId\\": \\"dash-1\\"")');
  await registry().updateTwin('dash-1', { tags: { site: 'dashboard-test' } }, '*');
  await page.waitForSelector('#twin:has-text("dashboard-test")', { timeout: 10000 });

  assert.strictEqual(await page.evaluate(() => window.offhubNoReload), true, 'the page reloaded');
  fs.mkdirSync(artifactDir, { recursive: true });
  const screenshot = path.join(artifactDir, 'dashboard.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  assert.ok(fs.statSync(screenshot).size > 10000, 'the screenshot is empty');
  console.log(`dashboard screenshot: ${screenshot}`);
  assert.deepStrictEqual(pageErrors, []);
});

test('reached by a name that is not local the emulator answers 400; without a token the page signs in itself', async (t) => {
  const browser = await launch(t);
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const rebound = await context.newPage();
  const refused = await rebound.goto('https://dashboard.test/');
  assert.strictEqual(refused.status(), 400);
  assert.match(await refused.text(), /ArgumentInvalid/);

  // The page as an emulator listening beyond loopback serves it (no token in it): the sign-in form.
  const page = await context.newPage();
  await page.route(`https://${hostName}/`, async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace(/(<meta name="offhub-sas" content=")[^"]*"/, '$1"');
    await route.fulfill({ response, body });
  });
  await page.goto(`https://${hostName}/`);
  await page.waitForSelector('#login:not([hidden])');
  assert.strictEqual(await page.isHidden('#main'), true);
  // A wrong key: refused, said so, still on the form.
  const wrong = serviceConnectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`);
  await page.fill('#login-secret', wrong);
  await page.click('#login-form button');
  await page.waitForSelector('#login-error:has-text("Refused")');
  assert.strictEqual(await page.isHidden('#main'), true);
  // The right one: signed in the browser (WebCrypto), the hub's devices shown, the stream live.
  await page.fill('#login-secret', serviceConnectionString);
  await page.click('#login-form button');
  await page.waitForSelector('#main:not([hidden])');
  await page.waitForSelector('#devices tr[data-id="dash-1"]');
  await page.waitForSelector('#stream:text-is("live")');
});
