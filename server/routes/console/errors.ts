import { z } from 'zod';
import type { Api } from '../../api';
import { decodeKey, makeKey, pageOf, readCursor } from '../../domain/console/cursor';
import * as C from '../../domain/console/schemas';
import { windowRange } from '../../domain/console/windows';
import { ApiError } from '../../errors';
import type { ReplayFilter } from '../../store/replays';
import { workflowName, type ConsoleContext } from './index';

const iso = (ms: number) => new Date(ms).toISOString();

/** A group as its id carries it: workflow, block ('' for none), message, and the start of the window it was listed for. */
const GroupKey = z.tuple([z.string(), z.string(), z.string(), z.number().int()]);
const GroupCursor = z.tuple([z.number().int(), z.string(), z.string(), z.string()]);

/** Errors grouped by workflow, block and message, and the replay of a group through the bulk replay (docs/replay.md). */
export function errorRoutes(api: Api, { services, lists, now }: ConsoleContext) {
  const { store } = services;
  const tags = ['Console'];

  api.get(
    '/console/api/errors',
    { summary: 'Error log entries grouped by workflow, block and message, latest first', tags, query: C.ErrorsQuery, response: C.ErrorsPage },
    async (c, { query }) => {
      const since = windowRange(query.window, now()).from;
      const after = readCursor(query.cursor, GroupCursor);
      const rows = await lists.errorGroups(since, query.workflowId, after, query.limit + 1);
      const page = pageOf(rows, query.limit, (g) => [g.lastSeen, g.workflowId, g.block ?? '', g.message]);
      return c.json({
        data: page.data.map((g) => ({
          groupId: makeKey([g.workflowId, g.block ?? '', g.message, since]),
          workflowId: g.workflowId,
          workflowName: workflowName(services, g.workflowId),
          blockId: g.block,
          message: g.message,
          count: g.count,
          firstSeen: iso(g.firstSeen),
          lastSeen: iso(g.lastSeen),
        })),
        nextCursor: page.nextCursor,
      });
    },
  );

  api.post(
    '/console/api/errors/replay',
    {
      summary: 'Replay the failed executions of an error group',
      description:
        'Through the bulk replay (POST /executions/replay): the failed executions of the workflow whose error contains the group’s message and that failed since the window’s start. ' +
        '`dryRun: true` counts them (200); otherwise the replay is made (202), one at a time (409 while another runs).',
      tags,
      body: C.GroupReplayBody,
      response: C.GroupReplayResponse,
      errors: [409],
    },
    async (c, { body }) => {
      const key = readGroup(body.groupId);
      // The replay filter selects by workflow, text in the error and time; the block is not one of
      // its terms, so a group is the failures of its message in the workflow (the dry run says how many).
      const filter: ReplayFilter = { workflowId: key[0], error: key[2], from: key[3] };
      if (body.dryRun) return c.json({ count: await store.replays.count(filter) }, 200);
      const made = await store.replays.create(filter, 'failed');
      if ('running' in made) throw new ApiError(409, 'conflict', `Replay "${made.running}" is still running; wait for it to finish or cancel it`);
      return c.json({ count: made.replay.total, replayId: made.replay.replayId }, 202);
    },
  );
}

function readGroup(groupId: string): z.output<typeof GroupKey> {
  const key = decodeKey(groupId, GroupKey);
  if (key === undefined)
    throw new ApiError(400, 'invalid_request', 'Unknown groupId: use a groupId from GET /console/api/errors', [{ path: 'groupId', message: 'not an error group' }]);
  return key;
}
