/**
 * A loopback TCP load balancer in front of several servers, without sticky
 * sessions: each new connection goes to the next server in turn, and to
 * the one after when that one refuses (it is down). What a team running
 * several orchestrators behind a plain TCP balancer has.
 */
import * as net from 'node:net';

export interface RoundRobinProxy {
  readonly url: string;
  /** Connections each target took, by target port. */
  readonly accepted: ReadonlyMap<number, number>;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(targetPorts: readonly number[]): Promise<RoundRobinProxy> {
  const sockets = new Set<net.Socket>();
  const accepted = new Map<number, number>(targetPorts.map(port => [port, 0]));
  let next = 0;
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = net.createServer(client => {
    track(client);
    client.pause();
    client.on('error', () => client.destroy());
    const attempt = (tries: number): void => {
      if (tries === targetPorts.length) return void client.destroy();
      const port = targetPorts[next++ % targetPorts.length]!;
      const upstream = net.connect(port, '127.0.0.1');
      track(upstream);
      // Refused (down): the next one takes this client, as a balancer's health check would see to.
      upstream.once('error', () => {
        upstream.destroy();
        attempt(tries + 1);
      });
      upstream.once('connect', () => {
        accepted.set(port, (accepted.get(port) ?? 0) + 1);
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    accepted,
    close: () =>
      new Promise(resolve => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
