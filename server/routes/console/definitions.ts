import { z } from 'zod';
import { param, type Api } from '../../api';
import { pageOf, readCursor } from '../../domain/console/cursor';
import { lineDiff, prettyLines } from '../../domain/console/diff';
import * as C from '../../domain/console/schemas';
import { ApiError, validationError } from '../../errors';
import type { ConsoleContext } from './index';

const iso = (ms: number) => new Date(ms).toISOString();
const IdKey = z.tuple([z.string()]);
type WorkflowView = z.input<typeof C.Definitions>['data'][number]['workflows'][number];

/** Integrations, workflows and their released versions, a diff between two versions, and who is on each. */
export function definitionRoutes(api: Api, { services, lists }: ConsoleContext) {
  const { store, definitions } = services;
  const tags = ['Console'];

  api.get(
    '/console/api/definitions',
    {
      summary: 'Integrations, their workflows and every released version, with its installations',
      description:
        'The released versions are the store’s (server/store/versions.ts), so a workflow no longer in the files is still listed while installations or logs may name it.',
      tags,
      response: C.Definitions,
    },
    async (c) => {
      const [versions, counts] = await Promise.all([store.versions.all(), lists.installationsPerVersion()]);
      const integrations = new Map<string, { integrationId: string; app: string; workflows: Map<string, WorkflowView> }>();
      // In the files' order first, then what only the store still has.
      for (const i of definitions.integrations) {
        const workflows = new Map(i.workflows.map((w): [string, WorkflowView] => [w.id, { workflowId: w.id, name: w.name, currentVersion: w.version, versions: [] }]));
        integrations.set(i.id, { integrationId: i.id, app: i.app, workflows });
      }
      for (const v of versions) {
        let integration = integrations.get(v.integrationId);
        if (!integration) integrations.set(v.integrationId, (integration = { integrationId: v.integrationId, app: v.integrationId, workflows: new Map() }));
        let workflow = integration.workflows.get(v.workflowId);
        if (!workflow) integration.workflows.set(v.workflowId, (workflow = { workflowId: v.workflowId, name: v.definition.name, currentVersion: null, versions: [] }));
        workflow.versions.push({ version: v.version, releasedAt: v.releasedAt, installations: counts.get(`${v.workflowId}@${v.version}`) ?? 0 });
      }
      return c.json({ data: [...integrations.values()].map((i) => ({ ...i, workflows: [...i.workflows.values()] })) });
    },
  );

  api.get(
    '/console/api/definitions/:workflowId/diff',
    { summary: 'A line diff of two released versions of a workflow, as pretty JSON', tags, query: C.DiffQuery, response: C.Diff },
    async (c, { query }) => {
      const workflowId = param(c, 'workflowId');
      const [from, to] = await Promise.all([store.versions.get(workflowId, query.from), store.versions.get(workflowId, query.to)]);
      const missing = [...(from ? [] : ['from' as const]), ...(to ? [] : ['to' as const])];
      if (missing.length > 0) {
        throw new ApiError(
          404,
          'not_found',
          `Workflow "${workflowId}" has no released version ${missing.map((m) => query[m]).join(' or ')}`,
          missing.map((m) => ({ path: m, message: 'no such version' })),
        );
      }
      return c.json({ workflowId, from: query.from, to: query.to, lines: lineDiff(prettyLines(from!.definition), prettyLines(to!.definition)) });
    },
  );

  api.get(
    '/console/api/definitions/:workflowId/versions/:version/installations',
    { summary: 'The installations on one version of a workflow', tags, query: C.PageQuery, response: C.VersionInstallationsPage },
    async (c, { query }) => {
      const parsed = C.VersionNumber.safeParse(param(c, 'version'));
      if (!parsed.success) throw validationError(parsed.error, 'version');
      const version = parsed.data;
      const after = readCursor(query.cursor, IdKey)?.[0];
      const rows = await lists.versionInstallations(param(c, 'workflowId'), version, after, query.limit + 1);
      const page = pageOf(rows, query.limit, (i) => [i.installationId]);
      return c.json({ data: page.data.map((i) => ({ ...i, installedAt: iso(i.installedAt), updatedAt: iso(i.updatedAt) })), nextCursor: page.nextCursor });
    },
  );
}
