import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';

/** One request the ISV's endpoint got, with what it answered (null: held, never answered). */
export interface HookRequest {
  id: string;
  headers: Record<string, string>;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, any> };
  status: number | null;
}

/**
 * The ISV's lifecycle webhook endpoint on 127.0.0.1: records every request, failed ones too, each
 * checked with the `standardwebhooks` package as a receiver would (a bad signature fails the
 * test at `verified()`). It answers 200 unless `answerNext` queued other statuses; with `hold`
 * on, it answers nothing (a receiver that has not acknowledged yet).
 */
export async function startHookSink(secret: string) {
  const requests: HookRequest[] = [];
  const queued: number[] = [];
  const open = new Set<http.ServerResponse>();
  let hold = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const request: HookRequest = { id: headers['webhook-id']!, headers, body, json: JSON.parse(body), status: null };
      requests.push(request);
      if (hold) {
        open.add(res);
        res.on('close', () => open.delete(res));
        return;
      }
      request.status = queued.shift() ?? 200;
      res.writeHead(request.status, { 'content-type': 'application/json' }).end(request.status < 300 ? '{"ok":true}' : '{"error":"induced"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const verifier = new Webhook(secret);
  return {
    url,
    requests,
    /** Answers the next requests with these statuses, in order (then 200 again). */
    answerNext(...statuses: number[]) {
      queued.push(...statuses);
    },
    /** Holds every request from now on, unanswered, until `release`. */
    holdAll() {
      hold = true;
    },
    release() {
      hold = false;
    },
    /** The requests of a type (every one, when not given), each verified as `standardwebhooks` does. */
    verified(type?: string): HookRequest[] {
      const matching = requests.filter((r) => type === undefined || r.json.type === type);
      for (const r of matching) expect(verifier.verify(r.body, r.headers)).toEqual(r.json);
      return matching;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type HookSink = Awaited<ReturnType<typeof startHookSink>>;
