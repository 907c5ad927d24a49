/** The reporter's lines, as pure functions of what the node and the run did. */
import type { NodeRun } from '../nodeRun';
import type { RetryRunReply, RunSummary, TestCounters } from '../protocol/types';
import type { ProjectUse } from './projects';

export interface Tally {
  files: number;
  tests: TestCounters;
}

/** Bytes as people read them: 812 B, 40.2 KB, 3.1 MB (powers of 1024, as the server's byte limits). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function testsPart(t: TestCounters): string {
  const total = t.passed + t.failed + t.pending;
  const parts = [`${t.passed} passed`];
  if (t.failed > 0) parts.push(`${t.failed} failed`);
  if (t.pending > 0) parts.push(`${t.pending} skipped`);
  return `${plural(total, 'test')}: ${parts.join(', ')}`;
}

const WRAP = 'set runner: "jest-fast-ci" in each project, or wrap the config: module.exports = require(\'jest-fast-ci\').withFastCi({ projects: [...] })';

/**
 * Lines printed after Jest's own summary. `projects`: which of the run's
 * projects use the runner; `keySet`: FAST_CI_SECRET_KEY was set (so files
 * run here that should have been split).
 */
export function formatNodeReport(run: NodeRun | undefined, here: Tally, projects: ProjectUse = { total: 1, without: [] }, keySet = false): string[] {
  const prefix = 'jest-fast-ci ▸';
  if (run === undefined && projects.total > 1) {
    const warning = keySet ? 'WARNING: FAST_CI_SECRET_KEY is set, but every file ran here, on every node: ' : '';
    return [
      `${prefix} ${warning}none of the ${projects.total} projects uses the jest-fast-ci runner. With projects, runner is a per-project option ` +
        `and Jest ignores it at the root: ${WRAP}.`,
    ];
  }
  if (run === undefined) {
    return [`${prefix} the reporter is on but the runner is not: add runner: "jest-fast-ci" to jest.config.`];
  }
  if (run.mode === 'unloaded') {
    // Jest prints the whole error (every place tried) right after this line.
    return [`${prefix} the runner (jest-fast-ci) failed to load, so no test file ran: ${run.reason?.split('\n')[0] ?? 'see the error below'}`];
  }
  if (run.mode === 'local') {
    return [`${prefix} ran locally (${run.reason}): ${plural(here.files, 'file')}, ${testsPart(here.tests)}`];
  }
  if (run.mode === 'failed') {
    // Jest prints the error itself; this line only says where this node got to.
    const label = run.label ?? (run.nodeIndex === undefined ? undefined : `node ${run.nodeIndex}`);
    const where = label === undefined ? '' : ` (${label})`;
    return [`${prefix} this node did not complete its part of the run${where}: ${run.reason?.split('\n')[0] ?? 'see the error above'}`];
  }
  if (run.mode === 'merged') {
    const m = run.merged;
    const problems = [
      m && m.missing > 0 ? `${plural(m.missing, 'file')} with no outcome (reported as failed)` : '',
      m && m.unknown.length > 0 ? `${plural(m.unknown.length, 'outcome')} for files Jest did not find here (${m.unknown.slice(0, 3).join(', ')}${m.unknown.length > 3 ? ', …' : ''})` : '',
      m && m.duplicates > 0 ? `${plural(m.duplicates, 'file')} in several blobs (the first was used)` : '',
    ].filter(Boolean);
    return [`${prefix} merged ${plural(m?.files ?? 0, 'blob file')}: ${plural(here.files, 'file')}, ${testsPart(here.tests)}${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`];
  }
  if (run.mode === 'fallback') {
    return [`${prefix} FALLBACK, not orchestrated: ${plural(here.files, 'file')} here, ${testsPart(here.tests)}`];
  }
  // Named by its CI shard; the run's own index (the API's and the server log's `node_index`) is added when it differs.
  const index = run.nodeIndex === undefined ? 'node ?' : `node ${run.nodeIndex}`;
  const node = run.label === undefined || run.label === index ? index : `${run.label} (index ${run.nodeIndex} in the run)`;
  const partial =
    projects.without.length === 0
      ? []
      : [
          `${prefix} WARNING: ${projects.without.length} of ${projects.total} projects (${projects.without.join(', ')}) ` +
            `${projects.without.length === 1 ? 'does' : 'do'} not use the jest-fast-ci runner: ${projects.without.length === 1 ? 'its' : 'their'} files ran on every node, ` +
            `and are not counted here. With projects, ${WRAP}.`,
        ];
  const of = run.runFiles === undefined ? '' : ` of ${run.runFiles}`;
  const parts = run.parts === undefined ? '' : `, and ${plural(run.parts.parts, 'part')} of ${plural(run.parts.files, 'split file')}`;
  const lines = [`${prefix} ${node} · build ${run.buildId} · ran ${here.files}${of} files here (${testsPart(here.tests)})${parts}`];
  if (run.timing !== undefined) lines.push(`${prefix} ${formatTiming(run.timing)}`);
  if (run.wholeRun !== undefined && run.wholeRun.unavailable === undefined) {
    const w = run.wholeRun;
    const figures = [
      w.bytesUp === undefined ? '' : `sent ${formatBytes(w.bytesUp)}, received ${formatBytes(w.bytesDown ?? 0)}`,
      w.afterLastFileMs === undefined ? '' : `ready ${secs(w.afterLastFileMs)} after the last file here`,
    ].filter(Boolean);
    const moved = figures.length === 0 ? '' : ` (${figures.join('; ')})`;
    lines.push(
      `${prefix} this report is the whole run's: Jest's summary, coverage and reporters include the ${plural(run.wholeRun.replayed, 'file')} other nodes ran${moved}; ` +
        'their lines above carry the name of the node that ran them',
    );
  }
  if (run.retryRun !== undefined) lines.push(`${prefix} ${formatRetryRun(run.retryRun, 'done')}`);
  const s = run.summary;
  if (s) {
    const outcome = s.failed > 0 ? `${s.failed} failed, ${s.passed} passed` : `${s.passed} passed`;
    const pending = `${quarantinedPart(s)}${s.pending > 0 ? `, ${s.pending} skipped` : ''}`;
    const kept = s.kept !== undefined && s.kept > 0 ? `, ${s.kept} of the files from an earlier attempt` : '';
    lines.push(`${prefix} whole run: ${plural(s.files, 'file')} on ${plural(s.nodes, 'node')}: ${outcome}${pending} (${plural(s.tests, 'test')})${kept}`);
    if (s.flaky && s.flaky.length > 0) {
      lines.push(`${prefix} flaky: ${plural(s.flaky.length, 'file')} failed, then passed when run again: ${s.flaky.join(', ')}`);
    }
    if (s.crashed && s.crashed.length > 0) {
      lines.push(
        `${prefix} crashed: ${plural(s.crashed.length, 'file')} took down every node that ran ${s.crashed.length === 1 ? 'it' : 'them'} ` +
          `(process.exit, a native crash, out of memory) and ${s.crashed.length === 1 ? 'was' : 'were'} recorded as failed: ${s.crashed.join(', ')}`,
      );
    }
  } else {
    lines.push(`${prefix} whole run: the orchestrator sent no run summary (other nodes may still be running).`);
  }
  if (run.runUrl !== undefined) lines.push(`${prefix} the run's page: ${run.runUrl}`);
  return [...lines, ...partial];
}

/** The summary's files that failed only in quarantined tests, as a part of a counts line (`, 2 failed in quarantined tests only`); empty when none. */
export function quarantinedPart(s: RunSummary): string {
  return s.quarantined !== undefined && s.quarantined.length > 0 ? `, ${s.quarantined.length} failed in quarantined tests only` : '';
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** "time here: start-up 2.1 s, then per worker 30.2 s busy, 3.0 s idle (2 workers)": what is left to gain on this node. */
export function formatTiming(timing: NonNullable<NodeRun['timing']>): string {
  return `time here: start-up ${secs(timing.startupMs)}, then per worker ${secs(timing.busyMs)} busy, ${secs(timing.idleMs)} idle (${plural(timing.workers, 'worker')})`;
}

/**
 * What a retry run is: "retry of build X: re-ran 1 failed file of 13; 12
 * passed in attempt 1". `when`: as the node starts (`start`) or in its
 * report (`done`).
 */
export function formatRetryRun(retry: RetryRunReply, when: 'start' | 'done'): string {
  switch (retry.status) {
    case 'unknown':
      return `retry of build ${retry.of}: every file ${when === 'start' ? 'runs' : 'ran'} again, because ${retry.reason}`;
    case 'all':
      return `retry of build ${retry.of} (attempt ${retry.attempt}): every file ${when === 'start' ? 'runs' : 'ran'} again (FAST_CI_RETRY_RUN=all)`;
    case 'retry': {
      const earlier = retry.attempt <= 2 ? 'attempt 1' : `attempts 1-${retry.attempt - 1}`;
      if (retry.rerun === 0) return `retry of build ${retry.of}: nothing to re-run: all ${plural(retry.files, 'file')} passed in ${earlier}`;
      const verb = when === 'start' ? 're-running' : 're-ran';
      return `retry of build ${retry.of}: ${verb} ${retry.rerun} failed file${retry.rerun === 1 ? '' : 's'} of ${retry.files}; ${retry.kept} passed in ${earlier}`;
    }
  }
}

/**
 * The quarantined tests that failed in the run: named on every node, apart
 * from Jest's count, with whether they failed the run.
 */
export function formatQuarantined(failures: ReadonlyArray<{ file: string; name: string; message: string; node: string; masked: boolean }>): string[] {
  const masked = failures.filter(f => f.masked).length;
  const head =
    masked === failures.length
      ? `${plural(failures.length, 'quarantined test')} failed and did not fail the run (FAST_CI_QUARANTINE=on; JUnit and --json keep ${failures.length === 1 ? 'its' : 'their'} failed status):`
      : `${plural(failures.length, 'quarantined test')} failed; FAST_CI_QUARANTINE=${masked === 0 ? 'report' : 'on'} still fails the run for ${plural(failures.length - masked, 'test')}:`;
  return [`jest-fast-ci ▸ ${head}`, ...failures.map(f => `  ● ${f.file} › ${f.name} (${f.node}): ${f.message}`)];
}
