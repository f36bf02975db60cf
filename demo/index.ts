import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { AppEnv } from '../server/api';
import { demoRoutes } from './backend';
import { DEMO_HUBSPOT, DEMO_JIRA, DEMO_STORE, Feed, startFakes } from './fakes';

const publicDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');

export interface Demo {
  /** AcmeCo's backend routes and page, for `createApp(services, { extraRoutes })`. */
  routes(secrets: { apiKey: string; webhookSecret: string }): (app: Hono<AppEnv>) => void;
  /** Tells the backend where the server listens (it calls the API there); call once it does. */
  listening(selfUrl: string): void;
  /** Lines for the start banner. */
  banner(): string[];
  close(): Promise<void>;
}

/**
 * The AcmeCo demo (`DEMO=on`, which `npm start` sets): starts the fake Slack, BigCommerce and Stream
 * Data sink, and the catalogue's HubSpot and Jira, and points the connectors at them through
 * `SLACK_API_URL`, `BIGCOMMERCE_API_URL`, `HUBSPOT_API_URL` and `JIRA_API_URL` unless those are set. With the fake Slack and no Slack OAuth client configured, it also sets
 * `SLACK_CLIENT_ID`, `SLACK_CLIENT_SECRET` and `SLACK_OAUTH_URL` to the fake's OAuth app, so
 * "Connect with Slack" works too. Call it before the configuration is loaded.
 */
export async function startDemo(env: NodeJS.ProcessEnv = process.env): Promise<Demo> {
  const feed = new Feed();
  const fakes = await startFakes(feed);
  const usesFake = { slack: !env.SLACK_API_URL, bigcommerce: !env.BIGCOMMERCE_API_URL };
  if (usesFake.slack) env.SLACK_API_URL = fakes.slackUrl;
  // Only when none is set: a real Slack app's client (or half of one) is never mixed with the fake's.
  const usesFakeOAuth = usesFake.slack && !env.SLACK_CLIENT_ID && !env.SLACK_CLIENT_SECRET && !env.SLACK_OAUTH_URL;
  if (usesFakeOAuth) {
    env.SLACK_CLIENT_ID = fakes.slackOAuth.clientId;
    env.SLACK_CLIENT_SECRET = fakes.slackOAuth.clientSecret;
    env.SLACK_OAUTH_URL = fakes.slackOAuth.authorizeUrl;
  }
  if (usesFake.bigcommerce) env.BIGCOMMERCE_API_URL = fakes.bigcommerceUrl;
  const usesFakeCatalogue = { hubspot: !env.HUBSPOT_API_URL, jira: !env.JIRA_API_URL };
  if (usesFakeCatalogue.hubspot) env.HUBSPOT_API_URL = fakes.hubspotUrl;
  if (usesFakeCatalogue.jira) env.JIRA_API_URL = fakes.jiraUrl;
  let selfUrl: string | undefined;

  return {
    routes: (secrets) => (app) => {
      demoRoutes({
        feed,
        ...secrets,
        // Orders are simulated in the fake store only: a real one makes its own.
        createOrder: usesFake.bigcommerce ? fakes.createOrder : undefined,
        selfUrl: () => {
          if (!selfUrl) throw new Error('The demo backend was used before the server listened');
          return selfUrl;
        },
      })(app);
      // A host page whose CSS does its worst (`* { all: unset !important }`…): the widget must not care.
      app.get(
        '/hostile',
        () => new Response(fs.readFileSync(path.join(publicDir, 'hostile.html')), { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } }),
      );
    },
    listening(url) {
      selfUrl = url.replace(/\/$/, '');
    },
    banner: () => [
      `  demo: the AcmeCo app is at / (DEMO=off to turn it off)`,
      `    Slack: ${usesFake.slack ? `fake at ${fakes.slackUrl}, any xoxb- token${usesFakeOAuth ? ' or "Connect with Slack"' : ''}, channels #support and #sales` : env.SLACK_API_URL}`,
      `    BigCommerce: ${usesFake.bigcommerce ? `fake at ${fakes.bigcommerceUrl}, store hash ${DEMO_STORE.storeHash}, access token ${DEMO_STORE.accessToken}` : env.BIGCOMMERCE_API_URL}`,
      `    HubSpot: ${usesFakeCatalogue.hubspot ? `fake at ${fakes.hubspotUrl}, private app token ${DEMO_HUBSPOT.accessToken}` : env.HUBSPOT_API_URL}`,
      `    Jira: ${usesFakeCatalogue.jira ? `fake at ${fakes.jiraUrl}, site ${DEMO_JIRA.site}, email ${DEMO_JIRA.email}, API token ${DEMO_JIRA.apiToken}` : env.JIRA_API_URL}`,
      `    Stream Data sink: ${fakes.sinkUrl}`,
    ],
    close: () => fakes.close(),
  };
}
