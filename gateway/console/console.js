// The console's page: login, services, live traffic, tenants, promotions.
// Everything from the API goes into the page with textContent only.

import {
  ApiError, createApi, formatDiscount, formatTime, formatUnits, localToRfc3339, seg, shortDigest, tokenProblem,
} from './api.js';
import { charts, plotOptions, toSeries } from './traffic.js';

const [TOKEN_KEY, EMAIL_KEY, NOTICE_KEY] = ['token', 'email', 'notice'].map((k) => `sluice.console.${k}`);
const HEALTH = { closed: 'healthy', 'half-open': 'probing (breaker half-open)', open: 'ejected (breaker open)' };

const $ = (testid, root = document) => root.querySelector(`[data-testid="${testid}"]`);

/** An element: props are text, testid, on<event> handlers or attributes; children are nodes or strings. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'testid') node.dataset.testid = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

/** Shows (or, without text, hides) a message: kind is error, ok or note; status the HTTP status if any. */
function say(node, kind, text, status) {
  node.hidden = !text;
  node.textContent = text || '';
  node.className = `message ${kind || ''}`.trim();
  node.dataset.kind = text ? kind : '';
  node.dataset.status = status ? String(status) : '';
}
const sayError = (node, err) => say(node, 'error', err.message || String(err), err.status);

let token = sessionStorage.getItem(TOKEN_KEY);
const serviceCards = new Map(); // name -> { root, active, instances, versions, file, msg, seq }
const plots = { signature: null, list: [] }; // the traffic charts: [{ figure, plot }]
const api = createApi({
  getToken: () => token,
  onUnauthorized: (err) => logout(`Your session has ended (${err.message}). Please log in again.`),
});

/** Logging out (or a 401) reloads the page, which drops every state, timer and chart; a notice survives it. */
function logout(notice) {
  if (!token) return;
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  window.location.reload();
}

function enter(email) {
  $('login').hidden = true;
  $('user-email').textContent = email;
  $('topbar-user').hidden = false;
  $('app').hidden = false;
  loadServices();
  loadTenants();
  loadPromotions();
  pollTraffic();
  setInterval(loadServices, 5000);
}

/**
 * Runs `work` (it gives the ok message, or throws the error to show in `msg`)
 * with the buttons of `root` disabled. `data-done` counts the runs finished (for tests).
 */
async function run(root, msg, work) {
  const buttons = [...root.querySelectorAll('button')];
  buttons.forEach((b) => { b.disabled = true; });
  root.dataset.busy = 'true';
  try {
    say(msg, 'ok', await work());
  } catch (err) {
    sayError(msg, err);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    root.dataset.busy = 'false';
    root.dataset.done = String(Number(root.dataset.done || 0) + 1);
  }
}

const onSubmit = (testid, messageId, work) => $(testid).addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  run(form, $(messageId), () => work(form));
});

/** GETs `path` and renders it; a failure shows in `errorId`. */
async function load(path, errorId, render) {
  try {
    const body = await api.get(path);
    say($(errorId));
    render(body);
  } catch (err) {
    sayError($(errorId), err);
  }
}

onSubmit('login-form', 'login-error', async (form) => {
  const email = form.email.value.trim();
  const reply = await api.login(email, form.password.value);
  const problem = tokenProblem(reply && reply.access_token);
  if (problem) throw new ApiError(403, 'not_admin', problem);
  form.password.value = '';
  token = reply.access_token;
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(EMAIL_KEY, email);
  enter(email);
  return '';
});

/** A card's file input, buttons ([testid, text, work giving the ok message]) and message; `reload` after each. */
function controls(card, label, fileTestid, messageTestid, buttons, reload) {
  card.file = el('input', { type: 'file', accept: '.wasm,application/wasm', testid: fileTestid });
  card.msg = el('p', { class: 'message', testid: messageTestid, role: 'status', hidden: true });
  const after = (work) => async () => {
    try { return await work(); } finally { await reload(); }
  };
  const button = ([testid, text, work]) => el('button', { type: 'button', testid, text, onclick: () => run(card.root, card.msg, after(work)) });
  return [el('div', { class: 'controls' }, el('label', {}, label, card.file), ...buttons.map(button)), card.msg];
}

/** PUTs the card's chosen file to `path`: [the file's name, the answer]. */
async function upload(card, path) {
  const file = card.file.files && card.file.files[0];
  if (!file) throw new ApiError(0, 'no_file', 'Choose a .wasm file first.');
  const answer = await api.upload('PUT', path, file);
  card.file.value = '';
  return [file.name, answer];
}

// Services: instances with their breaker state, versions, deploy and rollback.

function loadServices() {
  return load('/console/cluster', 'services-error', ({ services }) => {
    const names = new Set(services.map((s) => s.name));
    for (const [name, card] of serviceCards) {
      if (!names.has(name)) { card.root.remove(); serviceCards.delete(name); }
    }
    for (const service of services) {
      const card = serviceCards.get(service.name) || serviceCard(service.name);
      renderInstances(card, service.instances || []);
      loadVersions(card);
    }
  });
}

function serviceCard(name) {
  const card = { name, seq: 0 };
  const path = `/admin/components/${seg(name)}`;
  card.active = el('span', { class: 'badge', testid: 'active-version', text: 'versions loading…' });
  card.instances = el('ul', { class: 'instances', testid: 'instances' });
  card.versions = el('tbody');
  card.versionsError = el('p', { class: 'message', testid: 'versions-error', hidden: true });
  const deploy = async () => {
    const [file, v] = await upload(card, path);
    return `Deployed ${file} as version ${v.version} (${shortDigest(v.digest)})${rolloutNote(v)}.`;
  };
  const rollback = async () => {
    const v = await api.request('POST', `${path}/rollback`);
    return `Rolled back to version ${v.version} (${shortDigest(v.digest)})${rolloutNote(v)}.`;
  };
  const head = el('tr', {}, ...['Version', 'Digest', 'Loaded (UTC)', 'Served by'].map((t) => el('th', { text: t })));
  card.root = el('article', { class: 'card', testid: `service-${name}`, 'data-service': name, 'data-done': '0' },
    el('h3', {}, name, ' ', card.active),
    el('h4', { text: 'Instances' }), card.instances,
    el('h4', { text: 'Versions' }),
    el('table', { testid: 'versions' }, el('thead', {}, head), card.versions), card.versionsError,
    ...controls(card, 'Component ', 'deploy-file', 'service-message',
      [['deploy-button', 'Deploy', deploy], ['rollback-button', 'Roll back', rollback]], () => loadVersions(card)));
  serviceCards.set(name, card);
  $('service-list').append(card.root);
  return card;
}

function rolloutNote(v) {
  if (v.converged === true) return '; every live node serves it';
  if (v.converged === false) return `; still converging, behind: ${(v.behind || []).join(', ') || '?'}`;
  return '';
}

function renderInstances(card, instances) {
  const items = instances.map((i) => el('li', { testid: 'instance', class: `state-${i.state}`, 'data-state': i.state },
    el('span', { class: 'dot', 'aria-hidden': 'true' }),
    el('span', { class: 'mono', text: i.address }),
    ` ${HEALTH[i.state] || i.state} · ${i.in_flight ?? 0} in flight`));
  card.instances.replaceChildren(...(items.length ? items : [el('li', { class: 'note', text: 'no instances found' })]));
}

async function loadVersions(card) {
  const seq = ++card.seq; // only the latest answer counts (a refresh may cross a deploy)
  try {
    const versions = await api.get(`/admin/components/${seg(card.name)}`);
    if (seq !== card.seq) return;
    say(card.versionsError);
    renderVersions(card, Array.isArray(versions) ? versions : []);
  } catch (err) {
    if (seq === card.seq) sayError(card.versionsError, err);
  }
}

function renderVersions(card, versions) {
  const rows = [...versions].sort((a, b) => b.version - a.version).map((v) =>
    el('tr', { testid: 'version', class: v.active ? 'active' : null, 'data-version': v.version, 'data-active': String(!!v.active) },
      el('td', {}, `v${v.version}`, v.active ? el('span', { class: 'badge ok', text: 'active' }) : null),
      el('td', { class: 'mono', title: v.digest, text: shortDigest(v.digest) }),
      el('td', { text: formatTime(v.loaded_at) }),
      el('td', { class: 'mono', text: (v.served_by || []).join(', ') || '—' })));
  card.versions.replaceChildren(...rows);
  const active = versions.find((v) => v.active);
  card.active.dataset.version = active ? String(active.version) : '';
  card.active.textContent = active ? `active: v${active.version}` : 'no active version';
}

// Live traffic.

/** Every 2 s after the last answer (polls never pile up). */
async function pollTraffic() {
  try {
    drawTraffic(await api.get('/console/traffic'));
  } catch (err) {
    sayError($('traffic-status'), err);
  } finally {
    if (token) setTimeout(pollTraffic, 2000);
  }
}

function drawTraffic({ samples = [], interval_ms: interval = 2000 }) {
  const series = toSeries(samples, interval);
  const last = samples[samples.length - 1];
  say($('traffic-status'), 'note', last
    ? `${samples.length} samples, one every ${interval / 1000} s, the last at ${new Date(last.at).toLocaleTimeString()}; ${series.routes.length} routes.`
    : 'No samples yet: the gateway takes one every interval.');
  if (typeof window.uPlot !== 'function') throw new ApiError(0, 'no_charts', 'The chart library did not load.');
  const specs = charts(series);
  const signature = JSON.stringify(specs.map((s) => s.series));
  if (signature === plots.signature) return specs.forEach((spec, i) => plots.list[i].plot.setData(spec.data));
  plots.list.forEach((p) => p.plot.destroy());
  $('traffic-charts').replaceChildren();
  plots.list = specs.map((spec) => {
    const figure = $('traffic-charts').appendChild(el('figure', { class: 'chart', testid: `chart-${spec.key}` }));
    return { figure, plot: new window.uPlot(plotOptions(spec, chartWidth(figure)), spec.data, figure) };
  });
  plots.signature = signature;
}

const chartWidth = (figure) => Math.max(280, figure.clientWidth - 8);
window.addEventListener('resize', () => plots.list.forEach((p) => p.plot.setSize({ width: chartWidth(p.figure), height: 220 })));

// Tenants and their pricing rules.

function loadTenants() {
  return load('/admin/tenants', 'tenants-error', (tenants) => {
    const cards = tenants.map(tenantCard);
    $('tenant-list').replaceChildren(...(cards.length ? cards : [el('p', { class: 'note', text: 'No tenants yet.' })]));
  });
}

function tenantCard(tenant) {
  const card = { id: tenant.id };
  const path = `/admin/tenants/${seg(tenant.id)}/pricing-rule`;
  card.rule = el('div', { class: 'rule', testid: 'rule', text: 'loading the rule…' });
  const put = async () => {
    const [file, rule] = await upload(card, path);
    return `Rule ${file} is active (${shortDigest(rule && rule.digest)}).`;
  };
  const remove = async () => {
    if (!window.confirm(`Delete the pricing rule of ${tenant.id}?`)) return '';
    await api.request('DELETE', path);
    return 'Rule deleted.';
  };
  card.root = el('article', { class: 'card', testid: `tenant-${tenant.id}`, 'data-tenant': tenant.id, 'data-done': '0' },
    el('h3', {}, tenant.name, ' ', el('span', { class: 'mono note', text: tenant.id })),
    el('p', { class: 'note', text: `created ${formatTime(tenant.created_at)}` }),
    card.rule,
    ...controls(card, 'Rule component ', 'rule-file', 'tenant-message',
      [['rule-upload', 'Upload rule', put], ['rule-delete', 'Delete rule', remove]], () => loadRule(card, path)));
  loadRule(card, path);
  return card.root;
}

async function loadRule(card, path) {
  try {
    renderRule(card, await api.get(path));
  } catch (err) {
    if (err.status === 404) renderRule(card, null);
    else card.rule.replaceChildren(el('p', { class: 'message error', 'data-status': err.status, text: err.message }));
  }
}

function renderRule(card, rule) {
  card.root.dataset.rule = rule ? 'yes' : 'no';
  if (!rule) return card.rule.replaceChildren(el('p', { class: 'note', text: 'No pricing rule.' }));
  const run = rule.last_run;
  card.rule.replaceChildren(...[
    el('p', {}, 'Rule ', el('span', { class: 'mono', testid: 'rule-digest', title: rule.digest, text: shortDigest(rule.digest) })),
    run
      ? el('p', { testid: 'rule-outcome', 'data-outcome': run.outcome },
        `Last run here: ${run.outcome} · ${run.fuel_used ?? '?'} fuel · ${run.micros ?? '?'} µs`)
      : el('p', { class: 'note', text: 'Not run on the answering node since it was put.' }),
    run && run.error ? el('p', { class: 'rule-error', testid: 'rule-error', text: `error: ${run.error}` }) : null,
    run && run.log ? el('pre', { testid: 'rule-log', text: run.log }) : null,
  ].filter(Boolean));
}

onSubmit('tenant-form', 'tenant-form-message', async (form) => {
  const field = (name) => form.elements.namedItem(name).value.trim();
  const tenant = await api.send('POST', '/admin/tenants', { id: field('id'), name: field('name') });
  form.reset();
  loadTenants();
  return `Created tenant ${tenant ? tenant.id : ''}.`;
});

// Promotions.

function loadPromotions() {
  return load('/api/promotions', 'promotions-error', (promotions) => {
    const td = (text) => el('td', { text });
    const rows = promotions.map((p) => el('tr', { testid: `promotion-${p.id}`, 'data-id': p.id },
      el('td', { class: 'mono', text: p.id }), td(p.sku), td(formatDiscount(p)),
      td(formatTime(p.starts_at)), td(formatTime(p.ends_at)),
      el('td', { testid: 'promotion-units', text: formatUnits(p) }), td(p.active ? 'yes' : 'no'),
      el('td', {}, el('button', { type: 'button', testid: 'promotion-delete', text: 'Delete', onclick: () => deletePromotion(p) }))));
    const empty = el('tr', {}, el('td', { colspan: 8, class: 'note', text: 'No promotions.' }));
    $('promotions-table').tBodies[0].replaceChildren(...(rows.length ? rows : [empty]));
  });
}

async function deletePromotion(p) {
  if (!window.confirm(`Delete promotion ${p.id} (${p.sku})?`)) return;
  const msg = $('promotions-message');
  await api.request('DELETE', `/api/promotions/${seg(p.id)}`)
    .then(() => say(msg, 'ok', `Deleted promotion ${p.id}.`), (err) => sayError(msg, err));
  loadPromotions();
}

onSubmit('promotion-form', 'promotion-form-message', async (form) => {
  const startsAt = localToRfc3339(form.starts_at.value);
  const endsAt = localToRfc3339(form.ends_at.value);
  if (!startsAt || !endsAt) throw new ApiError(0, 'bad_time', 'Enter a start and an end time.');
  const body = { sku: form.sku.value.trim(), percent_off: Number(form.percent_off.value), starts_at: startsAt, ends_at: endsAt };
  if (form.max_units.value !== '') body.max_units = Number(form.max_units.value);
  const promotion = await api.send('POST', '/api/promotions', body);
  form.reset();
  loadPromotions();
  return `Created promotion ${promotion ? promotion.id : ''}.`;
});

// Start.

$('logout').addEventListener('click', () => logout());
$('services-reload').addEventListener('click', () => loadServices());
$('tenants-reload').addEventListener('click', () => loadTenants());
$('promotions-reload').addEventListener('click', () => loadPromotions());

const notice = sessionStorage.getItem(NOTICE_KEY) || (token && tokenProblem(token));
sessionStorage.removeItem(NOTICE_KEY);
if (token && !tokenProblem(token)) enter(sessionStorage.getItem(EMAIL_KEY) || '');
else {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('login-email').value = sessionStorage.getItem(EMAIL_KEY) || '';
  $('login').hidden = false;
  say($('login-error'), 'error', notice);
  $('login-email').focus();
}
