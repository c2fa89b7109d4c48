// Drives the console in headless Chromium against a running sluice:
//
//   node gateway/console/test/browser.mjs --url http://127.0.0.1:PORT \
//     --email E --password P --component catalog-b.wasm \
//     --bad-component hello.wasm --screenshot console.png
//
// Logs in (a wrong password first), checks the four services and their
// instances, deploys a component that does not fit catalog's world (422),
// deploys a good one (version 2), rolls back (version 1), checks the
// traffic charts and saves a full-page screenshot. Exits 0 on success;
// otherwise prints what failed, saves <screenshot>-failed.png and exits 1.
// --chromium (or $CHROMIUM) picks the browser, /usr/bin/chromium by default.

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = 'usage: node browser.mjs --url URL --email E --password P --component GOOD.wasm --bad-component BAD.wasm --screenshot OUT.png [--chromium PATH] [--timeout-ms N]';
const SERVICES = ['account', 'catalog', 'order', 'pricing'];

async function main() {
  let opts;
  try {
    ({ values: opts } = parseArgs({
      options: {
        url: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' },
        component: { type: 'string' }, 'bad-component': { type: 'string' }, screenshot: { type: 'string' },
        chromium: { type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium' },
        'timeout-ms': { type: 'string', default: '60000' },
      },
    }));
  } catch (e) {
    console.error(`${e.message}\n${USAGE}`);
    process.exit(2);
  }
  const missing = ['url', 'email', 'password', 'component', 'bad-component', 'screenshot'].filter((k) => !opts[k]);
  if (missing.length) {
    console.error(`missing --${missing.join(', --')}\n${USAGE}`);
    process.exit(2);
  }
  for (const file of [opts.component, opts['bad-component'], opts.chromium]) {
    if (!existsSync(file)) {
      console.error(`no such file: ${file}`);
      process.exit(2);
    }
  }

  const TIMEOUT = Number(opts['timeout-ms']);
  if (!(TIMEOUT > 0)) {
    console.error(`--timeout-ms must be a positive number of milliseconds\n${USAGE}`);
    process.exit(2);
  }
  const base = opts.url.replace(/\/+$/, '');
  const origin = new URL(base).origin;
  const failedShot = opts.screenshot.replace(/(\.png)?$/i, '-failed.png');

  class Failure extends Error {}
  const check = (ok, message) => {
    if (!ok) throw new Failure(message);
  };
  const t = (id) => `[data-testid="${id}"]`;

  let step = 'starting Chromium';
  let browser;
  try {
    const { chromium } = await import('playwright-core'); // here, so that node --test needs no node_modules
    browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  } catch (e) {
    console.error(`FAIL while ${step} (${opts.chromium}): ${e.message}`);
    process.exit(1);
  }
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`uncaught error in the page: ${e.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/the server responded with a status of/.test(msg.text())) problems.push(`console error: ${msg.text()}`);
  });
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (/^https?:$/.test(u.protocol) && u.origin !== origin) problems.push(`request to another origin: ${req.url()}`);
  });

  /** Waits for fn(arg) to hold in the page, failing with `what` (and what the page shows) when it does not in time. */
  async function until(what, fn, arg, timeout = TIMEOUT) {
    try {
      await page.waitForFunction(fn, arg, { timeout, polling: 100 });
    } catch (e) {
      if (!/Timeout/i.test(e.message)) throw e;
      throw new Failure(`timed out after ${timeout} ms waiting until ${what}`);
    }
  }

  const card = (service) => t(`service-${service}`);
  const activeVersion = (service) => page.locator(`${card(service)} ${t('active-version')}`).getAttribute('data-version');
  const cardMessage = (service) => page.locator(`${card(service)} ${t('service-message')}`);

  /** Clicks a service card's button and waits for that action (and the reload of its versions) to finish. */
  async function cardAction(service, button) {
    const root = page.locator(card(service));
    const before = Number(await root.getAttribute('data-done'));
    await root.locator(t(button)).click();
    await until(`the ${button} on ${service} finished`, ([sel, n]) => Number(document.querySelector(sel)?.dataset.done) > n, [card(service), before]);
    const msg = cardMessage(service);
    return { kind: await msg.getAttribute('data-kind'), status: await msg.getAttribute('data-status'), text: (await msg.textContent()).trim() };
  }

  async function waitActive(service, version) {
    await until(`${service} shows version ${version} active`, ([sel, v]) => {
      const root = document.querySelector(sel);
      const badge = root?.querySelector('[data-testid="active-version"]');
      const row = root?.querySelector(`[data-testid="version"][data-version="${v}"]`);
      return badge?.dataset.version === v && row?.dataset.active === 'true';
    }, [card(service), String(version)]);
  }

  try {
    step = 'opening /console';
    const response = await page.goto(`${base}/console`);
    check(response && response.ok(), `GET /console answered ${response && response.status()}`);
    await page.locator(t('login-form')).waitFor({ state: 'visible' });

    step = 'logging in with a wrong password';
    await page.fill(t('login-email'), opts.email);
    await page.fill(t('login-password'), `${opts.password}-wrong`);
    await page.click(t('login-submit'));
    await until('the login error is shown', (sel) => {
      const node = document.querySelector(sel);
      return node && !node.hidden && node.textContent.trim().length > 0;
    }, t('login-error'));
    const loginError = (await page.textContent(t('login-error'))).trim();
    check(await page.locator(t('app')).isHidden(), 'the console opened after a wrong password');
    console.log(`ok: a wrong password is refused: "${loginError}"`);

    step = 'logging in';
    await page.fill(t('login-password'), opts.password);
    await page.click(t('login-submit'));
    await page.locator(t('app')).waitFor({ state: 'visible' });
    check((await page.textContent(t('user-email'))).trim() === opts.email, 'the top bar does not show the email logged in with');
    console.log(`ok: logged in as ${opts.email}`);

    step = 'checking the services';
    for (const service of SERVICES) {
      await until(`${service} is listed with at least one instance`, (sel) => document.querySelectorAll(sel).length > 0,
        `${card(service)} ${t('instance')}`);
      const states = await page.locator(`${card(service)} ${t('instance')}`).evaluateAll((nodes) => nodes.map((n) => n.dataset.state));
      console.log(`ok: ${service}: ${states.length} instance(s), breakers ${states.join(', ')}`);
    }

    step = 'checking catalog is at version 1';
    await waitActive('catalog', 1);
    console.log('ok: catalog serves version 1');

    step = 'deploying a component that does not fit catalog';
    await page.setInputFiles(`${card('catalog')} ${t('deploy-file')}`, opts['bad-component']);
    let outcome = await cardAction('catalog', 'deploy-button');
    check(outcome.kind === 'error' && outcome.status === '422',
      `expected a 422 error message after the bad deploy, got ${outcome.kind} ${outcome.status}: "${outcome.text}"`);
    check(outcome.text.length > 0, 'the 422 message is empty');
    check(await cardMessage('catalog').isVisible(), 'the 422 message is not visible');
    check(await activeVersion('catalog') === '1', `catalog's active version is ${await activeVersion('catalog')} after a refused deploy`);
    console.log(`ok: the bad component is refused: "${outcome.text}"; version 1 still active`);

    step = 'deploying the good component';
    // A deploy makes the highest version + 1: 2 on a fresh platform (3, 4... when this test is run again on it).
    const versions = await page.locator(`${card('catalog')} ${t('version')}`).evaluateAll((rows) => rows.map((r) => Number(r.dataset.version)));
    const expected = Math.max(...versions) + 1;
    await page.setInputFiles(`${card('catalog')} ${t('deploy-file')}`, opts.component);
    outcome = await cardAction('catalog', 'deploy-button');
    check(outcome.kind === 'ok', `the deploy failed: ${outcome.status}: "${outcome.text}"`);
    await waitActive('catalog', expected);
    console.log(`ok: deployed: "${outcome.text}"; version ${expected} active`);

    step = 'rolling back';
    outcome = await cardAction('catalog', 'rollback-button');
    check(outcome.kind === 'ok', `the rollback failed: ${outcome.status}: "${outcome.text}"`);
    await waitActive('catalog', 1);
    console.log(`ok: rolled back: "${outcome.text}"; version 1 active`);

    step = 'checking the traffic charts';
    await until('the traffic section shows a uPlot chart', (sel) => document.querySelectorAll(sel).length > 0,
      `${t('traffic')} .uplot canvas`);
    const charts = await page.locator(`${t('traffic')} .uplot canvas`).count();
    console.log(`ok: ${charts} traffic chart(s) drawn`);

    step = 'checking the page had no errors';
    check(problems.length === 0, problems.join('\n'));

    step = 'saving the screenshot';
    await page.screenshot({ path: opts.screenshot, fullPage: true });
    console.log(`ok: screenshot saved to ${opts.screenshot}`);
    console.log('PASS: the console works');
    await browser.close();
    process.exit(0);
  } catch (e) {
    const why = e instanceof Failure ? e.message : `${e.name}: ${e.message}`;
    console.error(`FAIL while ${step}: ${why}`);
    if (problems.length) console.error(`the page also reported:\n  ${problems.join('\n  ')}`);
    try {
      await page.screenshot({ path: failedShot, fullPage: true });
      console.error(`screenshot of the failure: ${failedShot}`);
    } catch (shotError) {
      console.error(`could not save ${failedShot}: ${shotError.message}`);
    }
    await browser.close().catch(() => {});
    process.exit(1);
  }
}

if (process.env.NODE_TEST_CONTEXT) {
  // `node --test gateway/console/test/` runs every file in test/; this one needs a running platform and its arguments.
  const { test } = await import('node:test');
  test('browser.mjs drives a running sluice: run it with node and --url etc., not node --test', { skip: true }, () => {});
} else {
  await main();
}
