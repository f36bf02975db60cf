import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import { param, publicBaseUrl, type Api, type AppEnv } from '../api';
import type { Services } from '../domain/context';
import { requireIntegration } from '../domain/installing';
import { requireUser } from '../domain/users';
import * as S from '../schemas';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The page: the widget's loader (`/widget/alloy.js`) and a few lines that open its modal. */
const page = fs.readFileSync(path.join(here, '..', 'public', 'install.html'), 'utf8');

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
/** The page's own inline `<script>` and `<style>`, allowed by their hashes: no 'unsafe-inline'. */
const inline = (tag: 'script' | 'style') => [...page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => sha256(m[1]!)).join(' ');

/**
 * The page runs only its own script and the widget's (this server's `/widget/*`), talks only to
 * this server, and cannot be framed. The widget's modal needs no more: its styles are a
 * constructable stylesheet (or a `<link>` to `/widget/alloy.css`), its theme is set through CSSOM.
 * No form-action: it holds across redirects, and the form the widget posts into the OAuth popup
 * (`/oauth/begin`) goes on to the provider, wherever that is.
 */
const csp = [
  "default-src 'self'",
  `script-src 'self' ${inline('script')}`,
  `style-src 'self' ${inline('style')}`,
  "img-src 'self' https: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A hosted install page, for ISVs that link their users to it instead of embedding the widget. */
export function installPageRoutes(api: Api, app: Hono<AppEnv>, services: Services) {
  api.get(
    '/users/:userId/integrations/:integrationId/install-url',
    {
      summary: 'A link to a hosted page where the user installs an integration',
      description: 'The link carries a user token in its fragment and is valid as long as the token (TOKEN_TTL_SECONDS).',
      tags: ['Users'],
      response: S.InstallUrlResponse,
    },
    async (c) => {
      const user = await requireUser(services.store, param(c, 'userId'));
      const integration = requireIntegration(services, param(c, 'integrationId'));
      const { token, expiresAt } = await services.tokens.mint(user.userId);
      const base = publicBaseUrl(c, services.config.publicUrl);
      return c.json({ url: `${base}/install/${encodeURIComponent(integration.id)}#token=${token}`, expiresAt });
    },
  );

  app.get('/install/:integrationId', (c) =>
    c.html(page, 200, {
      'content-security-policy': csp,
      // Not no-referrer: under it the browser sends "Origin: null" with the form the widget posts
      // into the OAuth popup, and POST /oauth/begin needs the page's origin. No referrer leaves for
      // another origin either way.
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
    }),
  );
}
