import { z } from 'zod';
import { listConnectors } from './index';

const Url = z.string().url();

/**
 * The connectors' API base URLs and OAuth clients from the environment, as each connector
 * declares them (`apiUrl.env`, `oauth.env`): adding a connector needs no change here.
 */
export function connectorSettingsFromEnv(env: NodeJS.ProcessEnv): {
  apiUrls: Record<string, string>;
  oauthClients: Record<string, { clientId: string; clientSecret: string; authorizeUrl: string }>;
} {
  const apiUrls: Record<string, string> = {};
  const oauthClients: Record<string, { clientId: string; clientSecret: string; authorizeUrl: string }> = {};
  const url = (name: string, value: string | undefined) => {
    if (value === undefined || value === '') return undefined;
    if (!Url.safeParse(value).success) throw new Error(`Invalid configuration:\n  ${name}: expected a URL, got "${value}"`);
    return value.replace(/\/$/, '');
  };
  for (const connector of listConnectors()) {
    if (connector.apiUrl) {
      const value = url(connector.apiUrl.env, env[connector.apiUrl.env]) ?? connector.apiUrl.default;
      if (value) apiUrls[connector.id] = value;
    }
    const oauth = connector.oauth;
    const clientId = oauth && env[`${oauth.env}_CLIENT_ID`];
    const clientSecret = oauth && env[`${oauth.env}_CLIENT_SECRET`];
    if (oauth && clientId && clientSecret) {
      oauthClients[connector.id] = { clientId, clientSecret, authorizeUrl: url(`${oauth.env}_OAUTH_URL`, env[`${oauth.env}_OAUTH_URL`]) ?? oauth.authorizeUrl };
    }
  }
  return { apiUrls, oauthClients };
}
