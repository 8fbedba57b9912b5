'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { registry } = require('./common');

test('queries page with x-ms-continuation until the last page', async () => {
  const reg = registry();
  for (let i = 0; i < 7; i++) {
    await reg.create({ deviceId: `query-dev-${i}` });
    const twin = (await reg.getTwin(`query-dev-${i}`)).responseBody;
    await twin.update({ tags: { fleet: 'paging', index: i } });
  }
  const query = reg.createQuery("SELECT * FROM devices WHERE tags.fleet = 'paging'", 3);
  const ids = [];
  let pages = 0;
  while (query.hasMoreResults) {
    const { result } = await query.nextAsTwin();
    ids.push(...result.map((t) => t.deviceId));
    pages += 1;
    assert.ok(pages < 10, 'paging must end');
  }
  assert.strictEqual(pages, 3);
  assert.deepStrictEqual(ids.sort(), [0, 1, 2, 3, 4, 5, 6].map((i) => `query-dev-${i}`));

  const counts = reg.createQuery('SELECT tags.fleet AS fleet, COUNT() AS n FROM devices GROUP BY tags.fleet');
  const { result } = await counts.next();
  assert.ok(result.some((row) => row.fleet === 'paging' && row.n === 7));
});
