/**
 * The run page in a real browser (Debian's Chromium, driven by
 * playwright-core), as a user opening a failed run sees it: the failure on
 * the first screen with its code frame, a flaky file's failed attempt, the
 * selected file kept in the address across a reload, a run that does not
 * exist, a phone's width, a run whose only failure is a quarantined test's,
 * and a run of 10,000 files (whose first snapshot
 * is several MiB). Two real jest nodes make the failed run; the 10,000-file
 * run is made over the protocol by the official phoenix client.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pendingEntry } from '../../src/protocol/entries';
import { startServer, type OrchestratorServer } from '../../src/server';
import { joinBareNode } from '../helpers/bareNode';
import { Gates } from '../helpers/gates';
import { fixture, startJestNode, until } from '../helpers/jestNodes';

// The page callbacks below run in the browser; this project compiles without the DOM library.
declare const document: { documentElement: { scrollWidth: number }; querySelector(selector: string): { textContent: string | null } | null };
declare const location: { hash: string };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEY = `run-page-key-${randomBytes(8).toString('hex')}`;
const FAILED = `page-failed-${process.pid}`;
const BIG = `page-big-${process.pid}`;
const BIG_FILES = 10_000;

let server: OrchestratorServer;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], warn: () => undefined });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // The failed run: two nodes, retries on; the flaky file fails once on one node and passes on the other.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-run-page-'));
  const gates = new Gates();
  try {
    const env = { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: FAILED, FAST_CI_RETRY: '1', FAST_CI_REPORT: 'node', FLAKY_MARKER: path.join(dir, 'marker'), ...gates.env };
    const nodes = [0, 1].map(() => startJestNode({ cwd: fixture('ci-output'), env }));
    await until(() => (server.run(FAILED)?.nodes.length === 2 ? true : undefined), 'both nodes to join');
    gates.openAll();
    await Promise.all(nodes.map(node => node.done));
  } finally {
    gates.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 80_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

/** Signed in with the key, at `hash`, in a window of the given size. */
async function open(hash: string, viewport = { width: 1280, height: 720 }): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  page.on('pageerror', error => pageErrors.push(error.message));
  await page.goto(server.dashboardUrl!);
  await page.fill('#credential', KEY);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:text-is("Recent runs")');
  await page.evaluate(to => (location.hash = to), hash);
  return page;
}

it("leads a failed run with its failure: the test's name and the code frame on the first screen", async () => {
  const page = await open(`#/runs/jest/${FAILED}`);
  const failure = page.locator('.failure[data-file="test/broken.test.js"]');
  await failure.locator('.test-name:text-is("totals the cart")').waitFor();
  const frame = failure.locator('pre.frame');
  expect(await frame.textContent()).toMatch(/Expected: 7\nReceived: 6[\s\S]*>\s+8 \| {3}expect\(total\)\.toBe\(7\);/);
  // Within the first screen, without scrolling: above the progress, the summary and the nodes.
  for (const el of [failure.locator('.test-name'), frame]) {
    const box = (await el.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(720);
  }
  // The stack, without library frames, one click away.
  await failure.locator('details summary:text-is("Stack and whole text")').click();
  expect(await failure.locator('details pre').textContent()).toContain('at Object.toBe (test/broken.test.js:8:17)');
  // The flaky file's failed attempt, though its result passed.
  const attempt = page.locator('#retried tr[data-file="test/flaky.test.js"] details.attempt');
  await attempt.locator('> summary').click();
  expect(await attempt.locator('.test-name').textContent()).toBe('works on the second try');
  expect(await attempt.locator('pre.frame').textContent()).toContain('flaky failure on purpose');
  // A finished run does not claim to be live.
  expect(await page.locator('.run-head .live').count()).toBe(0);
});

it('keeps the selected file in the address: a reload shows it again, with its history', async () => {
  const page = await open(`#/runs/jest/${FAILED}`);
  await page.click('#failures a:text-is("test/broken.test.js")');
  await page.waitForSelector('#file .mono:text-is("test/broken.test.js")');
  expect(await page.evaluate(() => location.hash)).toBe(`#/runs/jest/${FAILED}?file=test%2Fbroken.test.js`);
  await page.reload();
  await page.waitForSelector('#file .mono:text-is("test/broken.test.js")');
  expect(await page.textContent('#file')).toMatch(/this run: failed on node \d/);
  // Its history: how it ended in each finished run of the run key, and since when it fails.
  await page.waitForSelector(`#file-runs tr:has(.tag.failed):has(b:text-is("${FAILED}"))`);
  expect(await page.textContent('#file .since.failing')).toContain(`Failing since ${FAILED}`);
});

it("lists a test that failed on one node and passed on its retry as flaky, reached from the run's page", async () => {
  const page = await open(`#/runs/jest/${FAILED}`);
  await page.click('#flaky-link');
  const row = page.locator('#flaky tr[data-test="works on the second try"]');
  await row.waitFor();
  expect(await row.getAttribute('data-file')).toBe('test/flaky.test.js');
  expect(await row.locator('td').nth(1).textContent()).toMatch(/^1 \/ 1/);
  // Its recent outcomes in this run: the failure, then the pass of its retry, each linking to the run.
  expect(await row.locator('.strip .sq').evaluateAll(squares => squares.map(sq => sq.className))).toEqual(['sq failed', 'sq passed']);
  expect(await row.locator('.strip .sq').first().getAttribute('href')).toBe(`#/runs/jest/${FAILED}`);
  // The test that fails every time is not flaky.
  expect(await page.locator('#flaky tr[data-test="totals the cart"]').count()).toBe(0);
});

it("quarantines a flaky test from its row, with a reason for the audit, and marks a quarantined test's failure on the run's page", async () => {
  const page = await open(`#/flaky/jest`);
  const row = page.locator('#flaky tr[data-test="works on the second try"]');
  page.once('dialog', dialog => void dialog.accept('timing race, #9'));
  await row.locator('button:text-is("Quarantine")').click();
  await row.locator('.quarantined').waitFor();
  expect(await row.locator('.quarantined').textContent()).toMatch(/^quarantined by page until .*: timing race, #9$/);
  await row.locator('button:text-is("Release")').waitFor();
  // A test put in quarantine through the API (the key) is marked where it failed.
  const res = await page.evaluate(
    body => fetch('api/quarantine/jest', { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(r => r.status),
    JSON.stringify({ file: 'test/broken.test.js', name: 'totals the cart', reason: 'known, #10' }),
  );
  expect(res).toBe(200);
  // The next run takes the quarantine as it opens: its node passes, and its page shows the file apart, marked.
  const build = `page-quarantined-${process.pid}`;
  const node = startJestNode({ cwd: fixture('ci-output'), env: { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: build, FAST_CI_REPORT: 'node' }, args: ['test/broken'] });
  expect(await node.done).toExitWith(0);
  await page.evaluate(to => (location.hash = to), `#/runs/jest/${build}`);
  const failure = page.locator('.failure.quarantined[data-file="test/broken.test.js"]');
  await failure.locator('header .tag.quarantined').waitFor();
  expect(await failure.locator('header .tag.quarantined').textContent()).toBe('does not fail the run');
  // The test itself is marked where its failure is shown.
  expect(await failure.locator('.tag.quarantined:text-is("quarantined")').count()).toBe(1);
  expect(await page.textContent('#failures h2')).toBe('Failures (0, and 1 in quarantined tests only)');
  expect(await page.textContent('#summary')).toContain('quarantined');
  page.once('dialog', dialog => void dialog.accept('not flaky after all'));
  await page.evaluate(to => (location.hash = to), '#/flaky/jest');
  await page.locator('#flaky tr[data-test="works on the second try"] button:text-is("Release")').click();
  await page.locator('#flaky tr[data-test="works on the second try"] button:text-is("Quarantine")').waitFor();
});

it('says a run that does not exist is not found, instead of loading for ever', async () => {
  const page = await open(`#/runs/jest/no-such-build-${randomUUID()}`);
  await page.waitForSelector('#not-found h1:text-is("Run not found")');
});

it('fits a phone: neither the runs list nor a run page is wider than 390 px', async () => {
  const page = await open('#/', { width: 390, height: 844 });
  await page.waitForSelector(`tr[data-build="${FAILED}"]`);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.evaluate(to => (location.hash = to), `#/runs/jest/${FAILED}`);
  await page.waitForSelector('.failure[data-file="test/broken.test.js"] .test-name');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});

it('opens a run of 10,000 files, whose first snapshot is past the stream bound of 1 MiB', async () => {
  const node = await joinBareNode(server.url, KEY, BIG, { workers: 64 });
  const passed = { file_status: 'passed', test_count: 1, test_counters: { passed: 1, failed: 0, pending: 0 }, run_time: 0.01, '1': { status: 'passed', run_time: 0.01, description: 'works' } };
  const ids = Array.from({ length: BIG_FILES }, (_, i) => `test/generated/module-${String(i).padStart(5, '0')}.test.ts`);
  await node.push('enq', { tests: Object.fromEntries(ids.map(id => [id, pendingEntry(10)])) });
  let batch = ((await node.push('deq', {})) as { tests: string[] }).tests;
  while (batch.length > 0) batch = ((await node.push('deq', Object.fromEntries(batch.map(id => [id, passed])))) as { tests: string[] }).tests;
  await node.disconnect();
  expect(server.run(BIG)!.summary).toMatchObject({ files: BIG_FILES, passed: BIG_FILES });

  const page = await open(`#/runs/jest/${BIG}`);
  const snapshot = await page.evaluate(path => fetch(path).then(r => r.text()).then(text => text.length), `api/runs/jest/${BIG}`);
  expect(snapshot).toBeGreaterThan(1024 * 1024);
  await page.waitForFunction(total => document.querySelector('#progress-text')?.textContent === `${total} of ${total} files`, BIG_FILES);
  await page.waitForSelector('#run-state:text-is("passed")');
});
