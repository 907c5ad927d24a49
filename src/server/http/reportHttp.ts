/**
 * Whole-run reports over plain HTTP beside the socket (extension), so a run's
 * tens of megabytes of results and coverage stream in chunks instead of
 * travelling in WebSocket frames the server would parse:
 *
 *   POST /test_orchestrators/reports/<run_key>/<build_id>?node_id=…   records in
 *   GET  /test_orchestrators/reports/<run_key>/<build_id>?node_id=…&wait=S   records out
 *
 * The key comes as `Authorization: Bearer <key>`, never in the URL. A GET
 * streams, for every file of the finished run that another node's result
 * was recorded for, that node's record, then each such node's coverage
 * record (one a node, its coverage merged over its files). A record still on its way from a
 * node that is still there is waited for, up to `wait` seconds; a node that
 * left has sent all it will (our client uploads before `leave`), and a lost
 * one sends nothing: its files come as the orchestrator's entries (kind
 * `entry`) at once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import debug from 'debug';
import { checkReportHeader, COVERAGE_ID, LineSplitter, MAX_REPORT_HEADER_BYTES, type ReportHeader } from '../../protocol/reports';
import { buildIdProblem, runKeyProblem } from '../../protocol/topic';
import type { KeyRing } from '../host/KeyRing';
import type { ReportStorage } from '../store/types';
import type { RunHost } from '../host/RunHost';
import type { RunRegistry } from '../host/RunRegistry';
import { runId } from '../run/runIdentity';
import { isEnqueued, isUnit, reportedUnits, type RecordedResult } from '../run/runState';

const log = debug('jest-fast-ci:server:connection');

/** Path prefix of the report endpoints. */
export const REPORTS_PATH = '/test_orchestrators/reports/';
/** Longest a GET waits for records still on their way. */
const MAX_WAIT_S = 600;
/** How often a waiting GET checks whether the nodes it waits for are gone. */
const RECHECK_MS = 250;
/** A followed stream quiet this long gets a blank line (the client cuts one silent for 30 s). */
const HEARTBEAT_MS = 10_000;
/** Longest a GET follows a live run (a run is evicted long before). */
const MAX_FOLLOW_MS = 24 * 60 * 60_000;

export interface ReportHttpContext {
  readonly keys: KeyRing;
  readonly registry: RunRegistry;
  readonly store: ReportStorage;
  /** Bytes one body line may have before it is stored (a run's whole budget). */
  readonly maxLineBytes: number;
  /** Counts report bytes received and sent (/metrics). */
  readonly bytes?: (direction: 'in' | 'out', n: number) => void;
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify(body));
}

/** The run and the asking node a request names, or the HTTP answer that refuses it. */
async function locate(req: IncomingMessage, ctx: ReportHttpContext): Promise<{ host: RunHost; node: number | undefined; url: URL } | { status: number; error: string }> {
  const bearer = reportKeyOf(req);
  if (bearer === undefined) return { status: 401, error: 'send the secret key as "Authorization: Bearer <key>"' };
  const key = ctx.keys.match(bearer);
  if (key === undefined) return { status: 403, error: 'unknown secret key' };
  const url = new URL(req.url ?? '/', 'http://localhost');
  let parts: string[];
  try {
    parts = url.pathname.slice(REPORTS_PATH.length).split('/').map(part => decodeURIComponent(part));
  } catch {
    return { status: 400, error: 'the path is not valid percent-encoding' };
  }
  const [runKey, buildId, ...rest] = parts;
  if (runKey === undefined || buildId === undefined || rest.length > 0) return { status: 404, error: `use ${REPORTS_PATH}<run_key>/<build_id>` };
  const bad = runKeyProblem(runKey) ?? buildIdProblem(buildId);
  if (bad !== undefined) return { status: 400, error: bad };
  const host = await ctx.registry.find({ keyHash: key.hash, runKey, buildId });
  if (host === undefined) return { status: 404, error: `no run ${runKey}-${buildId} for this key` };
  const nodeId = url.searchParams.get('node_id');
  const node = nodeId === null ? undefined : host.nodeIndexOf(nodeId);
  return { host, node, url };
}

/** The key a report request sends (`Authorization: Bearer <key>`), undefined when it sends none. */
export function reportKeyOf(req: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
}

/** Handles a request under REPORTS_PATH. */
export function handleReports(req: IncomingMessage, res: ServerResponse, ctx: ReportHttpContext): void {
  // Nothing is read until the run is found; the body waits in the socket meanwhile.
  req.pause();
  locate(req, ctx)
    .then(target => {
      if ('status' in target) return answer(res, target.status, { error: target.error });
      if (req.method === 'POST') return receive(req, res, ctx, target.host, target.node);
      if (req.method === 'GET') return send(res, ctx, target.host, target.node, target.url);
      answer(res, 405, { error: "use POST to send records, GET to fetch the run's" });
    })
    .catch((error: unknown) => {
      log('report request failed: %s', (error as Error).message);
      if (res.headersSent) res.destroy();
      else answer(res, 500, { error: 'internal server error' });
    });
}

/**
 * Stores records as they stream in, parsing only their headers. Storing is
 * asynchronous (a shared store is over the network): the request is paused
 * while a record is stored, so records keep their order and memory stays
 * at one record.
 */
function receive(req: IncomingMessage, res: ServerResponse, ctx: ReportHttpContext, host: RunHost, node: number | undefined): void {
  if (node === undefined) return answer(res, 403, { error: 'node_id is not a node of this run' });
  const run = host.runId;
  const splitter = new LineSplitter();
  let header: ReportHeader | undefined;
  let stored = 0;
  let refused: { status: number; error: string } | undefined;
  /** Records stored in order, one at a time. */
  let storing: Promise<void> = Promise.resolve();
  const refuse = (status: number, error: string): void => {
    refused ??= { status, error };
    // Stop reading; answer once what was sent so far is drained.
    req.removeAllListeners('data');
    req.resume();
  };
  const finish = (): void => {
    if (refused) answer(res, refused.status, { error: refused.error, stored });
    else answer(res, 200, { stored });
  };
  req.on('data', (chunk: Buffer) => {
    ctx.bytes?.('in', chunk.length);
    const lines: Array<{ header: ReportHeader; body: Buffer }> = [];
    for (const line of splitter.push(chunk)) {
      if (header === undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line.toString('utf8'));
        } catch {
          return refuse(400, 'a record header is not JSON');
        }
        const problem = checkReportHeader(parsed);
        if (problem !== undefined) return refuse(400, problem);
        // Only what the run handed out is kept (and a node's coverage): a holder of the key cannot fill the server with made-up ids.
        if (isEnqueued(host.state) && (parsed as ReportHeader).kind !== 'coverage' && !isUnit(host.state, (parsed as ReportHeader).id)) return refuse(400, `${JSON.stringify((parsed as ReportHeader).id.slice(0, 200))} is not a test of this run`);
        // The node is the one asking, whatever the header says; its shard is the one it joined with.
        const { shard: _claimed, ...rest } = parsed as ReportHeader;
        const shard = host.state.nodes[node]?.shard;
        header = { ...rest, node, ...(shard === undefined ? {} : { shard }) };
      } else {
        lines.push({ header, body: Buffer.from(line) });
        header = undefined;
      }
    }
    const limit = header === undefined ? MAX_REPORT_HEADER_BYTES : ctx.maxLineBytes;
    if (splitter.pending > limit) return refuse(413, `a record line passes ${limit} bytes`);
    if (lines.length === 0) return;
    req.pause();
    storing = storing.then(async () => {
      for (const record of lines) {
        if (refused) return;
        const reason = await ctx.store.add(run, record.header, record.body);
        if (reason !== undefined) return refuse(413, reason);
        stored += 1;
      }
      if (!refused) req.resume();
    });
  });
  req.on('end', () => {
    void storing.then(finish, error => {
      log('storing a report failed: %s', (error as Error).message);
      answer(res, 500, { error: 'internal server error', stored });
    });
  });
  req.on('error', () => res.destroy());
  req.resume();
}

/**
 * Streams the run's records the asking node does not have, waiting a while
 * for those still on their way. With `follow=1`, asked while the run is
 * live: each other node's result goes out as soon as it is recorded (a
 * recorded result is final: a retried attempt is never recorded), with a
 * blank line now and then so a quiet stretch is not taken for a dead one;
 * then, once the run is over, the rest.
 */
async function send(res: ServerResponse, ctx: ReportHttpContext, host: RunHost, node: number | undefined, url: URL): Promise<void> {
  const follow = url.searchParams.get('follow') === '1';
  if (!host.isFinished && !follow) return answer(res, 409, { error: 'the run has not finished: fetch its reports after the last deq, or follow them (follow=1)' });
  const id = host.runId;
  const wait = Math.min(MAX_WAIT_S, Math.max(0, Number(url.searchParams.get('wait') ?? 0) || 0));
  const runOf = (from: string | undefined): string => (from === undefined ? id : runId({ ...host.identity, buildId: from }));
  const othersResults = (): Array<[string, RecordedResult]> => reportedUnits(host.state).filter(([, result]) => result.from !== undefined || result.nodeIndex !== node);
  res.writeHead(200, { 'content-type': 'application/x-ndjson', connection: 'close' });
  let closed = false;
  res.on('close', () => (closed = true));
  let lastWrite = Date.now();
  const write = async (text: string | Buffer): Promise<void> => {
    lastWrite = Date.now();
    ctx.bytes?.('out', typeof text === 'string' ? Buffer.byteLength(text) : text.length);
    if (!res.write(text)) await new Promise(resolve => res.once('drain', resolve));
  };
  /** Streams the stored record, if there is one yet. */
  const sent = async (run: string, file: string, nodeIndex: number): Promise<boolean> => {
    const record = await ctx.store.get(run, file, nodeIndex);
    if (record === undefined) return false;
    await write(`${JSON.stringify(record.header)}\n`);
    await write(record.body);
    await write('\n');
    return true;
  };
  /** Waits for a recheck, or (`onAdded`) sooner, for a record to be stored; a blank line keeps a quiet stream alive. */
  const pause = async (untilMs: number, onAdded: boolean): Promise<void> => {
    if (Date.now() - lastWrite >= HEARTBEAT_MS) await write('\n');
    await new Promise<void>(resolve => {
      const timer = setTimeout(done, Math.max(0, Math.min(RECHECK_MS, untilMs - Date.now())));
      const off = onAdded ? ctx.store.onAdded(id, done) : () => undefined;
      function done(): void {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  };
  const streamed = new Set<string>();
  const followUntil = Date.now() + MAX_FOLLOW_MS;
  while (follow && !host.isFinished && !closed && Date.now() < followUntil) {
    for (const [file, result] of othersResults()) {
      if (streamed.has(file)) continue;
      if (await sent(runOf(result.from), file, result.nodeIndex)) streamed.add(file);
      if (closed) return;
    }
    // Polled while the run goes: a scan per stored record would cost the run's size for each record.
    await pause(followUntil, false);
  }
  if (!host.isFinished) return void res.end();
  const deadline = Date.now() + wait * 1000;
  // Results a retry run took over from another build's run are in that run's reports (or, evicted, only its entries).
  const pending = new Map(othersResults().filter(([file]) => !streamed.has(file)));
  // Then the coverage of each node those results came from: one record a node, sent as it leaves.
  const sources = othersResults().map(([, result]) => result);
  const coverage = new Map(sources.map(result => [`${result.from ?? ''}\u0000${result.nodeIndex}`, { from: result.from, nodeIndex: result.nodeIndex }]));
  for (;;) {
    for (const [file, result] of pending) {
      if (!(await sent(runOf(result.from), file, result.nodeIndex))) continue;
      pending.delete(file);
      if (closed) return;
    }
    // A node's coverage is asked for once all its results came: it is sent after them.
    for (const [key, source] of coverage) {
      if ([...pending.values()].some(result => result.from === source.from && result.nodeIndex === source.nodeIndex)) continue;
      if (!(await sent(runOf(source.from), COVERAGE_ID, source.nodeIndex))) continue;
      coverage.delete(key);
      if (closed) return;
    }
    // A node with no coverage to send (coverage off) has sent all it will once it left.
    const waitingFor = [...pending.values(), ...coverage.values()].some(result => result.from === undefined && host.isNodeActive(result.nodeIndex));
    if (!waitingFor || Date.now() >= deadline || closed) break;
    await pause(deadline, true);
  }
  if (coverage.size > 0 || pending.size > 0) {
    log('%s: node %s gets %d entries; no coverage came from nodes %j', host.label, node, pending.size, [...coverage.values()].map(source => source.nodeIndex));
  }
  // Never reported (the node died, or it has no report to give): the orchestrator's own record of it.
  for (const [file, result] of pending) {
    const shard = result.from === undefined ? host.state.nodes[result.nodeIndex]?.shard : undefined;
    await write(`${JSON.stringify({ id: file, node: result.nodeIndex, ...(shard === undefined ? {} : { shard }), root: '', kind: 'entry' })}\n${JSON.stringify(result.entry)}\n`);
  }
  res.end();
}
