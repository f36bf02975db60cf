import { randomBytes } from 'node:crypto';
import { startFakeBigCommerce, ORDER_STATUSES, type FakeBigCommerce, type FakeOrderLine } from './fakes/bigcommerce';
import { startSink } from './fakes/sink';
import { startFakeSlack } from './fakes/slack';
import { HUBSPOT_TOKEN, startHubSpotFake } from '../test/fakes/apps/hubspot';
import { JIRA_EMAIL, JIRA_SITE, JIRA_TOKEN, startJiraFake } from '../test/fakes/apps/jira';

/** Who received something: the fake apps, the spare Stream Data sink, or AcmeCo's own receiver. */
export type Destination = 'slack' | 'bigcommerce' | 'hubspot' | 'jira' | 'sink' | 'acmeco';

export interface FeedEntry {
  /** 1, 2, 3…: the live panel asks for the entries after the last one it has. */
  seq: number;
  destination: Destination;
  /** ISO 8601. */
  at: string;
  /** One line for the panel, e.g. `#support: New ticket: …`. */
  summary: string;
  /** What arrived (never a token). */
  data: unknown;
}

/** Everything every destination received, in arrival order; the oldest go beyond `limit`. */
export class Feed {
  private readonly entries: FeedEntry[] = [];
  private seq = 0;

  constructor(private readonly limit = 500) {}

  add(destination: Destination, summary: string, data: unknown): FeedEntry {
    const entry = { seq: ++this.seq, destination, at: new Date().toISOString(), summary, data };
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    return entry;
  }

  /** The entries after `seq`, oldest first. */
  after(seq: number): FeedEntry[] {
    return this.entries.filter((e) => e.seq > seq);
  }

  get last(): number {
    return this.seq;
  }
}

/** The demo's BigCommerce store: any of these credentials work in the install modal. */
export const DEMO_STORE = { storeHash: 'acme-store', accessToken: 'bc-demo-token' };
/** The demo's HubSpot account (a private app token) and Jira site: what the install modal accepts. */
export const DEMO_HUBSPOT = { accessToken: HUBSPOT_TOKEN };
export const DEMO_JIRA = { site: JIRA_SITE, email: JIRA_EMAIL, apiToken: JIRA_TOKEN };

export interface DemoFakes {
  slackUrl: string;
  /** The fake Slack's OAuth app, for SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_OAUTH_URL. */
  slackOAuth: { clientId: string; clientSecret: string; authorizeUrl: string };
  bigcommerceUrl: string;
  /** The catalogue's HubSpot and Jira, as data connectors, with fakes of their APIs (test/fakes/apps/). */
  hubspotUrl: string;
  jiraUrl: string;
  /** A new order in the demo store: the fake BigCommerce sends its store/order/created webhook to each subscribed installation. */
  createOrder(lines: FakeOrderLine[]): ReturnType<FakeBigCommerce['createOrder']>;
  sinkUrl: string;
  close(): Promise<void>;
}

/**
 * The third parties of the demo on 127.0.0.1, each on a free port: Slack (any `xoxb-` token, or
 * "Connect with Slack" through its OAuth v2, approved at once; channels #support and #sales), a BigCommerce store with a few orders, and a spare Stream Data
 * sink. What each receives goes into `feed`.
 */
export async function startFakes(feed: Feed): Promise<DemoFakes> {
  // A secret of this process: only this server, told through SLACK_CLIENT_SECRET, knows it.
  const oauth = { clientId: 'acme-demo-slack-app', clientSecret: randomBytes(16).toString('hex') };
  const slack = await startFakeSlack({
    oauth,
    onMessage: (m) => {
      const channel = slack.channels.find((c) => c.id === m.channel);
      const name = channel ? `#${channel.name}` : m.channel;
      // How it was authorised (never the token itself): a token issued by "Connect with Slack", or a bot token typed in.
      feed.add('slack', `${name}: ${m.text}`, { channel: name, channelId: m.channel, text: m.text, auth: slack.isOAuthToken(m.token) ? 'oauth' : 'token' });
    },
  });
  slack.channels = [
    { id: 'C0SUPPORT', name: 'support' },
    { id: 'C0SALES', name: 'sales' },
  ];

  const bigcommerce = await startFakeBigCommerce({
    onUpdate: ({ storeHash, order, staffNotes }) =>
      feed.add('bigcommerce', `Order ${order.id} is now ${order.status}${staffNotes ? ` (note: ${staffNotes})` : ''}`, {
        store: storeHash,
        orderId: order.id,
        statusId: order.status_id,
        status: order.status,
        ...(staffNotes ? { staffNotes } : {}),
      }),
  });
  bigcommerce.tokens.set(DEMO_STORE.storeHash, DEMO_STORE.accessToken);
  for (let id = 100; id <= 105; id++) bigcommerce.orders.set(id, { id, status_id: 11, status: ORDER_STATUSES[11]! });

  const hubspot = await startHubSpotFake({
    onCreate: (type, record) =>
      feed.add('hubspot', `${type === 'deals' ? 'Deal' : 'Contact'} ${record.id}: ${record.properties.dealname ?? record.properties.email ?? ''}`, {
        type,
        id: record.id,
        properties: record.properties,
      }),
  });
  const jira = await startJiraFake({
    onCreate: (issue) =>
      feed.add('jira', `${issue.key}: ${issue.fields.summary} (${issue.fields.issuetype.name})`, {
        key: issue.key,
        summary: issue.fields.summary,
        issueType: issue.fields.issuetype.name,
        project: issue.fields.project.key,
      }),
  });

  const sink = await startSink({
    onDelivery: (d) => feed.add('sink', `${d.path}: ${d.body.slice(0, 120)}`, { path: d.path, webhookId: d.headers['webhook-id'], body: d.json ?? d.body }),
  });

  return {
    slackUrl: slack.url,
    slackOAuth: { ...oauth, authorizeUrl: slack.authorizeUrl },
    bigcommerceUrl: bigcommerce.url,
    hubspotUrl: hubspot.url,
    jiraUrl: jira.url,
    createOrder: (lines) => bigcommerce.createOrder(DEMO_STORE.storeHash, lines, { firstName: 'Avery', lastName: 'Shopper', email: 'avery@example.com' }),
    sinkUrl: sink.url,
    close: async () => {
      await Promise.all([slack.close(), bigcommerce.close(), hubspot.close(), jira.close(), sink.close()]);
    },
  };
}
