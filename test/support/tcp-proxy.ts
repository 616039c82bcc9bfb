import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP load balancer on 127.0.0.1 in front of several replicas: each connection goes to the next replica
 * in turn, and to the one after it when that replica does not accept (killed). What a dataspace operator puts in
 * front of connector replicas that share one database and one public URL.
 */
export async function startTcpBalancer(ports: () => number[]): Promise<{ port: number; close(): Promise<void> }> {
  let turn = 0;
  const sockets = new Set<Socket>();
  const forward = (client: Socket, candidates: number[]) => {
    const [port, ...rest] = candidates;
    if (port === undefined) return void client.destroy();
    const upstream = connect(port, '127.0.0.1');
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream).pipe(client);
      client.resume();
      upstream.once('close', () => client.destroy());
    });
    // Refused: that replica is down, try the next. A failure once connected ends the client's connection too.
    upstream.on('error', () => {
      upstream.destroy();
      if (connected) client.destroy();
      else forward(client, rest);
    });
    client.once('close', () => upstream.destroy());
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const all = ports();
    turn = (turn + 1) % all.length;
    forward(client, [...all.slice(turn), ...all.slice(0, turn)]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
