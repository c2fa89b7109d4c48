// A stand-in for sluice while developing the console: serves the console's
// files at /console like the gateway and answers the API routes the page
// uses with plausible, in-memory data. A development aid only; the browser
// test runs against the real platform.
//
//   node gateway/console/test/fake-server.mjs [--port 8099]
//   log in as admin@example.com / admin-password (customer@example.com /
//   customer-password is a customer, refused by the console).
//
// A deploy is refused (422) unless the body starts with the wasm magic
// `\0asm` and contains the service's name (so a real hello.wasm is refused
// for catalog, and a real catalog component is accepted).

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const STARTED = Date.now();
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
const b64url = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');

const users = {
  'admin@example.com': { password: 'admin-password', role: 'admin', sub: 'acct-admin' },
  'customer@example.com': { password: 'customer-password', role: 'customer', sub: 'acct-cust' },
};
const tokens = new Map(); // token -> role

const services = {};
for (const [i, name] of ['account', 'catalog', 'order', 'pricing'].entries()) {
  const instances = [{ address: `127.0.0.1:${8081 + i}`, state: 'closed', in_flight: i }];
  if (name === 'catalog') instances.push({ address: '127.0.0.1:9082', state: 'open', in_flight: 0 });
  if (name === 'order') instances.push({ address: '127.0.0.1:9083', state: 'half-open', in_flight: 1 });
  const addrs = instances.map((x) => x.address);
  services[name] = { instances, versions: [{ version: 1, digest: sha(name), loaded_at: iso(STARTED - 3600e3) }], stack: [1], addrs };
}
const versionsOf = (s) => s.versions.map((v) => {
  const active = v.version === s.stack[s.stack.length - 1];
  return { service: s.name, ...v, active, served_by: active ? s.addrs : [] };
});

const tenants = [
  { id: 'acme', name: 'Acme Inc.', created_at: iso(STARTED - 86400e3) },
  { id: 'globex', name: 'Globex', created_at: iso(STARTED - 7200e3) },
];
const rules = new Map([['acme', {
  tenant: 'acme',
  digest: sha('acme-rule'),
  last_run: { outcome: 'error', error: 'rule trapped: unreachable', log: 'quote sku=A-1 qty=3\n'.repeat(40) + 'panicked at src/lib.rs:12:5', fuel_used: 18234, micros: 412 },
}]]);
let promotions = [
  { id: 'p-1', sku: 'A-1', percent_off: 20, starts_at: iso(STARTED - 3600e3), ends_at: iso(STARTED + 86400e3), max_units: 10, remaining_units: 7, active: true },
  { id: 'p-2', sku: 'B-7', fixed_price: 999, starts_at: iso(STARTED + 86400e3), ends_at: iso(STARTED + 172800e3), active: false },
];
let nextPromotion = 3;

/** Traffic of the last five minutes, a function of time only; /api/orders appears 2 minutes ago, /api/prices has idle gaps, and one reading is missing. */
function traffic(now) {
  const samples = [];
  const last = Math.floor(now / 2000) * 2000;
  for (let at = last - 298000; at <= last; at += 2000) {
    if (Math.floor(at / 2000) % 75 === 10) continue;
    const t = at / 1000;
    const routes = {};
    const route = (name, rps, err, p50) => {
      routes[name] = { rps, error_rate: err, p50_ms: rps ? p50 : null, p99_ms: rps ? p50 * 6 : null, limited: name === '/api/orders' && t % 30 < 4 ? 1.5 : 0 };
    };
    route('/api/products', 40 + 15 * Math.sin(t / 40), t % 90 < 6 ? 0.04 : 0, 1.2 + 0.3 * Math.sin(t / 13));
    if (at > now - 120000) route('/api/orders', 6 + 2 * Math.cos(t / 25), 0, 9 + Math.sin(t / 7));
    if (Math.floor(t / 20) % 3 !== 0) route('/api/prices', 12, 0, 0.8);
    samples.push({ at, routes, shed: t % 60 < 6 ? 3 : 0 });
  }
  return { interval_ms: 2000, samples };
}

function send(res, status, body) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(text);
}
const fail = (res, status, error, message) => send(res, status, { error, message });

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}
function json(bytes) {
  try { return JSON.parse(bytes.toString('utf8')); } catch { return undefined; }
}
const isWasm = (b) => b.length >= 8 && b.subarray(0, 4).equals(Buffer.from('\0asm', 'latin1'));

async function serveFile(res, path) {
  const rel = path === '/console' || path === '/console/' ? 'index.html' : decodeURIComponent(path.slice('/console/'.length));
  const file = normalize(join(ROOT, rel));
  const hidden = /^(test|node_modules)(\/|$)|^package/.test(rel) || !file.startsWith(ROOT + sep);
  if (hidden || !TYPES[extname(file)]) return fail(res, 404, 'not_found', 'no such file');
  try {
    const bytes = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)], 'cache-control': 'no-cache' });
    res.end(bytes);
  } catch {
    fail(res, 404, 'not_found', 'no such file');
  }
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://fake');
  const path = url.pathname;
  const m = req.method;
  if (path === '/console' || (path.startsWith('/console/') && !['/console/cluster', '/console/traffic'].includes(path))) {
    return serveFile(res, path);
  }
  if (m === 'POST' && path === '/api/accounts/login') {
    const body = json(await readBody(req)) || {};
    const user = users[body.email];
    if (!user || user.password !== body.password) return fail(res, 401, 'invalid_credentials', 'The email or the password is wrong.');
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const token = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: user.sub, role: user.role, tenant: 'default', iss: 'sluice', exp })}.fake-signature`;
    tokens.set(token, user.role);
    return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
  }
  if (m === 'GET' && path === '/api/promotions') return send(res, 200, promotions);
  if (m === 'POST' && path === '/fake/revoke') { tokens.clear(); return send(res, 204); } // to try the page's 401 handling

  const role = tokens.get((req.headers.authorization || '').replace(/^Bearer /, ''));
  if (!role) return fail(res, 401, 'unauthorized', 'A valid bearer token is required.');
  if (role !== 'admin') return fail(res, 403, 'forbidden', 'This needs the admin role.');

  if (m === 'GET' && path === '/console/cluster') {
    return send(res, 200, { services: Object.entries(services).map(([name, s]) => ({ name, instances: s.instances })) });
  }
  if (m === 'GET' && path === '/console/traffic') return send(res, 200, traffic(Date.now()));

  let hit = /^\/admin\/components\/([^/]+)(\/rollback)?$/.exec(path);
  if (hit) {
    const name = decodeURIComponent(hit[1]);
    const s = services[name];
    if (!s) return fail(res, 404, 'not_found', `no service ${name}`);
    s.name = name;
    if (m === 'GET' && !hit[2]) return send(res, 200, versionsOf(s));
    if (m === 'PUT' && !hit[2]) {
      const body = await readBody(req);
      if (!isWasm(body)) return fail(res, 422, 'invalid_component', 'not a WebAssembly component: the body does not start with the wasm magic');
      if (!body.includes(name)) return fail(res, 422, 'invalid_component', `the component does not fit the world of ${name}: it does not export wasi:http/incoming-handler for sluice:${name}`);
      const version = s.versions.length + 1;
      s.versions.push({ version, digest: sha(body), loaded_at: iso(Date.now()) });
      s.stack.push(version);
      await new Promise((r) => setTimeout(r, 300));
      return send(res, 200, { ...versionsOf(s).find((v) => v.version === version), swap_ms: 12.5, converged: true, behind: [], nodes: s.addrs.map((node) => ({ node, version })) });
    }
    if (m === 'POST' && hit[2]) {
      if (s.stack.length < 2) return fail(res, 409, 'no_earlier_version', `${name} is at its first version; there is nothing to roll back to`);
      s.stack.pop();
      const version = s.stack[s.stack.length - 1];
      return send(res, 200, { ...versionsOf(s).find((v) => v.version === version), converged: false, behind: [s.addrs[0]] });
    }
  }
  if (path === '/admin/tenants') {
    if (m === 'GET') return send(res, 200, tenants);
    if (m === 'POST') {
      const body = json(await readBody(req));
      if (!body || !/^[a-z0-9_-]{1,64}$/.test(body.id || '') || !body.name) return fail(res, 400, 'invalid_tenant', 'A tenant needs an id matching ^[a-z0-9_-]{1,64}$ and a name.');
      if (tenants.some((t) => t.id === body.id)) return fail(res, 409, 'tenant_exists', `Tenant ${body.id} already exists.`);
      const tenant = { id: body.id, name: body.name, created_at: iso(Date.now()) };
      tenants.push(tenant);
      return send(res, 201, tenant);
    }
  }
  hit = /^\/admin\/tenants\/([^/]+)\/pricing-rule$/.exec(path);
  if (hit) {
    const id = decodeURIComponent(hit[1]);
    if (!tenants.some((t) => t.id === id)) return fail(res, 404, 'not_found', `No tenant ${id}.`);
    if (m === 'GET') return rules.has(id) ? send(res, 200, rules.get(id)) : fail(res, 404, 'not_found', `Tenant ${id} has no rule.`);
    if (m === 'PUT') {
      const body = await readBody(req);
      if (!isWasm(body)) return fail(res, 422, 'invalid_rule', 'Not a pricing-rule component: the body does not start with the wasm magic.');
      rules.set(id, { tenant: id, digest: sha(body), last_run: null });
      return send(res, 200, { tenant: id, digest: sha(body) });
    }
    if (m === 'DELETE') return rules.delete(id) ? send(res, 204) : fail(res, 404, 'not_found', `Tenant ${id} has no rule.`);
  }
  if (m === 'POST' && path === '/api/promotions') {
    const b = json(await readBody(req)) || {};
    const percentOk = Number.isInteger(b.percent_off) && b.percent_off >= 1 && b.percent_off <= 100;
    const timesOk = !Number.isNaN(Date.parse(b.starts_at)) && Date.parse(b.starts_at) < Date.parse(b.ends_at);
    if (!b.sku || !percentOk) return fail(res, 400, 'invalid_promotion', 'A promotion needs a sku and percent_off from 1 to 100.');
    if (!timesOk || !/Z$/.test(b.starts_at) || !/Z$/.test(b.ends_at)) return fail(res, 400, 'invalid_promotion', 'starts_at must be an RFC 3339 UTC time before ends_at.');
    const now = Date.now();
    const p = { id: `p-${nextPromotion++}`, sku: b.sku, percent_off: b.percent_off, starts_at: b.starts_at, ends_at: b.ends_at, active: Date.parse(b.starts_at) <= now && now < Date.parse(b.ends_at) };
    if (b.max_units !== undefined) Object.assign(p, { max_units: b.max_units, remaining_units: b.max_units });
    promotions.push(p);
    return send(res, 201, p);
  }
  hit = /^\/api\/promotions\/([^/]+)$/.exec(path);
  if (hit && m === 'DELETE') {
    const before = promotions.length;
    promotions = promotions.filter((p) => p.id !== decodeURIComponent(hit[1]));
    return promotions.length < before ? send(res, 204) : fail(res, 404, 'not_found', 'No such promotion.');
  }
  fail(res, 404, 'not_found', `No route for ${m} ${path}.`);
}

const server = createServer((req, res) => {
  handle(req, res).catch((e) => { console.error(e); fail(res, 500, 'internal', String(e)); });
});
if (process.env.NODE_TEST_CONTEXT) {
  // `node --test gateway/console/test/` runs every file in test/; this one is a server, not a test.
  const { test } = await import('node:test');
  test('fake-server.mjs is a development server: run it with node, not node --test', { skip: true }, () => {});
} else {
  server.listen(Number(args.port), args.host, () => {
    const { port } = server.address();
    console.log(`fake sluice listening on http://${args.host}:${port} (console at /console)`);
  });
}
