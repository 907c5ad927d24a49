/**
 * What an operator's Prometheus reads at `/metrics`: one prom-client
 * registry per server (never the global one: two servers in a process, as
 * in the tests, keep their own counts). The layers report into it; the
 * gauges read the runs held here when scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the gauges read at each scrape: the runs held on this server. */
export interface HeldCounts {
  readonly runs: number;
  readonly nodes: number;
  readonly queued: number;
  readonly leased: number;
}

/** Seconds: from a held-free `deq` or a commit of a few records on loopback (ms) to a store in trouble (s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class ServerMetrics {
  readonly registry = new Registry();
  #held: () => HeldCounts = () => ({ runs: 0, nodes: 0, queued: 0, leased: 0 });
  readonly #deq: Histogram<'outcome'>;
  readonly #store: Histogram<'op' | 'store'>;
  readonly #events: Counter<'type'>;
  readonly #requests: Counter<'event'>;
  readonly #refused: Counter<'where'>;
  readonly #reportBytes: Counter<'direction'>;
  readonly #storeErrors: Counter<'store'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'fastci_process_' });
    const gauge = (name: string, help: string, read: (counts: HeldCounts) => number): void => {
      const held = (): HeldCounts => this.#held();
      new Gauge({ name, help, registers, collect(this: Gauge) { this.set(read(held())); } });
    };
    gauge('fastci_runs_active', 'Runs held on this server that have not finished.', c => c.runs);
    gauge('fastci_nodes_connected', 'Nodes with a channel on this server, in unfinished runs.', c => c.nodes);
    gauge('fastci_files_queued', 'Files waiting in the queues of unfinished runs held here.', c => c.queued);
    gauge('fastci_files_leased', 'Files handed to a node and waiting for its result, in runs held here.', c => c.leased);
    this.#deq = new Histogram({
      name: 'fastci_deq_seconds',
      help: 'From a deq frame read to its answer sent (a held deq is "held": it waits for work or the end by design).',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#store = new Histogram({ name: 'fastci_store_seconds', help: "A run's lock and commit in its store (Redis: one script each).", labelNames: ['op', 'store'], buckets: LATENCY_BUCKETS, registers });
    this.#events = new Counter({ name: 'fastci_run_events_total', help: 'Run events applied here, by type (result: a file recorded; lease: a file handed out).', labelNames: ['type'], registers });
    this.#requests = new Counter({ name: 'fastci_requests_total', help: 'Channel requests read, by event.', labelNames: ['event'], registers });
    this.#refused = new Counter({ name: 'fastci_refused_total', help: 'Requests refused: sockets at the upgrade, joins and frames on a channel.', labelNames: ['where'], registers });
    this.#reportBytes = new Counter({ name: 'fastci_report_bytes_total', help: 'Whole-run report bytes received from nodes (in) and streamed to them (out).', labelNames: ['direction'], registers });
    this.#storeErrors = new Counter({ name: 'fastci_store_errors_total', help: 'Batches whose store failed (Redis unreachable, a full disk): each request was answered with an error.', labelNames: ['store'], registers });
  }

  /** Where the gauges read the runs held here. */
  set held(read: () => HeldCounts) {
    this.#held = read;
  }

  deq(seconds: number, held: boolean): void {
    this.#deq.observe({ outcome: held ? 'held' : 'answered' }, seconds);
  }

  store(op: 'lock' | 'commit', store: 'local' | 'redis', seconds: number): void {
    this.#store.observe({ op, store }, seconds);
  }

  storeError(store: 'local' | 'redis'): void {
    this.#storeErrors.inc({ store });
  }

  events(types: Iterable<string>): void {
    for (const type of types) this.#events.inc({ type });
  }

  request(event: string): void {
    this.#requests.inc({ event });
  }

  refused(where: 'upgrade' | 'join' | 'request'): void {
    this.#refused.inc({ where });
  }

  reportBytes(direction: 'in' | 'out', bytes: number): void {
    if (bytes > 0) this.#reportBytes.inc({ direction }, bytes);
  }

  /** The text format Prometheus scrapes, and its content type. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
