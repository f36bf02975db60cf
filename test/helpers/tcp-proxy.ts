import net from 'node:net';

export interface TcpProxy {
  /** The port the proxy listens on (the same after a stop and start). */
  readonly port: number;
  /** Connections open through the proxy now. */
  readonly open: number;
  /** `url` with its host and port replaced by the proxy's. */
  through(url: string): string;
  /**
   * Like a stopped server: every open connection is cut (`reset`: with a TCP RST, else a FIN)
   * and new ones are refused (nothing listens on the port).
   */
  stop(options?: { reset?: boolean }): Promise<void>;
  /**
   * Like a network partition: open connections are cut, new ones are accepted but never answered
   * (the client waits until its own timeout).
   */
  blackhole(): Promise<void>;
  /** Forwards again, on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of `target` (PostgreSQL, say) on 127.0.0.1 that a test can stop and
 * start, to play an outage of the server behind it without touching that server.
 */
export async function startTcpProxy(target: { host: string; port: number }, options: { port?: number } = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const held = new Set<net.Socket>();
  let mode: 'forward' | 'blackhole' = 'forward';
  let server: net.Server | undefined;

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A cut connection errors on both sides; that is the point, not a test failure.
    socket.on('error', () => undefined);
  };

  const onConnection = (client: net.Socket) => {
    track(client);
    if (mode === 'blackhole') {
      held.add(client); // accepted, never answered
      client.once('close', () => held.delete(client));
      return;
    }
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const cut = (other: net.Socket) => () => other.destroy();
    client.once('close', cut(upstream));
    upstream.once('close', cut(client));
  };

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        server = s;
        resolve((s.address() as net.AddressInfo).port);
      });
    });

  const unlisten = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  const cutAll = (reset: boolean) => {
    for (const socket of sockets) {
      if (reset && typeof socket.resetAndDestroy === 'function' && !socket.destroyed && socket.readyState !== 'opening') socket.resetAndDestroy();
      else socket.destroy();
    }
  };

  const port = await listen(options.port ?? 0);

  return {
    port,
    get open() {
      return sockets.size;
    },
    through(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async stop({ reset = false } = {}) {
      mode = 'forward';
      const closed = unlisten();
      cutAll(reset);
      await closed;
    },
    async blackhole() {
      mode = 'blackhole';
      cutAll(false);
      if (!server) await listen(port);
    },
    async start() {
      mode = 'forward';
      for (const socket of held) socket.destroy();
      if (!server) await listen(port);
    },
    async close() {
      const closed = unlisten();
      cutAll(false);
      await closed;
    },
  };
}

export interface HalfOpenRelay {
  readonly port: number;
  /** One per connection made through the relay: resolves when the client has closed its socket for good. */
  readonly clientClosed: Promise<void>[];
  close(): void;
}

/**
 * A relay to `target` that passes everything on both ways but never ends the client's side: a
 * server that does not close its connections. A FIN from the client may be a half-close only, so
 * once it comes the relay keeps writing to the client: a socket closed for good answers with a
 * reset, which ends the relay's side (`clientClosed`); a half-closed one takes the bytes.
 */
export async function startHalfOpenRelay(target: { host: string; port: number }): Promise<HalfOpenRelay> {
  const clientClosed: Promise<void>[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ ...target, allowHalfOpen: true });
    client.pipe(upstream, { end: false });
    upstream.pipe(client, { end: false });
    for (const socket of [client, upstream]) socket.on('error', () => undefined);
    client.once('end', () => {
      const probe = setInterval(() => client.write('\0'), 50);
      client.once('close', () => clearInterval(probe));
    });
    clientClosed.push(new Promise((resolve) => client.once('close', () => resolve())));
    sockets.push(client, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    clientClosed,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
