/**
 * What a node writes for the CI beyond its log (pure): GitHub's workflow
 * commands (annotations) and the job summary (GITHUB_STEP_SUMMARY,
 * Markdown). A run's jobs each have a summary, and GitHub shows them all on
 * the run's page, so the whole run is written once, by the node the run
 * started with (index 0); every other node writes its own line.
 */
import type { NodeRun } from '../nodeRun';
import { formatTiming, plural, quarantinedPart } from './format';
import { failingFiles } from '../protocol/quarantine';

/** One file of the run as the summary shows it. */
export interface SummaryFile {
  /** Relative to the working directory, posix. */
  readonly file: string;
  /** The node that ran it ("node 2"). */
  readonly node: string;
  readonly failed: boolean;
  /** Seconds, when Jest timed it. */
  readonly seconds: number | undefined;
  /** Each failing test's full name and its message's first line (a file that failed to run: its error). */
  readonly failures: ReadonlyArray<{ readonly test: string; readonly message: string }>;
  /** Its quarantined tests that failed without failing the run (FAST_CI_QUARANTINE=on), the same way. */
  readonly quarantined?: ReadonlyArray<{ readonly test: string; readonly message: string }>;
}

const esc = (value: string, extra: RegExp): string =>
  value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(extra, c => (c === ':' ? '%3A' : '%2C'));

/** A GitHub workflow command (`::error file=…,title=…::message`), escaped as @actions/core escapes it. */
export function annotation(type: 'error' | 'warning' | 'notice', { file, line, title, message }: { file?: string; line?: number; title: string; message: string }): string {
  const props = [file === undefined ? '' : `file=${esc(file, /[:,]/g)}`, line === undefined ? '' : `line=${line}`, `title=${esc(title, /[:,]/g)}`].filter(Boolean).join(',');
  return `::${type} ${props}::${esc(message, /$^/g)}`;
}

/** Markdown table cell text: one line, pipes escaped, bounded. */
function cell(text: string, max = 160): string {
  const line = text.replace(/\u001b\[[0-9;]*m/g, '').replace(/\s+/g, ' ').trim();
  return (line.length > max ? `${line.slice(0, max - 1)}…` : line).replace(/\|/g, '\\|');
}

/** The node's own line: what it ran and where its time went. */
function nodeLine(run: NodeRun, filesHere: number): string {
  const of = run.runFiles === undefined ? '' : ` of ${run.runFiles}`;
  const timing = run.timing === undefined ? '' : `; ${formatTiming(run.timing)}`;
  return `**${run.label ?? 'this node'}** ran ${filesHere}${of} files${timing}`;
}

/**
 * The job summary of this node. `whole`: this node writes the whole run
 * (it is the run's node 0, and its Jest saw the whole run); `files`: the
 * files its Jest saw (the whole run's when `whole`, else its own).
 */
export function jobSummary(run: NodeRun, files: readonly SummaryFile[], filesHere: number, whole: boolean): string {
  const link = run.runUrl === undefined ? '' : ` · [the run's page](${run.runUrl})`;
  if (!whole) {
    const failed = files.filter(f => f.failed);
    const lines = [`### jest-fast-ci · ${run.label ?? 'node'}`, '', `${nodeLine(run, filesHere)}. The whole run is in node 0's job summary${link}.`];
    // Without the whole run at node 0 (FAST_CI_REPORT=node), each node lists its own failures.
    if (failed.length > 0 && (run.wholeRun === undefined || run.wholeRun.unavailable !== undefined)) lines.push('', ...failureTable(failed));
    return `${lines.join('\n')}\n`;
  }
  const s = run.summary;
  const failedFiles = files.filter(f => f.failed);
  const outcome = s === undefined ? 'no summary from the orchestrator' : failingFiles(s, run.quarantine?.mode ?? 'on') > 0 || s.stopped !== undefined ? 'failed' : 'passed';
  const counts =
    s === undefined ? '' : `: ${plural(s.files, 'file')} on ${plural(s.nodes, 'node')}, ${s.failed} failed, ${s.passed} passed${quarantinedPart(s)}${s.pending > 0 ? `, ${s.pending} skipped` : ''} (${plural(s.tests, 'test')})`;
  const lines = [`## jest-fast-ci: the run ${outcome}${counts}`, '', `Build ${run.buildId ?? '?'}${link}`];
  if (failedFiles.length > 0) lines.push('', `### Failures (${failedFiles.length})`, '', ...failureTable(failedFiles));
  const quarantined = files.filter(f => f.quarantined !== undefined && f.quarantined.length > 0).map(f => ({ ...f, failures: f.quarantined! }));
  if (quarantined.length > 0) {
    const tests = quarantined.reduce((n, f) => n + f.failures.length, 0);
    lines.push('', `### Quarantined (${tests}): failed, and did not fail the run`, '', ...failureTable(quarantined));
  }
  const flaky = s?.flaky ?? [];
  if (flaky.length > 0) lines.push('', `### Flaky (${flaky.length}): failed, then passed when run again on another node`, '', ...flaky.map(id => `- \`${cell(id)}\``));
  if (s?.crashed !== undefined && s.crashed.length > 0) lines.push('', `### Crashed (${s.crashed.length}): took down every node that ran them`, '', ...s.crashed.map(id => `- \`${cell(id)}\``));
  const slowest = files.filter(f => f.seconds !== undefined).sort((a, b) => b.seconds! - a.seconds!).slice(0, 10);
  if (slowest.length > 0) {
    lines.push('', '### Slowest files', '', '| File | Seconds | Node |', '| --- | ---: | --- |', ...slowest.map(f => `| \`${cell(f.file)}\` | ${f.seconds!.toFixed(1)} | ${cell(f.node)} |`));
  }
  lines.push('', '### Nodes', '', `${nodeLine(run, filesHere)}. Each other node's job summary has its own line.`);
  return `${lines.join('\n')}\n`;
}

function failureTable(failed: readonly SummaryFile[]): string[] {
  const rows = failed.flatMap(f =>
    (f.failures.length === 0 ? [{ test: '(the file)', message: 'failed' }] : f.failures).map(x => `| \`${cell(f.file)}\` | ${cell(x.test)} | ${cell(x.message)} | ${cell(f.node)} |`),
  );
  const shown = rows.slice(0, 50);
  return ['| File | Test | Message | Node |', '| --- | --- | --- | --- |', ...shown, ...(rows.length > shown.length ? [`\n…and ${rows.length - shown.length} more on the run's page.`] : [])];
}
