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
