// The emulator's dashboard: reads the hub through its own REST API and keeps
// up with it through the event stream (GET /offhub/v1/events). Every value
// shown comes from devices and services, so it is written as text, never as
// HTML. On loopback the page carries a SAS token; elsewhere it asks for one.
'use strict';

const API = 'api-version=2021-04-12';
const MAX_DEVICES = 1000;   // rows loaded at start; live events add the rest
const MAX_TELEMETRY = 50;
const MAX_RECORDS = 500;

const state = {
  auth: '',
  devices: new Map(),   // identity key "d" or "d/m" -> {deviceId, moduleId, status, connectionState, lastActivityTime}
  deviceTotal: null,
  jobs: new Map(),      // jobId -> job as GET /jobs/v2/{id} answers it
  selectedDevice: null, // identity key
  selectedJob: null,
  records: new Map(),   // identity key -> device record of the selected job
  recordRows: new Map(),  // identity key -> its <tr>
  telemetry: 0,
  lastEventId: null,
};

const $ = (selector) => document.querySelector(selector);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

// "2026-11-30T16:37:00.9807059Z" -> "2026-11-30 16:37:00.980" (the full value in the title).
function timeCell(text) {
  const shown = text && !text.startsWith('0001') ? text.replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1') : '';
  return el('td', { title: text || '' }, shown);
}

function identityKey(deviceId, moduleId) { return moduleId ? `${deviceId}/${moduleId}` : deviceId; }

class Unauthorized extends Error {}

async function api(method, path, body, headers) {
  const response = await fetch(`${path}${path.includes('?') ? '&' : '?'}${API}`, {
    method,
    headers: { Authorization: state.auth, 'Content-Type': 'application/json', ...(headers || {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) throw new Unauthorized(await response.text());
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: response.status, headers: response.headers, body: json };
}

// All pages of a query, up to `limit` items.
async function query(text, limit) {
  const items = [];
  let continuation;
  do {
    const headers = { 'x-ms-max-item-count': '100' };
    if (continuation) headers['x-ms-continuation'] = continuation;
    const page = await api('POST', '/devices/query', { query: text }, headers);
    if (page.status !== 200) throw new Error(`query failed: ${page.status}`);
    items.push(...page.body);
    continuation = page.headers.get('x-ms-continuation');
  } while (continuation && items.length < limit);
  return items.slice(0, limit);
}

// ---- devices ----------------------------------------------------------------

// Rows are kept in a Map and their keys in a sorted array, so an event for
// one device costs a lookup, never a scan of the table (10,000 devices
// connecting must not freeze the page). At most MAX_DEVICES rows are shown.
const deviceRows = new Map();  // identity key -> <tr>
const shownKeys = [];          // sorted identity keys of deviceRows

function insertionIndex(sorted, key) {
  let low = 0, high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] < key) low = middle + 1; else high = middle;
  }
  return low;
}

function upsertDevice(fields) {
  const key = identityKey(fields.deviceId, fields.moduleId);
  const known = state.devices.get(key);
  const device = { ...(known || { deviceId: fields.deviceId, moduleId: fields.moduleId }), ...fields };
  state.devices.set(key, device);
  renderDeviceRow(key, device);
  if (!known) renderDeviceCount();
}

function deviceCells(key, device) {
  return [
    el('td', {}, key),
    el('td', { class: device.status }, device.status || ''),
    el('td', { class: `connection ${device.connectionState || ''}`.trim() }, device.connectionState || ''),
    timeCell(device.lastActivityTime),
  ];
}

function renderDeviceRow(key, device) {
  let row = deviceRows.get(key);
  if (!row) {
    const filter = $('#device-filter').value.trim();
    if ((filter && !key.includes(filter)) || shownKeys.length >= MAX_DEVICES) return;
    row = el('tr', { 'data-id': key });
    row.addEventListener('click', () => selectDevice(key));
    const at = insertionIndex(shownKeys, key);
    $('#devices tbody').insertBefore(row, at < shownKeys.length ? deviceRows.get(shownKeys[at]) : null);
    shownKeys.splice(at, 0, key);
    deviceRows.set(key, row);
  }
  row.replaceChildren(...deviceCells(key, device));
  row.classList.toggle('selected', key === state.selectedDevice);
}

function renderDeviceCount() {
  const total = Math.max(state.deviceTotal || 0, state.devices.size);
  $('#device-count').textContent = deviceRows.size < total ? `(showing ${deviceRows.size} of ${total})` : `(${total})`;
}

// The whole table again (a filter, a reload): one pass over the sorted keys.
function renderDevices() {
  const filter = $('#device-filter').value.trim();
  deviceRows.clear();
  shownKeys.length = 0;
  const rows = document.createDocumentFragment();
  for (const key of [...state.devices.keys()].sort()) {
    if (filter && !key.includes(filter)) continue;
    if (shownKeys.length >= MAX_DEVICES) break;
    const row = el('tr', { 'data-id': key }, ...deviceCells(key, state.devices.get(key)));
    row.addEventListener('click', () => selectDevice(key));
    row.classList.toggle('selected', key === state.selectedDevice);
    rows.append(row);
    shownKeys.push(key);
    deviceRows.set(key, row);
  }
  $('#devices tbody').replaceChildren(rows);
  renderDeviceCount();
}

async function loadDevices() {
  const count = await api('POST', '/devices/query', { query: 'SELECT COUNT() AS n FROM devices' });
  state.deviceTotal = count.status === 200 && count.body.length ? count.body[0].n : null;
  for (const twin of await query('SELECT * FROM devices', MAX_DEVICES)) {
    const fields = pick(twin);
    state.devices.set(identityKey(fields.deviceId, fields.moduleId), fields);
  }
  for (const twin of await query('SELECT * FROM devices.modules', MAX_DEVICES)) {
    const fields = pick(twin);
    state.devices.set(identityKey(fields.deviceId, fields.moduleId), fields);
  }
  renderDevices();
}

function pick(twin) {
  return {
    deviceId: twin.deviceId, moduleId: twin.moduleId || undefined, status: twin.status,
    connectionState: (twin.connectionState || '').toLowerCase(), lastActivityTime: twin.lastActivityTime,
  };
}

async function selectDevice(key) {
  deviceRows.get(state.selectedDevice)?.classList.remove('selected');
  state.selectedDevice = key;
  deviceRows.get(key)?.classList.add('selected');
  $('#device-panel').hidden = false;
  $('#device-name').textContent = key;
  await refreshSelectedDevice();
}

async function refreshSelectedDevice() {
  const key = state.selectedDevice;
  if (!key) return;
  const { deviceId, moduleId } = state.devices.get(key) || {};
  const path = moduleId ? `/twins/${encodeURIComponent(deviceId)}/modules/${encodeURIComponent(moduleId)}`
                        : `/twins/${encodeURIComponent(deviceId)}`;
  const twin = await api('GET', path);
  if (key !== state.selectedDevice) return;
  $('#twin').textContent = JSON.stringify(twin.body, null, 2);
  const faultPath = moduleId ? `/offhub/v1/devices/${encodeURIComponent(deviceId)}/modules/${encodeURIComponent(moduleId)}/faults`
                             : `/offhub/v1/devices/${encodeURIComponent(deviceId)}/faults`;
  const faults = await api('GET', faultPath);
  if (key !== state.selectedDevice) return;
  $('#faults').textContent = faults.status === 200 ? JSON.stringify(faults.body, null, 2) : '(none: no control plane)';
}

// ---- jobs -------------------------------------------------------------------

function jobCounts(job) {
  const s = job.deviceJobStatistics || {};
  const total = s.deviceCount || 0;
  const succeeded = s.succeededCount || 0, failed = s.failedCount || 0, running = s.runningCount || 0;
  const done = total ? Math.round(((succeeded + failed) * 100) / total) : (job.status === 'completed' ? 100 : 0);
  return { total, succeeded, failed, running, pending: s.pendingCount || 0, done };
}

function progressBar(counts) {
  const bar = el('div', { class: 'bar', 'data-percent': counts.done, title: `${counts.done} %` });
  let left = 0;
  for (const part of ['succeeded', 'failed', 'running']) {
    const width = counts.total ? (counts[part] * 100) / counts.total : 0;
    bar.append(el('span', { class: part, style: `left:${left}%;width:${width}%` }));
    left += width;
  }
  return bar;
}

function upsertJob(job) {
  state.jobs.set(job.jobId, job);
  const body = $('#jobs tbody');
  let row = body.querySelector(`tr[data-id="${CSS.escape(job.jobId)}"]`);
  if (!row) {
    row = el('tr', { 'data-id': job.jobId });
    row.addEventListener('click', () => selectJob(job.jobId));
    body.prepend(row);
  }
  const counts = jobCounts(job);
  row.replaceChildren(
    el('td', {}, job.jobId),
    el('td', {}, job.type),
    el('td', { class: `status ${job.status}` }, job.status),
    el('td', {}, progressBar(counts), el('span', { class: 'muted' }, ` ${counts.done} %`)),
    el('td', { class: 'counts wrap' },
       `${counts.succeeded} succeeded, ${counts.failed} failed, ${counts.running} running, ${counts.pending} pending of ${counts.total}`),
  );
  row.classList.toggle('selected', job.jobId === state.selectedJob);
}

async function loadJobs() {
  const page = await api('GET', '/jobs/v2/query');
  if (page.status !== 200) return;
  const jobs = [...page.body].sort((a, b) => String(a.createdTime).localeCompare(String(b.createdTime)));
  for (const job of jobs) upsertJob(job);
}

async function selectJob(jobId) {
  state.selectedJob = jobId;
  state.records = new Map();
  state.recordRows = new Map();
  for (const job of state.jobs.values()) upsertJob(job);
  $('#job-panel').hidden = false;
  $('#job-name').textContent = jobId;
  $('#records tbody').replaceChildren();
  const escaped = jobId.replaceAll("'", "''");
  const records = await query(`SELECT * FROM devices.jobs WHERE devices.jobs.jobId = '${escaped}'`, MAX_RECORDS);
  if (jobId !== state.selectedJob) return;
  for (const record of records) upsertRecord(record);
}

function upsertRecord(record) {
  const key = identityKey(record.deviceId, record.moduleId);
  if (!state.records.has(key) && state.records.size >= MAX_RECORDS) return;
  state.records.set(key, { ...(state.records.get(key) || {}), ...record });
  const r = state.records.get(key);
  let row = state.recordRows.get(key);
  if (!row) {
    row = el('tr', { 'data-id': key });
    state.recordRows.set(key, row);
    $('#records tbody').append(row);
  }
  let detail = '';
  if (r.error) detail = `${r.error.code || ''} ${r.error.description || ''}`.trim();
  else if (r.outcome?.deviceMethodResponse) detail = `status ${r.outcome.deviceMethodResponse.status}: ${JSON.stringify(r.outcome.deviceMethodResponse.payload)}`;
  row.replaceChildren(el('td', {}, key), el('td', { class: r.status }, r.status),
                      el('td', { class: r.error ? 'wrap error' : 'wrap' }, detail), timeCell(r.lastUpdatedDateTimeUtc || r.time));
}

// ---- telemetry --------------------------------------------------------------

function addTelemetry(data) {
  state.telemetry += 1;
  const body = $('#telemetry tbody');
  const text = data.body !== undefined ? data.body : `base64: ${data.bodyBase64}`;
  body.prepend(el('tr', { 'data-id': identityKey(data.deviceId, data.moduleId) },
                  timeCell(data.time), el('td', {}, identityKey(data.deviceId, data.moduleId)),
                  el('td', { class: 'wrap' }, JSON.stringify(data.properties || {})), el('td', { class: 'body wrap' }, text)));
  while (body.rows.length > MAX_TELEMETRY) body.lastElementChild.remove();
  $('#telemetry-count').textContent = `(${state.telemetry} since this page opened)`;
}

// ---- the event stream -------------------------------------------------------

function onEvent(name, data) {
  switch (name) {
    case 'deviceConnected':
    case 'deviceDisconnected':
      upsertDevice({ deviceId: data.deviceId, moduleId: data.moduleId,
                     connectionState: name === 'deviceConnected' ? 'connected' : 'disconnected', lastActivityTime: data.time });
      break;
    case 'twinChanged':
      if (identityKey(data.deviceId, data.moduleId) === state.selectedDevice) refreshSelectedDevice().catch(report);
      if (!state.devices.has(identityKey(data.deviceId, data.moduleId))) {
        upsertDevice({ deviceId: data.deviceId, moduleId: data.moduleId, status: 'enabled', connectionState: 'disconnected' });
      }
      break;
    case 'jobChanged':
      upsertJob(data);
      break;
    case 'deviceJobChanged':
      if (data.jobId === state.selectedJob) upsertRecord(data);
      break;
    case 'telemetry':
      addTelemetry(data);
      upsertDevice({ deviceId: data.deviceId, moduleId: data.moduleId, lastActivityTime: data.time });
      break;
    case 'eventsLost':
      // The stream skipped events (this page read too slowly): reload what they would have changed.
      loadDevices().catch(report);
      loadJobs().catch(report);
      break;
  }
}

// Server-Sent Events over fetch (EventSource cannot send the Authorization header).
async function streamEvents() {
  for (let delay = 500; ; delay = Math.min(delay * 2, 10000)) {
    try {
      const since = state.lastEventId !== null ? `?since=${state.lastEventId}` : '';
      const response = await fetch(`/offhub/v1/events${since}`, { headers: { Authorization: state.auth } });
      if (response.status === 401) throw new Unauthorized('the event stream refused the token');
      if (response.status !== 200) throw new Error(`event stream: ${response.status}`);
      setBadge('#stream', 'live', 'ok');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        delay = 500;  // data came: the next reconnect may be quick again
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (error) {
      if (error instanceof Unauthorized) return showLogin(error.message);
      report(error);
    }
    setBadge('#stream', 'reconnecting', 'bad');
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function dispatch(block) {
  let id = null, name = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  if (id !== null) state.lastEventId = id;
  if (!data.length) return;
  try {
    onEvent(name, JSON.parse(data.join('\n')));
  } catch (error) {
    report(error);
  }
}

// ---- header: health and clock -----------------------------------------------

function setBadge(selector, text, kind) {
  const badge = $(selector);
  badge.textContent = text;
  badge.className = `badge ${kind || ''}`.trim();
}

async function refreshHeader() {
  try {
    const health = await fetch('/health');
    const body = await health.json().catch(() => ({}));
    const broker = body.broker ? `broker ${body.broker}` : '';
    setBadge('#health', health.ok ? `healthy${broker ? `, ${broker}` : ''}` : `unhealthy: ${body.Message || health.status}`,
             health.ok ? 'ok' : 'bad');
    const clock = await api('GET', '/offhub/v1/clock');
    if (clock.status === 200) setBadge('#clock', `clock ${clock.body.mode}: ${clock.body.now}`, clock.body.mode === 'manual' ? 'bad' : '');
    else $('#clock').hidden = true;
  } catch (error) {
    if (error instanceof Unauthorized) return showLogin(error.message);
    setBadge('#health', 'unreachable', 'bad');
  }
}

// ---- sign-in ----------------------------------------------------------------

function showLogin(message) {
  $('#main').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message && state.auth ? `Refused: ${message}` : '';
}

function base64ToBytes(text) { return Uint8Array.from(atob(text), (c) => c.charCodeAt(0)); }

// A service SAS token from a connection string, as the SDKs make it (an hour).
async function tokenFromConnectionString(text) {
  const fields = Object.fromEntries(text.split(';').filter(Boolean).map((part) => {
    const at = part.indexOf('=');
    return [part.slice(0, at), part.slice(at + 1)];
  }));
  if (!fields.HostName || !fields.SharedAccessKeyName || !fields.SharedAccessKey) {
    throw new Error('a service connection string has HostName, SharedAccessKeyName and SharedAccessKey');
  }
  if (!crypto.subtle) throw new Error('this browser signs only on https or localhost: paste a SharedAccessSignature');
  const resource = encodeURIComponent(fields.HostName);
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  const key = await crypto.subtle.importKey('raw', base64ToBytes(fields.SharedAccessKey), { name: 'HMAC', hash: 'SHA-256' },
                                            false, ['sign']);
  const signature = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${resource}\n${expiry}`));
  const encoded = encodeURIComponent(btoa(String.fromCharCode(...new Uint8Array(signature))));
  return `SharedAccessSignature sr=${resource}&sig=${encoded}&se=${expiry}&skn=${encodeURIComponent(fields.SharedAccessKeyName)}`;
}

async function signIn(event) {
  event.preventDefault();
  const secret = $('#login-secret').value.trim();
  try {
    state.auth = secret.startsWith('SharedAccessSignature ') ? secret : await tokenFromConnectionString(secret);
    sessionStorage.setItem('offhub-sas', state.auth);
    await start();
  } catch (error) {
    $('#login-error').textContent = error.message;
  }
}

function report(error) {
  console.error(error);
}

async function start() {
  try {
    await loadDevices();
    await loadJobs();
  } catch (error) {
    if (error instanceof Unauthorized) return showLogin(error.message);
    throw error;
  }
  $('#login').hidden = true;
  $('#main').hidden = false;
  refreshHeader();
  setInterval(refreshHeader, 2000);
  streamEvents();
}

document.addEventListener('DOMContentLoaded', () => {
  $('#login-form').addEventListener('submit', signIn);
  $('#device-filter').addEventListener('input', renderDevices);
  const given = document.querySelector('meta[name="offhub-sas"]').content;
  state.auth = given.startsWith('SharedAccessSignature ') ? given : sessionStorage.getItem('offhub-sas') || '';
  if (!state.auth) return showLogin('');
  start().catch(report);
});
