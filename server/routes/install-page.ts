import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import { param, publicBaseUrl, type Api, type AppEnv } from '../api';
import type { Services } from '../domain/context';
import { requireIntegration } from '../domain/installing';
import { requireUser } from '../domain/users';
import * as S from '../schemas';

const page = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public', 'install.html'), 'utf8');

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
      // The page talks only to this server and runs only its own script.
      'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' https: data:",
      // Not no-referrer: under it the browser sends "Origin: null" with the page's own form posts,
      // and POST /oauth/begin needs the page's origin. No referrer leaves for another origin either way.
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
    }),
  );
}
