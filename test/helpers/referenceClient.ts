/**
 * A node that behaves frame for frame like the reference FastCI clients (the
 * early Ruby client, the Elixir client of ../shared/seeds), written from
 * their description and not from this project's code: a plain `ws` socket,
 * V1 JSON objects, integer refs from one counter, no vsn and no join_ref.
 *
 *   heartbeat, phx_join {} ─► node 0: enq (no wait for a reply)
 *   ─► deq {} if the join said "running", else on a deq_request push
 *   ─► run the batch ─► deq <results of the whole batch> ─► … ─► [] ─► leave, close
 *
 * Like the Ruby client it dispatches on `response.event`, falling back to
 * the frame's event, and sends a `deq` for every `deq_request`. Unlike it,
 * it also fails on a `status: "error"` reply, so a test sees what the
 * server refused instead of a node that waits.
 */
import WebSocket from 'ws';

/** A file's entry as the reference clients send it (the numbered keys hold cases or groups of cases). */
export type ReferenceEntry = Record<string, unknown>;
export type ReferenceResults = Record<string, ReferenceEntry>;

export interface ReferenceNodeOptions {
  /** ws://host:port of the orchestrator. */
  readonly server: string;
  readonly secretKey: string;
  readonly buildId: string;
  /** The framework: `ex_unit`, `rspec`, `minitest` (or `jest`, to share a run with jest nodes). */
  readonly runKey: string;
  readonly commit?: string;
  readonly branch?: string;
  /** The suite's test ids, which node 0 enqueues; a function may take its time, as loading a suite does. */
  readonly tests: readonly string[] | (() => Promise<readonly string[]>);
  /** Runs one batch and returns its results; default: every file passes (see passedResult). */
  readonly run?: (ids: readonly string[]) => Promise<ReferenceResults> | ReferenceResults;
  /** Default 30 s, as phoenix. One heartbeat also goes out before the join. */
  readonly heartbeatMs?: number;
  /** Fail instead of waiting past this (the bug this client was written for: a node 0 that is never told to start). Default 20 s. */
  readonly deadlineMs?: number;
}

export interface ReferenceNodeOutcome {
  readonly nodeIndex: number;
  readonly joinState: string;
  /** The batches this node was handed, in order. */
  readonly batches: readonly string[][];
  /** How many deq_request pushes it got. */
  readonly deqRequests: number;
  /** What the last deq reply carried besides `tests` (our server's summary; the reference clients ignore it). */
  readonly finalReply: Record<string, unknown>;
  /** Every frame, as sent and received. */
  readonly sent: readonly Record<string, unknown>[];
  readonly received: readonly Record<string, unknown>[];
}

export interface ReferenceNode {
  /** Resolves with the join reply's node index and state. */
  readonly joined: Promise<{ nodeIndex: number; state: string }>;
  /** Resolves once the node left and its socket closed; rejects on an error reply, a wrong ref, a close before the end, or the deadline. */
  readonly done: Promise<ReferenceNodeOutcome>;
}

/** ExUnit style (the seed README): one case under "1". */
export function passedResult(seconds = 0.004): ReferenceEntry {
  return {
    file_status: 'passed',
    test_count: 1,
    test_counters: { failed: 0, passed: 1, pending: 0 },
    '1': { status: 'passed', run_time: seconds },
  };
}

/** Minitest style (NOTES section 1): "1" is the test class, its cases "1".."N" under it, run_time in seconds. */
export function groupedResult(description: string, cases: ReadonlyArray<{ name: string; status: 'passed' | 'failed' | 'pending'; seconds: number }>): ReferenceEntry {
  const counters = { failed: 0, passed: 0, pending: 0 };
  const group: Record<string, unknown> = { description };
  cases.forEach((c, i) => {
    counters[c.status] += 1;
    group[String(i + 1)] = { status: c.status, description: c.name, run_time: c.seconds };
  });
  return {
    file_status: counters.failed > 0 ? 'failed' : counters.passed > 0 ? 'passed' : 'pending',
    test_count: cases.length,
    test_counters: counters,
    run_time: cases.reduce((sum, c) => sum + c.seconds, 0),
    '1': group,
  };
}

/** The entry node 0 enqueues for every test: the dummy case "1" the reference server requires. */
function pendingEntry(): ReferenceEntry {
  return { file_status: 'pending', test_count: 1, test_counters: { failed: 0, passed: 0, pending: 0 }, '1': { status: 'pending', run_time: 0.0 } };
}

export function startReferenceNode(options: ReferenceNodeOptions): ReferenceNode {
  const topic = `test_orchestrator:${options.runKey}-${options.buildId}`;
  // The early Ruby client's query: these five, in this order; no vsn, no commit_msg, no author.
  const query = new URLSearchParams({
    build_id: options.buildId,
    run_key: options.runKey,
    secret_key: options.secretKey,
    commit: options.commit ?? '0891fba',
    branch: options.branch ?? 'main',
  });
  const ws = new WebSocket(`${options.server}/test_orchestrators/socket/websocket?${query}`);
  const run = options.run ?? ((ids: readonly string[]) => Object.fromEntries(ids.map(id => [id, passedResult()])));

  let ref = 0;
  const awaiting = new Set<number>();
  const sent: Record<string, unknown>[] = [];
  const received: Record<string, unknown>[] = [];
  const batches: string[][] = [];
  let deqRequests = 0;
  let nodeIndex = -1;
  let joinState = '';
  let finalReply: Record<string, unknown> = {};
  let leaving = false;
  let finished = false;

  let onJoined!: (join: { nodeIndex: number; state: string }) => void;
  const joined = new Promise<{ nodeIndex: number; state: string }>(resolve => (onJoined = resolve));
  let settle!: (error?: Error) => void;
  const done = new Promise<ReferenceNodeOutcome>((resolve, reject) => {
    settle = error => {
      if (finished) return;
      finished = true;
      clearInterval(heartbeat);
      clearTimeout(deadline);
      if (error) {
        ws.terminate();
        reject(error);
      } else resolve({ nodeIndex, joinState, batches, deqRequests, finalReply, sent, received });
    };
  });
  joined.catch(() => undefined);

  const send = (event: string, payload: unknown, onTopic = topic): void => {
    const frame = { topic: onTopic, event, payload, ref: ref++ };
    awaiting.add(frame.ref);
    sent.push(frame);
    ws.send(JSON.stringify(frame));
  };
  const fail = (message: string): void => settle(new Error(`reference node ${nodeIndex}: ${message}`));

  const heartbeat = setInterval(() => send('heartbeat', {}, 'phoenix'), options.heartbeatMs ?? 30_000);
  heartbeat.unref();
  const deadline = setTimeout(
    () => fail(`still not done after ${options.deadlineMs ?? 20_000} ms (joined as ${joinState || 'nothing'}, ${batches.length} batches, ${deqRequests} deq_requests)`),
    options.deadlineMs ?? 20_000,
  );
  deadline.unref();

  const runBatch = async (ids: string[]): Promise<void> => {
    batches.push(ids);
    const results = await run(ids);
    if (!finished) send('deq', results);
  };

  const onFrame = (frame: Record<string, unknown>): void => {
    received.push(frame);
    const payload = frame.payload as { status?: string; response?: Record<string, unknown> } | undefined;
    if (frame.event === 'phx_reply') {
      // The client matches replies to its integer refs: a ref echoed as a string would match nothing.
      if (typeof frame.ref !== 'number' || !awaiting.delete(frame.ref)) return fail(`a reply with a ref it never sent: ${JSON.stringify(frame.ref)}`);
      if (payload?.status === 'error') return fail(`the server refused ref ${frame.ref}: ${JSON.stringify(payload.response)}`);
    }
    const response = payload?.response;
    switch ((response?.event as string | undefined) ?? frame.event) {
      case 'join': {
        nodeIndex = response!.node_index as number;
        joinState = response!.state as string;
        onJoined({ nodeIndex, state: joinState });
        const startAsked = (): void => {
          if (joinState === 'running') send('deq', {});
        };
        if (nodeIndex !== 0) return startAsked();
        // Node 0 lists its suite and enqueues it; it expects no reply.
        void listTests(options.tests).then(ids => {
          if (finished) return;
          send('enq', { tests: Object.fromEntries(ids.map(id => [id, pendingEntry()])) });
          startAsked();
        });
        return;
      }
      case 'deq_request':
        deqRequests += 1;
        return send('deq', {});
      case 'deq': {
        const tests = response!.tests as string[];
        if (tests.length > 0) return void runBatch(tests).catch(error => fail(`running a batch failed: ${(error as Error).message}`));
        finalReply = Object.fromEntries(Object.entries(response!).filter(([name]) => name !== 'event' && name !== 'tests'));
        // Leave without waiting for a reply (the reference server sends none), and close.
        leaving = true;
        send('leave', {});
        ws.close(1000);
        return;
      }
      case 'error':
      case 'phx_error':
        return fail(`error from the server: ${JSON.stringify(frame)}`);
      default:
        // The Ruby client prints whatever else comes (an ok reply to enq, a push it does not know).
        return;
    }
  };

  ws.on('open', () => {
    send('heartbeat', {}, 'phoenix');
    send('phx_join', {});
  });
  ws.on('message', data => {
    try {
      onFrame(JSON.parse(data.toString()) as Record<string, unknown>);
    } catch (error) {
      fail(`could not handle a frame: ${(error as Error).message}`);
    }
  });
  ws.on('unexpected-response', (_req, res) => fail(`the upgrade was refused with HTTP ${res.statusCode}`));
  ws.on('error', error => fail(`socket error: ${error.message}`));
  ws.on('close', (code, reason) => (leaving ? settle() : fail(`the socket closed before the run ended (${code} ${reason.toString()})`)));
  return { joined, done };
}

async function listTests(tests: ReferenceNodeOptions['tests']): Promise<readonly string[]> {
  return typeof tests === 'function' ? tests() : tests;
}
