// Unit tests of the console's pure JS, and static checks of the page's
// files. Run: node --test gateway/console/test/

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as api from '../api.js';
import * as traffic from '../traffic.js';

const { ApiError, createApi, decodeJwtPayload, formatDiscount, formatTime, formatUnits, localToRfc3339, shortDigest, tokenProblem } = api;
const { charts, colorOf, formatValue, plotOptions, routesOf, toSeries } = traffic;

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const read = (name) => readFileSync(join(ROOT, name), 'utf8');
const b64url = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
const jwt = (payload) => `${b64url({ alg: 'EdDSA', typ: 'JWT' })}.${b64url(payload)}.c2lnbmF0dXJl`;

describe('decodeJwtPayload', () => {
  it('decodes the base64url JSON payload, unpadded, with - and _ and UTF-8', () => {
    const payload = { sub: 'acct-1', role: 'admin', tenant: 't1', exp: 2000000000, note: 'é€?>>>~~~' };
    const token = jwt(payload);
    assert.match(token.split('.')[1], /[-_]/, 'the fixture should exercise the url-safe alphabet');
    assert.doesNotMatch(token, /=/);
    assert.deepEqual(decodeJwtPayload(token), payload);
  });

  it('is null for anything that is not a JWT with an object payload', () => {
    for (const bad of [undefined, null, 42, '', 'abc', 'a.b', 'a.b.c.d', 'x.!!!.y', `x.${b64url([1, 2])}.y`,
      `x.${Buffer.from('not json').toString('base64url')}.y`, `x.${Buffer.from([0xff, 0xfe]).toString('base64url')}.y`]) {
      assert.equal(decodeJwtPayload(bad), null, String(bad));
    }
  });
});

describe('tokenProblem', () => {
  const now = 1_700_000_000_000;
  it('accepts an admin token that has not expired', () => {
    assert.equal(tokenProblem(jwt({ role: 'admin', exp: now / 1000 + 60 }), now), null);
    assert.equal(tokenProblem(jwt({ role: 'admin' }), now), null);
  });
  it('refuses other roles, expired tokens and garbage', () => {
    assert.equal(tokenProblem(jwt({ role: 'customer', exp: now / 1000 + 60 }), now), 'this console is for platform admins');
    assert.equal(tokenProblem(jwt({ role: 'tenant-admin' }), now), 'this console is for platform admins');
    assert.match(tokenProblem(jwt({ role: 'admin', exp: now / 1000 - 1 }), now), /expired/);
    assert.match(tokenProblem('garbage', now), /cannot read/);
    assert.match(tokenProblem(undefined, now), /cannot read/);
  });
});

/** A fetch that records its calls and answers with `reply(url, init)` ({status, body, statusText}). */
function fakeFetch(reply) {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, ...init });
    const { status = 200, body = '', statusText = '' } = reply(url, init);
    return new Response(status === 204 ? null : body, { status, statusText });
  };
  return { calls, fetchImpl };
}

describe('createApi', () => {
  it('sends the bearer token and JSON bodies, and parses JSON answers', async () => {
    const { calls, fetchImpl } = fakeFetch(() => ({ status: 201, body: '{"id":"acme"}' }));
    const client = createApi({ getToken: () => 'tok', fetchImpl });
    assert.deepEqual(await client.send('POST', '/admin/tenants', { id: 'acme', name: 'Acme' }), { id: 'acme' });
    assert.equal(calls[0].url, '/admin/tenants');
    assert.equal(calls[0].method, 'POST');
    assert.equal(calls[0].headers.Authorization, 'Bearer tok');
    assert.equal(calls[0].headers['Content-Type'], 'application/json');
    assert.deepEqual(JSON.parse(calls[0].body), { id: 'acme', name: 'Acme' });
  });

  it('uploads bytes as application/wasm, unchanged', async () => {
    const { calls, fetchImpl } = fakeFetch(() => ({ body: '{"version":2}' }));
    const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1]);
    const client = createApi({ getToken: () => 'tok', fetchImpl });
    assert.deepEqual(await client.upload('PUT', '/admin/components/catalog', bytes), { version: 2 });
    assert.equal(calls[0].headers['Content-Type'], 'application/wasm');
    assert.equal(calls[0].body, bytes);
  });

  it('answers null for 204 and empty bodies', async () => {
    const { fetchImpl } = fakeFetch(() => ({ status: 204 }));
    assert.equal(await createApi({ fetchImpl }).request('DELETE', '/api/promotions/p-1'), null);
  });

  it("turns the API's error JSON into an ApiError with its message", async () => {
    const body = '{"error":"invalid_component","message":"it does not export sluice:catalog/api"}';
    const { fetchImpl } = fakeFetch(() => ({ status: 422, body }));
    const err = await createApi({ fetchImpl }).get('/x').catch((e) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 422);
    assert.equal(err.code, 'invalid_component');
    assert.equal(err.message, 'it does not export sluice:catalog/api');
  });

  it('names the status when the error is not JSON, and says when the gateway is unreachable', async () => {
    const { fetchImpl } = fakeFetch(() => ({ status: 502, body: '<html>bad gateway</html>', statusText: 'Bad Gateway' }));
    const err = await createApi({ fetchImpl }).get('/x').catch((e) => e);
    assert.equal(err.status, 502);
    assert.equal(err.message, 'the gateway answered 502 Bad Gateway');
    const down = await createApi({ fetchImpl: async () => { throw new TypeError('Failed to fetch'); } }).get('/x').catch((e) => e);
    assert.equal(down.status, 0);
    assert.match(down.message, /could not be reached.*Failed to fetch/);
  });

  it('reports a 401 of an authenticated request, but not of the login', async () => {
    const seen = [];
    const { calls, fetchImpl } = fakeFetch(() => ({ status: 401, body: '{"error":"unauthorized","message":"token expired"}' }));
    const client = createApi({ getToken: () => 'tok', onUnauthorized: (e) => seen.push(e.message), fetchImpl });
    await assert.rejects(client.get('/console/cluster'), { status: 401, message: 'token expired' });
    assert.deepEqual(seen, ['token expired']);
    await assert.rejects(client.login('a@b.c', 'wrong'), { status: 401 });
    assert.deepEqual(seen, ['token expired'], 'a failed login is not a lost session');
    assert.equal(calls[1].headers.Authorization, undefined, 'the login sends no token');
    assert.deepEqual(JSON.parse(calls[1].body), { email: 'a@b.c', password: 'wrong' });
  });
});

describe('localToRfc3339', () => {
  const inZone = (tz, fn) => {
    const before = process.env.TZ;
    process.env.TZ = tz;
    try { fn(); } finally { if (before === undefined) delete process.env.TZ; else process.env.TZ = before; }
  };

  it("converts the browser's local time to UTC, daylight saving included", () => {
    inZone('America/New_York', () => {
      assert.equal(localToRfc3339('2025-01-15T14:30'), '2025-01-15T19:30:00Z');
      assert.equal(localToRfc3339('2025-07-15T14:30'), '2025-07-15T18:30:00Z');
      assert.equal(localToRfc3339('2025-12-31T22:00:15'), '2026-01-01T03:00:15Z');
    });
    inZone('Asia/Kolkata', () => assert.equal(localToRfc3339('2025-03-01T00:15'), '2025-02-28T18:45:00Z'));
    inZone('UTC', () => assert.equal(localToRfc3339('2025-03-01T00:15:00.000'), '2025-03-01T00:15:00Z'));
  });

  it('is null for what is not a datetime-local value', () => {
    for (const bad of ['', undefined, null, 'tomorrow', '2025-01-15', '2025-01-15 14:30', '2025-02-30T10:00', '2025-13-01T10:00']) {
      assert.equal(localToRfc3339(bad), null, String(bad));
    }
  });
});

describe('formatting', () => {
  it('shows times in UTC to the second', () => {
    assert.equal(formatTime('2025-01-02T03:04:05.678Z'), '2025-01-02 03:04:05 UTC');
    assert.equal(formatTime('2025-01-02T04:04:05+01:00'), '2025-01-02 03:04:05 UTC');
    assert.equal(formatTime(null), '—');
    assert.equal(formatTime('not a time'), 'not a time');
  });

  it('shortens digests to 12 hex digits', () => {
    const hex = 'a'.repeat(20) + 'b'.repeat(44);
    assert.equal(shortDigest(hex), 'aaaaaaaaaaaa…');
    assert.equal(shortDigest(`sha256:${hex}`), 'aaaaaaaaaaaa…');
    assert.equal(shortDigest('abc'), 'abc');
    assert.equal(shortDigest(undefined), '—');
  });

  it('words discounts and units of promotions', () => {
    assert.equal(formatDiscount({ percent_off: 15 }), '15% off');
    assert.equal(formatDiscount({ fixed_price: 999 }), 'fixed price 999');
    assert.equal(formatUnits({ max_units: 10, remaining_units: 3 }), '3 of 10 left');
    assert.equal(formatUnits({ max_units: 10, remaining_units: 0 }), '0 of 10 left');
    assert.equal(formatUnits({}), 'unlimited');
  });

  it('formats chart values with their unit', () => {
    assert.equal(formatValue(0.0425, '%'), '4.25%');
    assert.equal(formatValue(12.345, '/s'), '12.35/s');
    assert.equal(formatValue(1234.5, 'ms'), '1235 ms');
    assert.equal(formatValue(null, 'ms'), '—');
  });
});

describe('traffic', () => {
  const r = (rps, extra = {}) => ({ rps, error_rate: 0, p50_ms: 1, p99_ms: 5, limited: 0, ...extra });
  const samples = [
    { at: 1_000_000, routes: { '/api/products': r(10, { error_rate: 0.1 }) }, shed: 0 },
    { at: 1_002_000, routes: { '/api/products': r(0, { p50_ms: null, p99_ms: null }) }, shed: 1.5 },
    { at: 1_004_000, routes: { '/api/products': r(12), '/api/orders': r(3, { limited: 0.5, p99_ms: 40 }) }, shed: 0 },
    { at: 1_006_000, routes: { '/api/orders': r(4) }, shed: 0 },
  ];

  it('lists routes sorted, whenever they appear', () => {
    assert.deepEqual(routesOf(samples), ['/api/orders', '/api/products']);
    assert.deepEqual(routesOf([]), []);
  });

  it('makes one column per route with nulls where a route is absent or has no latency', () => {
    const s = toSeries(samples, 2000);
    assert.deepEqual(s.routes, ['/api/orders', '/api/products']);
    assert.deepEqual(s.x, [1000, 1002, 1004, 1006]);
    assert.deepEqual(s.rps, [[null, null, 3, 4], [10, 0, 12, null]]);
    assert.deepEqual(s.errorRate, [[null, null, 0, 0], [0.1, 0, 0, null]]);
    assert.deepEqual(s.p99, [[null, null, 40, 5], [5, null, 5, null]]);
    assert.deepEqual(s.p50, [[null, null, 1, 1], [1, null, 1, null]]);
    assert.deepEqual(s.limited, [[null, null, 0.5, 0], [0, 0, 0, null]]);
    assert.deepEqual(s.shed, [0, 1.5, 0, 0]);
  });

  it('puts an all-null row in a gap of missing samples, so lines break there', () => {
    const s = toSeries([samples[0], { ...samples[2], at: 1_010_000 }], 2000);
    assert.deepEqual(s.x, [1000, 1002, 1010]);
    assert.deepEqual(s.rps, [[null, null, 3], [10, null, 12]]);
    assert.deepEqual(s.shed, [0, null, 0]);
    assert.deepEqual(toSeries([samples[0], samples[1]], 2000).x, [1000, 1002], 'no gap between neighbours');
  });

  it('is empty without samples', () => {
    const s = toSeries([], 2000);
    assert.deepEqual(s.x, []);
    assert.deepEqual(s.rps, []);
    for (const chart of charts(s)) {
      assert.equal(chart.data.length, chart.series.length + 1);
      assert.ok(chart.data.every((column) => column.length === 0), chart.key);
    }
    assert.deepEqual(charts(s)[3].series.map((l) => l.label), ['shed (gateway)'], 'shed is charted even before any route');
  });

  it('gives four charts whose data has one column per series after x, all as long as x', () => {
    const s = toSeries(samples, 2000);
    const specs = charts(s);
    assert.deepEqual(specs.map((c) => c.key), ['requests', 'errors', 'latency', 'limits']);
    for (const spec of specs) {
      assert.equal(spec.data.length, spec.series.length + 1, spec.key);
      for (const column of spec.data) assert.equal(column.length, s.x.length, spec.key);
      const options = plotOptions(spec, 600);
      assert.equal(options.series.length, spec.data.length, `${spec.key}: uPlot needs a series per column`);
      assert.deepEqual(options.scales.y.range(null, 0, 0), [0, 1]);
      assert.deepEqual(options.scales.x.range(null, 1000, 1000), [700, 1000], 'five minutes, even from one sample');
    }
    const latency = specs[2];
    assert.deepEqual(latency.series.map((l) => l.label), ['/api/orders p99', '/api/products p99', '/api/orders p50', '/api/products p50']);
    assert.deepEqual(latency.series.map((l) => !!l.dash), [false, false, true, true]);
    assert.equal(latency.series[0].color, latency.series[2].color, "a route's p99 and p50 share its colour");
    const limits = specs[3];
    assert.equal(limits.series.at(-1).label, 'shed (gateway)');
    assert.deepEqual(limits.data.at(-1), s.shed);
    assert.deepEqual(specs[0].data, [s.x, ...s.rps]);
  });

  it('gives the first routes distinct colours', () => {
    const colours = Array.from({ length: 12 }, (_, i) => colorOf(i));
    assert.equal(new Set(colours).size, 12);
  });
});

describe('the page files', () => {
  const html = read('index.html');
  const pageFiles = ['index.html', 'console.css', ...readdirSync(ROOT).filter((f) => f.endsWith('.js'))];

  it('reference only files of the console, relatively, and nothing on another host', () => {
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => u !== '/console/');
    assert.ok(refs.length >= 4, refs.join());
    for (const ref of refs) {
      assert.match(ref, /^\.\//, `${ref} should be relative`);
      assert.ok(existsSync(join(ROOT, ref)), `${ref} is missing`);
    }
    for (const file of pageFiles) assert.doesNotMatch(read(file), /https?:\/\/|\/\/cdn/i, `${file} names another host`);
    assert.ok(existsSync(join(ROOT, 'vendor/LICENSE')));
  });

  it("import only sibling modules, and only names those modules export", async () => {
    const modules = { './api.js': api, './traffic.js': traffic };
    const imports = [...read('console.js').matchAll(/import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)];
    assert.ok(imports.length >= 2);
    for (const [, names, from] of imports) {
      assert.ok(modules[from], `console.js imports ${from}: the gateway serves only the listed files`);
      for (const name of names.split(',').map((n) => n.trim()).filter(Boolean)) {
        assert.equal(typeof modules[from][name], 'function', `${from} does not export ${name}`);
      }
    }
  });

  it('have every data-testid the browser test uses', () => {
    const source = html + read('console.js');
    const used = [...read('test/browser.mjs').matchAll(/\bt\('([a-z-]+)'\)/g)].map((m) => m[1]);
    assert.ok(used.length >= 10);
    for (const id of new Set(used)) {
      const inPage = source.includes(`data-testid="${id}"`) || source.includes(`'${id}'`);
      assert.ok(inPage, `data-testid ${id} is not in the page`);
    }
  });
});
