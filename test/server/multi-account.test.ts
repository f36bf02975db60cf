import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOAuthSlack, type OAuthSlack } from '../fakes/oauth-slack';
import { definitionsWith, demoWorkflow } from '../helpers/definitions';
import { approveAtOnce, connectThroughOAuth } from '../helpers/oauth';
import { createUser, startTestServer, storeKind, userToken, waitForExecution, type TestServer } from '../helpers/server';

const HQ = { id: 'T0HQ', name: 'Acme HQ', channels: ['C1'] };
const LABS = { id: 'T0LABS', name: 'Acme Labs', channels: ['C2'] };
const WORKFLOWS = ['slack-ticket-created', 'slack-ticket-created-labs'];

describe(`one user with two Slack workspaces (${storeKind})`, () => {
  let slack: OAuthSlack;
  let server: TestServer;
  let userId: string;
  let token: string;

  beforeEach(async () => {
    slack = await startOAuthSlack({ teams: [HQ, LABS] });
    // Slack's integration with a second workflow on the same event: one for each workspace.
    const definitions = () =>
      definitionsWith([], (demo) => {
        const slackIntegration = demo.find((i) => i.id === 'slack');
        slackIntegration.workflows.push({ ...demoWorkflow(demo, 'slack-ticket-created'), id: 'slack-ticket-created-labs', name: 'Post to the Labs workspace' });
      });
    server = await startTestServer({ env: { ...slack.env(), WORKERS: 'on', RETRY_SCHEDULE: '20' }, definitions });
    userId = await createUser(server, 'two-workspaces');
    token = await userToken(server, userId);
  });
  afterEach(async () => {
    await server.close();
    await slack.close();
  });

  /** Connects the user's Slack account in `team`, the workspace they pick on Slack's consent page. */
  const connect = (team: string) => connectThroughOAuth(server.request, { token, app: 'slack', approve: (authorize) => approveAtOnce(authorize, { team }) });
  const install = (workflowId: string, credentialId: string, channel: string) =>
    server.request('POST', '/me/installations', { token, body: { integrationId: 'slack', workflowIds: [workflowId], credentialId, config: { channel } } });
  /** Fires one "Ticket Created"; its executions by workflow. */
  const ticketCreated = async (ticketName: string) => {
    const run = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: { ticketName, customerEmail: 'a@b.co', description: 'd' } } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const started = run.body.executionIds as string[];
    const byWorkflow: Record<string, string> = {};
    for (const workflowId of WORKFLOWS) {
      const logs = await server.request('GET', `/workflows/${workflowId}/logs?userId=${userId}&limit=100`);
      const own = (logs.body.data as Array<{ executionId: string }>).find((e) => started.includes(e.executionId));
      if (own) byWorkflow[workflowId] = own.executionId;
    }
    expect(Object.keys(byWorkflow)).toEqual(WORKFLOWS);
    return byWorkflow;
  };
  const tokensOf = (team: string) => new Set(slack.issued.filter((t) => t.team === team).map((t) => t.accessToken));

  it('delivers each installation to its own workspace, with its own account', async () => {
    const hq = await connect(HQ.id);
    const labs = await connect(LABS.id);
    expect(hq).not.toBe(labs);
    expect((await install('slack-ticket-created', hq, 'C1')).status).toBe(201);
    expect((await install('slack-ticket-created-labs', labs, 'C2')).status).toBe(201);
    const installations = await server.request('GET', '/me/installations', { token });
    expect(Object.fromEntries((installations.body.data as Array<{ workflowId: string; credentialIds: string[] }>).map((i) => [i.workflowId, i.credentialIds]))).toEqual({
      'slack-ticket-created': [hq],
      'slack-ticket-created-labs': [labs],
    });

    // Each account is named by its workspace, as Slack's auth.test tells it: the user can tell them apart.
    const detail = await server.request('GET', '/me/integrations/slack', { token });
    expect(detail.body.credentials).toEqual([
      expect.objectContaining({ credentialId: hq, displayName: HQ.name, status: 'healthy', inUse: true }),
      expect.objectContaining({ credentialId: labs, displayName: LABS.name, status: 'healthy', inUse: true }),
    ]);

    const executions = await ticketCreated('Printer on fire');
    await waitForExecution(server, userId, 'slack-ticket-created', executions['slack-ticket-created']!, 'succeeded');
    await waitForExecution(server, userId, 'slack-ticket-created-labs', executions['slack-ticket-created-labs']!, 'succeeded');
    expect(slack.messagesTo(HQ.id)).toEqual([expect.objectContaining({ channel: 'C1', text: expect.stringContaining('Printer on fire') })]);
    expect(slack.messagesTo(LABS.id)).toEqual([expect.objectContaining({ channel: 'C2', text: expect.stringContaining('Printer on fire') })]);
    expect(tokensOf(HQ.id).has(slack.messagesTo(HQ.id)[0]!.token)).toBe(true);
    expect(tokensOf(LABS.id).has(slack.messagesTo(LABS.id)[0]!.token)).toBe(true);
  });

  it('keeps delivering to the other workspace after one account is deleted', async () => {
    const hq = await connect(HQ.id);
    const labs = await connect(LABS.id);
    await install('slack-ticket-created', hq, 'C1');
    await install('slack-ticket-created-labs', labs, 'C2');

    const deleted = await server.request('DELETE', `/users/${userId}/credentials/${hq}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    const listed = await server.request('GET', `/credentials/users/${userId}`);
    expect((listed.body.data as Array<{ credentialId: string }>).map((c) => c.credentialId)).toEqual([labs]);

    const executions = await ticketCreated('Coffee machine down');
    const orphan = await waitForExecution(server, userId, 'slack-ticket-created', executions['slack-ticket-created']!, 'failed');
    expect(orphan.error).toMatch(/^credential_deleted: /);
    await waitForExecution(server, userId, 'slack-ticket-created-labs', executions['slack-ticket-created-labs']!, 'succeeded');
    expect(slack.messagesTo(LABS.id)).toEqual([expect.objectContaining({ channel: 'C2', text: expect.stringContaining('Coffee machine down') })]);
    expect(slack.messagesTo(HQ.id)).toEqual([]);
    const detail = await server.request('GET', '/me/integrations/slack', { token });
    expect(detail.body.credentials).toEqual([expect.objectContaining({ credentialId: labs, status: 'healthy', inUse: true })]);
  });
});
