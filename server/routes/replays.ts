import type { z } from 'zod';
import { param, type Api } from '../api';
import type { Services } from '../domain/context';
import { requireUser } from '../domain/users';
import { ApiError } from '../errors';
import * as S from '../schemas';
import type { Replay, ReplayFilter } from '../store/replays';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** A replay as the API shows it: its filter in the request's terms (ISO times), and what is left. */
function replayView(replay: Replay): z.input<typeof S.ReplayView> {
  const { from, to, ...rest } = replay.filter;
  return {
    ...replay,
    filter: { ...rest, ...(from !== undefined ? { from: iso(from) } : {}), ...(to !== undefined ? { to: iso(to) } : {}) },
    remaining: replay.status === 'running' ? replay.total - replay.requeued - replay.skipped : 0,
  };
}

/**
 * Bulk replay of failed executions (docs/replay.md): count first with a dry run, then one replay
 * job that the workers requeue at REPLAY_RATE_PER_SECOND. One replay runs at a time: that is what
 * keeps the rate a bound on the load a replay puts on the apps that were failing (two at once
 * would double it), and it holds across processes because the store enforces it.
 */
export function replayRoutes(api: Api, services: Services) {
  const { store, definitions } = services;
  const tags = ['Workflows'];

  api.post(
    '/executions/replay',
    {
      summary: 'Replay failed executions in bulk',
      description:
        'Takes the failed executions the `filter` selects (workflow, user, error text, when they failed). With `dryRun: true` it only counts them. ' +
        'Otherwise it makes a replay job of those it selects now and answers its `replayId` and `total`; the workers queue them again in batches, ' +
        'at most REPLAY_RATE_PER_SECOND a second, each as a re-run (`from`, as for one re-run). One replay runs at a time: a second is a 409 naming the first.',
      tags,
      operationId: 'replayExecutions',
      body: S.ReplayBody,
      response: S.ReplayResponse,
      status: 202,
      errors: [409],
    },
    async (c, { body }) => {
      const { workflowId, userId, error, from, to } = body.filter;
      if (workflowId !== undefined && !definitions.workflow(workflowId)) {
        throw new ApiError(404, 'not_found', `No workflow "${workflowId}"`, [{ path: 'filter.workflowId', message: 'no such workflow' }]);
      }
      const filter: ReplayFilter = {
        ...(workflowId !== undefined ? { workflowId } : {}),
        ...(userId !== undefined ? { userId: (await requireUser(store, userId)).userId } : {}),
        ...(error !== undefined ? { error } : {}),
        ...(from !== undefined ? { from: Date.parse(from) } : {}),
        ...(to !== undefined ? { to: Date.parse(to) } : {}),
      };
      if (body.dryRun) return c.json({ dryRun: true as const, count: await store.replays.count(filter) }, 202);
      const made = await store.replays.create(filter, body.from);
      if ('running' in made) {
        throw new ApiError(409, 'conflict', `Replay "${made.running}" is still running; wait for it to finish (GET /executions/replay/${made.running}) or cancel it`);
      }
      return c.json({ dryRun: false as const, ...replayView(made.replay) }, 202);
    },
  );

  api.get('/executions/replay/:replayId', { summary: 'Progress of a bulk replay', tags, operationId: 'getReplay', response: S.ReplayView }, async (c) => {
    const replay = await store.replays.get(param(c, 'replayId'));
    if (!replay) throw new ApiError(404, 'not_found', `No replay "${param(c, 'replayId')}"`);
    return c.json(replayView(replay));
  });

  api.post(
    '/executions/replay/:replayId/cancel',
    {
      summary: 'Stop a running bulk replay',
      description: 'What it queued so far stays queued; the rest is left failed.',
      tags,
      operationId: 'cancelReplay',
      response: S.ReplayView,
      errors: [409],
    },
    async (c) => {
      const replayId = param(c, 'replayId');
      const replay = await store.replays.get(replayId);
      if (!replay) throw new ApiError(404, 'not_found', `No replay "${replayId}"`);
      if (!(await store.replays.cancel(replayId)) && replay.status !== 'cancelled') {
        throw new ApiError(409, 'conflict', `Replay "${replayId}" is ${(await store.replays.get(replayId))?.status ?? replay.status}; only a running replay can be cancelled`);
      }
      return c.json(replayView((await store.replays.get(replayId))!));
    },
  );
}
