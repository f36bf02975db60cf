import { z } from 'zod';
import { NonRetriableError } from '../engine/errors';
import { assertPublicUrl } from '../engine/url-guard';
import { signedHeaders } from '../engine/webhook-signature';
import { defineAction, type Connector } from './types';

/**
 * Stream Data: POSTs JSON to the ISV's URL, signed with Standard Webhooks headers so the receiver
 * can verify it with any Standard Webhooks library. `webhook-id` is the delivery id, the same on
 * every retry, so the receiver can drop duplicates. A URL that is a path (`/demo/sink/acmeco`) is
 * this server's own: it is resolved against `PUBLIC_URL`, or where the server listens, so a
 * definition can name a receiver on the ISV's own server without knowing its host and port.
 */
export const streamData: Connector = {
  id: 'streamData',
  name: 'Stream Data',
  icon: '/icons/stream-data.svg',
  auth: [],
  actions: {
    post: defineAction({
      description: 'POST the mapped body as JSON to a URL',
      input: z.object({ url: z.string().min(1), body: z.unknown(), headers: z.record(z.string(), z.string()).optional() }),
      async run(input, ctx) {
        const url = await assertPublicUrl(resolveOwnUrl(input.url, ctx.settings.selfUrl), ctx.settings.allowPrivateUrls);
        const body = JSON.stringify(input.body ?? null);
        const res = await ctx.http.send({
          method: 'POST',
          url: url.toString(),
          headers: { ...input.headers, 'content-type': 'application/json', ...signedHeaders(ctx.settings.webhookSecret, ctx.deliveryId, body) },
          body,
        });
        return { status: res.status, body: res.body };
      },
    }),
  },
};

/** `/path` → `<selfUrl>/path`; any other URL as it is. */
function resolveOwnUrl(url: string, selfUrl: string | undefined): string {
  if (!url.startsWith('/')) return url;
  if (!selfUrl) throw new NonRetriableError(`Stream Data: "${url}" is a path on this server, but this process does not know the server's address: set PUBLIC_URL`);
  return `${selfUrl.replace(/\/$/, '')}${url}`;
}
