/**
 * A node that is not a jest process: the official phoenix client joined to a
 * run, for tests that need a node 0 which vanishes or enqueues other files.
 */
import { Socket, type Channel } from 'phoenix';
import WebSocket from 'ws';

export interface BareNode {
  readonly channel: Channel;
  readonly nodeIndex: number;
  /** Pushes an event and resolves with the ok reply (rejects on an error reply). */
  push(event: string, payload: object): Promise<unknown>;
  disconnect(code?: number): Promise<void>;
}

export async function joinBareNode(serverUrl: string, key: string, buildId: string, payload: object = {}): Promise<BareNode> {
  const socket = new Socket(`${serverUrl}/test_orchestrators/socket`, {
    transport: WebSocket as unknown as new (endpoint: string) => object,
    params: { secret_key: key, build_id: buildId, run_key: 'jest' },
  });
  socket.connect();
  const channel = socket.channel(`test_orchestrator:jest-${buildId}`, { ...payload });
  const join = await new Promise<{ node_index: number }>((resolve, reject) => {
    channel.join().receive('ok', resolve).receive('error', reject);
  });
  return {
    channel,
    nodeIndex: join.node_index,
    push: (event, payload) => new Promise((resolve, reject) => channel.push(event, payload).receive('ok', resolve).receive('error', reject)),
    disconnect: code => new Promise<void>(resolve => socket.disconnect(() => resolve(), code)),
  };
}
