import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Services } from '../domain/context';
import { adminApp } from '../routes/health';
import type { ShutdownState } from './shutdown';

/**
 * With METRICS_PORT: a listener of its own for `/metrics` and the health probes, on HOST. It is
 * left open through a shutdown (the process's exit closes it), so probes see `/health/ready` 503
 * while the API's port no longer accepts. Resolves with its address once it listens.
 */
export function startAdminServer(services: Services, state: ShutdownState): Promise<string | undefined> {
  const { metricsPort: port, host } = services.config;
  if (port === undefined) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: adminApp(services, state).fetch, port, hostname: host }, (info: AddressInfo) => {
      const shown = ['0.0.0.0', '::', ''].includes(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
      resolve(`http://${shown}:${info.port}`);
    });
    // A port in use stops the start, saying so.
    server.once('error', (err) => reject(new Error(`METRICS_PORT ${port}: ${err.message}`)));
    // It must not keep a process that is otherwise done alive.
    server.unref();
  });
}
