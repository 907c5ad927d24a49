#!/usr/bin/env node
'use strict';
/**
 * What CI shows, counted on a real project: N jest nodes on one project
 * (its own Jest config from package.json, every test file, coverage on)
 * through the embedded server, as GitHub Actions runs them.
 *
 * 1. Annotations: Jest's `github-actions` reporter through withFastCi
 *    against listed by hand, side by side: `::error` lines in all nodes'
 *    output, and the job summaries' sizes.
 * 2. The run page's API for the failed run: failing tests, those with a code
 *    frame, node_modules frames left, the view's bytes; flaky tests found.
 * 3. Quarantine: every failing test put in quarantine through the API, the
 *    run again: what was masked, what was not (and why), exit codes.
 * 4. Operators: `jest-fast-ci serve --metrics-port 0 --log-format json`,
 *    one run, the counters' growth and the log parsed line by line.
 *
 *   npm run build && node examples/benchmark/ci-output.js --project /path/to/project [--nodes 3]
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const REPO = path.resolve(__dirname, '../..');
const DIST = path.join(REPO, 'dist');
const { startServer } = require(path.join(DIST, 'server'));
const { withFastCi } = require(path.join(DIST, 'index.js'));

const { values } = parseArgs({ options: { project: { type: 'string' }, nodes: { type: 'string', default: '3' } } });
if (!values.project) throw new Error('--project DIR: a project with jest installed and its Jest config in package.json');
const PROJECT = path.resolve(values.project);
const NODES = Number(values.nodes);
const KEY = `ci-output-${Date.now()}-secret`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-ci-output-'));

/** A config file for the project: its own Jest config, rootDir pointing at it, the runner and reporters by path (as installed they resolve by name). */
function writeConfig(name, viaWithFastCi) {
  const base = { ...require(path.join(PROJECT, 'package.json')).jest, rootDir: PROJECT, coverageReporters: ['json-summary'], coverageDirectory: path.join(work, `coverage-${name}`) };
  const byPath = { 'jest-fast-ci/reporter': `${DIST}/reporter/index.js`, 'jest-fast-ci/github-actions': `${DIST}/reporter/GitHubActionsReporter.js` };
  const swap = r => (typeof r === 'string' ? byPath[r] ?? r : [byPath[r[0]] ?? r[0], r[1]]);
  const config = viaWithFastCi
    ? withFastCi({ ...base, reporters: ['default', 'github-actions'] })
    : { ...base, reporters: ['default', 'github-actions', 'jest-fast-ci/reporter'] };
  const file = path.join(work, `jest.${name}.config.js`);
  fs.writeFileSync(file, `module.exports = ${JSON.stringify({ ...config, runner: `${DIST}/index.js`, reporters: config.reporters.map(swap) }, null, 2)};\n`);
  return file;
}

function runNodes(serverUrl, buildId, config, extra = {}) {
  return Promise.all(
    Array.from({ length: NODES }, (_, i) => new Promise(resolve => {
      const summary = path.join(work, `summary-${buildId}-${i}.md`);
      const env = { ...process.env, FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: serverUrl, FAST_CI_BUILD_ID: buildId, FAST_CI_NODE_INDEX: String(i), FAST_CI_NODE_TOTAL: String(NODES), GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, FORCE_COLOR: '0', ...extra };
      const child = spawn(process.execPath, [path.join(PROJECT, 'node_modules/jest/bin/jest.js'), '--config', config, '--maxWorkers=1', '--coverage'], { cwd: PROJECT, env });
      let output = '';
      child.stdout.on('data', d => (output += d));
      child.stderr.on('data', d => (output += d));
      child.on('exit', code => resolve({ i, code, output, summary: fs.existsSync(summary) ? fs.readFileSync(summary, 'utf8') : '' }));
    })),
  );
}

const count = (text, re) => (text.match(re) || []).length;

async function main() {
  const server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY], warn: () => undefined });
  const api = async (method, p, body) => (await fetch(`${server.dashboardUrl}api/${p}`, { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) })).json();
  try {
    console.log(`project ${PROJECT}, ${NODES} nodes, coverage on`);
    const wrapped = await runNodes(server.url, 'wrapped', writeConfig('wrapped', true));
    const plain = await runNodes(server.url, 'plain', writeConfig('plain', false));
    const errors = outs => outs.map(o => count(o.output, /^::error /gm));
    console.log(`1. ::error lines, per node: withFastCi ${errors(wrapped).join(' + ')} = ${errors(wrapped).reduce((a, b) => a + b, 0)}; listed by hand ${errors(plain).join(' + ')} = ${errors(plain).reduce((a, b) => a + b, 0)}`);
    console.log(`   ::warning lines: ${wrapped.reduce((a, o) => a + count(o.output, /^::warning /gm), 0)}; job summaries (characters): ${wrapped.map(o => o.summary.length).join(', ')}; exits ${wrapped.map(o => o.code).join(',')}`);

    const view = await api('GET', 'runs/jest/wrapped');
    const failed = Object.entries(view.results).filter(([, r]) => r.status === 'failed');
    const tests = failed.flatMap(([file, r]) => (r.failures || []).map(f => ({ file, name: f.test, text: f.text })));
    console.log(`2. page: ${failed.length} failed files, ${tests.length} failing tests, ${tests.filter(t => /^\s*>\s*\d+ \|/m.test(t.text)).length} with a code frame, ${tests.filter(t => /at .*node_modules/.test(t.text)).length} with node_modules frames left; run view ${JSON.stringify(view).length} bytes`);
    console.log(`   flaky tests found: ${(await api('GET', 'flaky/jest')).total}`);

    const own = tests.filter(t => t.name !== 'Test suite failed to run');
    for (const t of own) await api('POST', 'quarantine/jest', { file: t.file, name: t.name, reason: 'measured by examples/benchmark/ci-output.js' });
    const again = await runNodes(server.url, 'quarantined', writeConfig('wrapped', true));
    const named = again.map(o => Number((/jest-fast-ci ▸ (\d+) quarantined tests? failed/.exec(o.output) || [0, 0])[1]));
    console.log(`3. quarantined ${own.length} failing tests (${tests.length - own.length} files failed to load: never masked); the run again: ${named[0]} named as quarantined failures on every node (${named.join(', ')}); Jest's line: ${(/Tests: .*/.exec(again[0].output) || [''])[0].replace(/\s+/g, ' ')}; exits ${again.map(o => o.code).join(',')}`);
    // The server counts by the same rule: the files it leaves out of `failed` are those Jest's summary on a node does not fail.
    const s = (await server.waitForRun('quarantined')).summary;
    const suites = (/Test Suites: (\d+) failed/.exec(again[0].output) || [0, 0])[1];
    console.log(`   server summary: ${s.failed} failed, ${(s.quarantined || []).length} failed in quarantined tests only, ${s.passed} passed of ${s.files}; Jest's failed suites on node 0: ${suites}`);
  } finally {
    await server.close();
  }

  // 4. The CLI with metrics and the JSON log.
  const cli = spawn(process.execPath, [path.join(DIST, 'cli.js'), 'serve', '--port', '0', '--metrics-port', '0', '--log-format', 'json'], { env: { PATH: process.env.PATH, FAST_CI_SECRET_KEY: KEY } });
  let out = '';
  let err = '';
  cli.stdout.on('data', d => (out += d));
  cli.stderr.on('data', d => (err += d));
  for (const deadline = Date.now() + 10_000; !/FAST_CI_SERVER=/.test(out) || !/"metrics"/.test(err); ) {
    if (Date.now() > deadline) throw new Error(`the CLI did not start: ${err}`);
    await new Promise(r => setTimeout(r, 50));
  }
  const url = /FAST_CI_SERVER=(\S+)/.exec(out)[1];
  const metricsUrl = /"metrics":"([^"]+)"/.exec(err)[1];
  const scrape = async () => (await fetch(metricsUrl)).text();
  const val = (text, series) => Number((text.split('\n').find(l => l.startsWith(`${series} `)) || ' 0').split(' ').pop());
  const before = await scrape();
  await runNodes(url, 'operators', writeConfig('wrapped', true));
  const after = await scrape();
  const grew = s => val(after, s) - val(before, s);
  console.log(`4. metrics: results +${grew('fastci_run_events_total{type="result"}')}, deq requests +${grew('fastci_requests_total{event="deq"}')}, deq answered mean ${((1000 * grew('fastci_deq_seconds_sum{outcome="answered"}')) / Math.max(1, grew('fastci_deq_seconds_count{outcome="answered"}'))).toFixed(2)} ms, report bytes in ${grew('fastci_report_bytes_total{direction="in"}')} out ${grew('fastci_report_bytes_total{direction="out"}')}, commits +${grew('fastci_store_seconds_count{op="commit",store="local"}')}`);
  cli.kill('SIGTERM');
  await new Promise(r => cli.on('exit', r));
  const lines = err.trim().split('\n');
  const parsed = lines.filter(l => { try { JSON.parse(l); return true; } catch { return false; } }).length;
  console.log(`   JSON log: ${lines.length} lines, ${parsed} parse; the key in it: ${err.includes(KEY)}`);
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
