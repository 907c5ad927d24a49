/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium`,
 * installed by `npm test`'s pretest, driven by playwright-core) against the
 * orchestrator, with real `jest` nodes on the fixtures. One browser for the
 * file; each signed-in viewer is a context of its own (its own cookies).
 *
 * The tests share the server: the live run of the first and the failed run
 * of the second are the two keys' runs the third checks are kept apart.
 * Every wait is on the page's DOM or the gates, never a sleep.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type OrchestratorServer } from '../../src/server';
import { Gates } from '../helpers/gates';
import { fixture, runJestNode, startJestNode } from '../helpers/jestNodes';

// The page callbacks below run in the browser, where `document` exists; this project compiles without the DOM library.
interface PageElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): { length: number }; cookie: string };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEY_A = `dashboard-key-a-${randomBytes(8).toString('hex')}`;
const KEY_B = `dashboard-key-b-${randomBytes(8).toString('hex')}`;
const VIEW_TOKEN = `dashboard-view-${randomBytes(8).toString('hex')}`;
const LIVE_BUILD = `dash-live-${process.pid}`;
const FAILED_BUILD = `dash-failed-${process.pid}`;

let server: OrchestratorServer;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY_A, KEY_B], viewToken: VIEW_TOKEN, warn: () => undefined });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // On a closed network Chromium's own background connections are refused; keep it from trying.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(() => {
  const errors = pageErrors.splice(0);
  expect(errors).toEqual([]);
});

/** A fresh browser context (no cookies) on the dashboard. */
async function openDashboard(): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', error => pageErrors.push(error.message));
  await page.goto(server.dashboardUrl!);
  return page;
}

/** Signs in through the form; resolves on the runs list. */
async function signIn(credential: string): Promise<Page> {
  const page = await openDashboard();
  await page.fill('#credential', credential);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:text-is("Recent runs")');
  return page;
}

/** The environment of a node of `build` on this server. */
function nodeEnv(key: string, build: string, nodeId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { FAST_CI_SECRET_KEY: key, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: build, FAST_CI_NODE_ID: nodeId, FAST_CI_FALLBACK: 'off', FAST_CI_REPORT: 'node', ...extra };
}

const progressIs = (page: Page, text: string) => page.waitForFunction(expected => document.querySelector('#progress-text')?.textContent === expected, text);

it('shows a run as it appears and its progress as real jest nodes run it, the timeline growing', async () => {
  const page = await signIn(KEY_A);
  const gates = new Gates();
  // Without known durations a node asks for its next file only once a worker
  // is free, so a file's result goes out as soon as it ends: with Jest's
  // cache, a node may take its next (gated) file early and send the result
  // only when that one nears its expected end.
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-dashboard-cache-'));
  try {
    const args = ['--maxWorkers=1', `--cacheDirectory=${cache}`];
    const nodes = ['node-a', 'node-b'].map(id => startJestNode({ cwd: fixture('gated'), args, env: nodeEnv(KEY_A, LIVE_BUILD, id, gates.env) }));
    // The run shows up in the list without a reload, then its page.
    await page.click(`tr[data-build="${LIVE_BUILD}"] a:text-is("${LIVE_BUILD}")`);
    const [startedByA] = await gates.startedBy('node-a');
    await gates.startedBy('node-b');
    await progressIs(page, '0 of 8 files');
    await page.waitForFunction(() => document.querySelectorAll('#nodes tbody tr').length === 2);
    // Both nodes hold a file that has started: two bars in hand on the timeline.
    await page.waitForFunction(() => Number(document.querySelector('#timeline-canvas')?.dataset.running) >= 2);

    gates.open(startedByA!);
    await progressIs(page, '1 of 8 files');
    await page.waitForFunction(() => {
      const canvas = document.querySelector('#timeline-canvas')!;
      return Number(canvas.dataset.bars) > Number(canvas.dataset.running) && canvas.dataset.mode === 'time';
    });
    expect(await page.textContent('#run-state')).toBe('running');

    gates.openAll();
    await progressIs(page, '8 of 8 files');
    await page.waitForSelector('#run-state:text-is("passed")');
    await page.waitForSelector('#summary:not([hidden])');
    expect(await page.textContent('#failures h2')).toBe('Failures (0)');
    const outcomes = await Promise.all(nodes.map(node => node.done));
    for (const outcome of outcomes) expect(outcome).toExitWith(0);
    expect(Number(await page.getAttribute('#timeline-canvas', 'data-bars'))).toBeGreaterThanOrEqual(8);

    // The list's row, live too.
    await page.click('a:text-is("Runs")');
    await page.waitForSelector(`tr[data-build="${LIVE_BUILD}"][data-state="passed"] .progress:text-is("8 / 8")`);
  } finally {
    gates.remove();
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

it('shows a failure with its file and the first lines of its message', async () => {
  const outcome = await runJestNode({ cwd: fixture('failing'), env: nodeEnv(KEY_B, FAILED_BUILD, 'node-f') });
  expect(outcome).toExitWith(1);
  const page = await signIn(KEY_B);
  await page.click(`a:text-is("${FAILED_BUILD}")`);
  await page.waitForSelector('#run-state:text-is("failed")');
  const broken = await page.textContent('.failure[data-file="test/broken.test.js"] pre');
  expect(broken).toContain('fails on purpose');
  expect(broken).toContain('Expected: 3');
  expect(broken).toContain('Received: 2');
  expect(await page.textContent('.failure[data-file="test/syntax.test.js"] pre')).toContain("Cannot find module './does-not-exist'");
  expect(await page.textContent('#failures h2')).toBe('Failures (2)');

  // A file's durations over recent runs.
  await page.click('#failures a:text-is("test/broken.test.js")');
  await page.waitForSelector('#file-history');
  expect(await page.textContent('#file')).toContain('this run: failed on node 0');
});

it("keeps one key's runs from another key, and every run from a browser without a credential", async () => {
  const pageA = await signIn(KEY_A);
  await pageA.waitForSelector(`tr[data-build="${LIVE_BUILD}"]`);
  expect(await pageA.locator(`tr[data-build="${FAILED_BUILD}"]`).count()).toBe(0);
  expect(await pageA.evaluate(build => fetch(`api/runs/jest/${build}`).then(r => r.status), FAILED_BUILD)).toBe(404);

  const pageB = await signIn(KEY_B);
  await pageB.waitForSelector(`tr[data-build="${FAILED_BUILD}"]`);
  expect(await pageB.locator(`tr[data-build="${LIVE_BUILD}"]`).count()).toBe(0);
  expect(await pageB.content()).not.toContain(KEY_B);

  const all = await signIn(VIEW_TOKEN);
  await all.waitForSelector(`tr[data-build="${LIVE_BUILD}"] :text("key #0")`);
  await all.waitForSelector(`tr[data-build="${FAILED_BUILD}"] :text("key #1")`);

  const stranger = await openDashboard();
  await stranger.waitForSelector('#credential');
  expect(await stranger.content()).not.toContain(LIVE_BUILD);
  expect(await stranger.evaluate(() => fetch('api/runs').then(r => r.status))).toBe(401);
  expect(await stranger.evaluate(() => document.cookie)).toBe('');
  await stranger.fill('#credential', 'not-a-key-of-this-server');
  await stranger.click('button[type=submit]');
  await stranger.waitForSelector('.error:text("neither a secret key of this server nor its view token")');
  // The session cookie is out of reach of the page's scripts.
  expect(await pageA.evaluate(() => document.cookie)).toBe('');
});
