import { z } from 'zod';
import { NonRetriableError } from '../engine/errors';
import { safeUrl } from '../engine/http';
import { parseOutboundUrl } from '../engine/url-guard';
import { signedHeaders } from '../engine/webhook-signature';
import { defineAction, type Connector } from './types';

/**
 * Stream Data: POSTs JSON to the ISV's URL, signed with Standard Webhooks headers so the receiver
 * can verify it with any Standard Webhooks library. `webhook-id` is the delivery id, the same on
 * every retry, so the receiver can drop duplicates. The signing secret is the ISV's for a URL the
 * definition fixes, and the destination's own for one a user's setting chooses (`destination`). A URL that is a path (`/demo/sink/acmeco`) is
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
      destination: 'url',
      async run(input, ctx) {
        const url = parseOutboundUrl(resolveOwnUrl(input.url, ctx.settings.selfUrl));
        const body = JSON.stringify(input.body ?? null);
        const res = await ctx.http.send({
          method: 'POST',
          url: url.toString(),
          headers: { ...input.headers, 'content-type': 'application/json', ...signedHeaders(ctx.signingSecrets, ctx.deliveryId, body) },
          body,
          // The URL comes from a definition or a user's settings: its address is checked where the
          // connection is made (names resolved once, no rebinding), unless private URLs are allowed.
          allowPrivate: ctx.settings.allowPrivateUrls,
          // The receiver's 2xx is the acknowledgement; an unreadable body does not undo the delivery.
          lenientJson: true,
        });
        // Redirects are not followed (a public URL must not bounce the delivery to a private one),
        // and a redirect is not a delivery: it fails, saying where it pointed.
        if (res.status >= 300) {
          const location = res.headers.location;
          const to = typeof location === 'string' && URL.canParse(location, url) ? ` to ${safeUrl(new URL(location, url).toString())}` : '';
          throw new NonRetriableError(`POST ${safeUrl(url.toString())}: HTTP ${res.status} redirect${to} not followed; use the final URL`);
        }
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
