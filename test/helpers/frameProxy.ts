/**
 * A WebSocket proxy that sees every frame, for client tests: the client
 * connects to it as to the server (same path and query), and each frame,
 * either way, passes through `onFrame`, which forwards it, drops it,
 * replaces it or cuts the connection right there. An HTTP refusal of the
 * upgrade (403, 429...) is passed back as it came. Real sockets on both
 * sides; nothing in the client or the server is faked.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';

/** 'up': client to server; 'down': server to client. */
export type Direction = 'up' | 'down';

export interface ProxiedFrame {
  readonly direction: Direction;
  readonly raw: string;
  /** The frame as JSON (V1 objects or V2 arrays), or undefined when it does not parse. */
  readonly message: any;
  /** Connections accepted before this one (0 for the first). */
  readonly connection: number;
}

export type Verdict = 'forward' | 'drop' | 'cut' | { replace: string };

export interface FrameProxy {
  /** FAST_CI_SERVER for the client. */
  readonly url: string;
  /** Every frame seen, in order, with what was done to it. */
  readonly frames: Array<ProxiedFrame & { verdict: Verdict }>;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Replaces the frame hook. */
  onFrame(hook: (frame: ProxiedFrame) => Verdict): void;
  /** Cuts every live connection; new ones are refused (connection reset) for `outageMs`. */
  cut(outageMs?: number): void;
  /** With `reports: 'forward'`: bytes of report requests (bodies up, bodies down) per node_id, as counted on the wire. */
  readonly reportBytes: Map<string, { up: number; down: number }>;
  close(): Promise<void>;
}

export interface FrameProxyOptions {
  /** Plain HTTP requests (the whole-run report endpoints): answered 404, as a server without them would (default), or forwarded and counted. */
  readonly reports?: '404' | 'forward';
}

export async function startFrameProxy(target: string, options: FrameProxyOptions = {}): Promise<FrameProxy> {
  let hook: (frame: ProxiedFrame) => Verdict = () => 'forward';
  const frames: Array<ProxiedFrame & { verdict: Verdict }> = [];
  const pairs = new Set<[WebSocket, WebSocket]>();
  let accepted = 0;
  let refuseUntil = 0;
  const wss = new WebSocketServer({ noServer: true });
  const reportBytes = new Map<string, { up: number; down: number }>();
  const http: Server = createServer((req, res) => {
    if (options.reports !== 'forward') return res.writeHead(404).end();
    const node = new URL(req.url ?? '/', 'http://x').searchParams.get('node_id') ?? '';
    const count = reportBytes.get(node) ?? { up: 0, down: 0 };
    reportBytes.set(node, count);
    const upstream = httpRequest(`${target.replace(/^ws/, 'http')}${req.url ?? ''}`, { method: req.method, headers: req.headers, agent: false }, response => {
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.on('data', (chunk: Buffer) => (count.down += chunk.length));
      response.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => (count.up += chunk.length));
    req.pipe(upstream);
  });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (Date.now() < refuseUntil) return socket.destroy();
    const upstream = new WebSocket(`${target}${req.url ?? ''}`);
    upstream.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', chunk => (body += chunk));
      response.on('end', () => {
        socket.end(`HTTP/1.1 ${response.statusCode} ${response.statusMessage}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
    });
    upstream.once('error', () => socket.destroy());
    upstream.once('open', () => {
      wss.handleUpgrade(req, socket, head, client => {
        const connection = accepted++;
        const pair: [WebSocket, WebSocket] = [client, upstream];
        pairs.add(pair);
        const cutPair = (): void => {
          pairs.delete(pair);
          client.terminate();
          upstream.terminate();
        };
        const relay = (from: WebSocket, to: WebSocket, direction: Direction): void => {
          from.on('message', data => {
            const raw = data.toString();
            let message: unknown;
            try {
              message = JSON.parse(raw);
            } catch {
              message = undefined;
            }
            const frame = { direction, raw, message, connection };
            const verdict = hook(frame);
            frames.push({ ...frame, verdict });
            if (verdict === 'cut') return cutPair();
            if (verdict === 'drop') return;
            if (to.readyState === WebSocket.OPEN) to.send(verdict === 'forward' ? raw : verdict.replace);
          });
          from.on('close', (code, reason) => {
            pairs.delete(pair);
            // Pass a close code on; codes a peer may not send (1005, 1006) become a plain cut.
            if (code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 && to.readyState === WebSocket.OPEN) to.close(code, reason);
            else to.terminate();
          });
          from.on('error', () => to.terminate());
        };
        relay(client, upstream, 'up');
        relay(upstream, client, 'down');
      });
    });
  });

  await new Promise<void>(resolve => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const cut = (outageMs = 0): void => {
    refuseUntil = Date.now() + outageMs;
    for (const [client, upstream] of pairs) {
      client.terminate();
      upstream.terminate();
    }
    pairs.clear();
  };
  return {
    url: `ws://127.0.0.1:${port}`,
    frames,
    get accepted() {
      return accepted;
    },
    onFrame(next) {
      hook = next;
    },
    cut,
    reportBytes,
    async close() {
      cut();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>(resolve => http.close(() => resolve()));
    },
  };
}

/** The orchestrator event of a V1 frame (the reply's `response.event` for a phx_reply). */
export function eventOf(frame: ProxiedFrame): string | undefined {
  const m = frame.message;
  if (m === undefined || Array.isArray(m)) return undefined;
  return m.event === 'phx_reply' ? m.payload?.response?.event : m.event;
}

/**
 * A frame hook that makes the server look like one without this project's
 * extensions (the hosted service, an older server): the join reply lists none.
 */
export function withoutExtensions(frame: ProxiedFrame): Verdict {
  if (frame.direction !== 'down' || eventOf(frame) !== 'join') return 'forward';
  const { extensions: _dropped, ...response } = frame.message.payload.response;
  return { replace: JSON.stringify({ ...frame.message, payload: { ...frame.message.payload, response } }) };
}
