/**
 * The server's JSON log (`logFormat: 'json'`, `serve --log-format json`):
 * one object per line for each thing an operator's log pipeline asks about
 * (a run opened, a node joined or gone, a file failed, a run finished, a
 * refusal, a store error). Read from the runs' events, as the dashboard is;
 * per-file traffic (leases, passing results) is left to /metrics. Nothing
 * in it comes from the socket's URL, so the secret key never is.
 */
import type { RunEvent } from '../run/runEvents';
import { summaryOf, type RunState } from '../run/runState';
import { nodeLabel } from '../../protocol/nodeLabel';

type Fields = Record<string, string | number | boolean | undefined>;

export class JsonLog {
  readonly #line: (line: string) => void;

  constructor(line: (line: string) => void) {
    this.#line = line;
  }

  /** One event of the server's own (a refusal, a store error, start and stop). */
  write(event: string, fields: Fields = {}): void {
    this.#line(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
  }

  /** The lines for events applied to a run (its state already holds them). */
  runEvents(state: Readonly<RunState>, events: readonly RunEvent[]): void {
    const { runKey, buildId } = state.identity;
    const run = { run_key: runKey, build_id: buildId };
    const node = (index: number): Fields => ({ node: nodeLabel(index, state.nodes[index]?.shard), node_index: index });
    for (const e of events) {
      switch (e.t) {
        case 'join':
          // The run's `open` is applied as its host is made, before anyone listens: its first join opens it here.
          if (e.index === 0) this.write('run.opened', { ...run, branch: state.meta.branch, commit: state.meta.commit });
          this.write('node.joined', { ...run, ...node(e.index), workers: e.workers });
          break;
        case 'enq':
          this.write('run.enqueued', { ...run, files: Object.keys(e.tests).length });
          break;
        case 'result':
          if (e.entry.file_status === 'failed') this.write('file.failed', { ...run, ...node(e.node), file: e.id });
          break;
        case 'retry':
          this.write('file.retried', { ...run, ...node(e.node), file: e.id });
          break;
        case 'crashed':
          this.write('file.crashed', { ...run, file: e.id, nodes: e.nodes.length });
          break;
        case 'leave':
          this.write('node.left', { ...run, ...node(e.node) });
          break;
        case 'lost':
          this.write('node.lost', { ...run, ...node(e.node), files_running: e.suspects?.length ?? 0 });
          break;
        case 'stop':
          this.write('run.stopped', { ...run, why: e.why });
          break;
        case 'attempt':
          this.write('run.attempt', { ...run, attempt: e.attempt, of: e.of, mode: e.mode });
          break;
        case 'finish': {
          const s = summaryOf(state);
          this.write('run.finished', { ...run, outcome: s.failed > 0 || s.stopped !== undefined ? 'failed' : 'passed', files: s.files, passed: s.passed, failed: s.failed, quarantined: s.quarantined?.length ?? 0, nodes: s.nodes, flaky: s.flaky?.length ?? 0 });
          break;
        }
        default:
          break;
      }
    }
  }
}
