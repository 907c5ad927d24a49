#!/usr/bin/env node
// Takes the dashboard screenshot of docs/dashboard.md and the README: a
// finished run of examples/basic on 3 real jest nodes, shot in headless
// Chromium (Debian's `chromium`, driven by playwright-core).
//
//   npm run build && node scripts/dashboard-screenshot.js [docs/dashboard.png]
//
// So that the page shows what it is for, the project is a copy of
// examples/basic (under .tmp/) with two files added: one that fails, one
// that fails on its first two runs. The build runs twice, as a CI re-run
// would (`<id>`, then `<id>-2` with FAST_CI_RETRY=1): the shot is of the
// second attempt, with the flaky file retried and the first attempt listed.
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startServer } = require('../dist/server');

const REPO = path.resolve(__dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const PROJECT = path.join(REPO, '.tmp/dashboard-screenshot');
const out = path.resolve(process.argv[2] || path.join(REPO, 'docs/dashboard.png'));

const FAILING = `import { Cart, TaxTable } from '../src/cart';
import { product } from './helpers/catalog';

const TABLE: TaxTable = { standard: 0.1, reduced: 0.1, exempt: 0 };

describe('Cart tax rounding', () => {
  it('rounds the tax once per order', () => {
    const cart = new Cart('EUR').add(product('A', 25)).add(product('B', 25));
    expect(cart.totals(TABLE).tax.amount).toBe(5);
  });
});
`;

// Fails on its first two runs (a counter next to it), then passes.
const FLAKY = `import * as fs from 'node:fs';
import * as path from 'node:path';

test('the shipping quote service answers in time', () => {
  const counter = path.join(__dirname, '.runs');
  const runs = (fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0) + 1;
  fs.writeFileSync(counter, String(runs));
  expect(runs > 2 ? 'quote' : 'timeout after 2000 ms').toBe('quote');
});
`;

function makeProject() {
  fs.rmSync(PROJECT, { recursive: true, force: true });
  fs.cpSync(path.join(REPO, 'examples/basic'), PROJECT, { recursive: true });
  fs.writeFileSync(path.join(PROJECT, 'test/cart.tax-rounding.test.ts'), FAILING);
  fs.writeFileSync(path.join(PROJECT, 'test/shipping.quote-service.test.ts'), FLAKY);
}

function runNode(env) {
  return new Promise((resolve, reject) => {
    const jest = path.join(REPO, 'node_modules/jest/bin/jest.js');
    const child = spawn(process.execPath, [jest], { cwd: PROJECT, env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', code => resolve(code));
  });
}

async function runBuild(server, env, buildId, extra = {}) {
  await Promise.all([0, 1, 2].map(i => runNode({ ...env, ...extra, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_ID: `${buildId}-${i}` })));
  await server.waitForRun(buildId);
}

async function main() {
  makeProject();
  const key = randomBytes(24).toString('base64url');
  const server = await startServer({ port: 0, secretKeys: [key], warn: () => {} });
  const buildId = `1187${Math.floor(Math.random() * 90 + 10)}`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-chromium-'));
  const env = { ...process.env, FORCE_COLOR: '0' };
  for (const name of Object.keys(env)) if (name.startsWith('FAST_CI_')) delete env[name];
  Object.assign(env, {
    FAST_CI_SECRET_KEY: key,
    FAST_CI_SERVER: server.url,
    FAST_CI_BRANCH: 'feature/checkout-tax',
    FAST_CI_COMMIT: '3f9c2a1d8e7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a',
    FAST_CI_COMMIT_MSG: 'Checkout: round tax per line, not per order',
    FAST_CI_FALLBACK: 'off',
  });
  let context;
  try {
    await runBuild(server, env, buildId);
    await runBuild(server, env, `${buildId}-2`, { FAST_CI_RETRY: '1' });
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      // Without the background-networking flags Chromium keeps trying Google's services, refused on a closed network.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    page.on('pageerror', error => process.stderr.write(`dashboard-screenshot: the page failed: ${error.stack}\n`));
    await page.goto(server.dashboardUrl);
    await page.fill('#credential', key);
    await page.click('button[type=submit]');
    await page.click(`a:text-is("${buildId}-2")`);
    await page.waitForSelector('#summary:not([hidden])');
    await page.click('#slowest a');
    await page.waitForSelector('#file-history');
    await page.screenshot({ path: out, fullPage: true });
    process.stdout.write(`wrote ${path.relative(REPO, out)}\n`);
  } finally {
    await context?.close();
    fs.rmSync(profile, { recursive: true, force: true });
    fs.rmSync(PROJECT, { recursive: true, force: true });
    await server.close();
  }
}

main().catch(error => {
  process.stderr.write(`dashboard-screenshot: ${error.stack}\n`);
  process.exitCode = 1;
});
