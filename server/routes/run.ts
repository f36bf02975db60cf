import type { Api } from '../api';
import { ApiError } from '../errors';
import type { Services } from '../domain/context';
import { runEvent } from '../domain/events';
import * as S from '../schemas';
import { eventAnswer, idempotencyKeyHeader } from './idempotency';

/** `POST /run/event`: the ISV backend fires a custom event for one user. */
export function runRoutes(api: Api, services: Services) {
  api.post(
    '/run/event',
    {
      summary: 'Run a custom event for a user',
      description:
        'The data is checked against the event schema; the event and one execution per matching active installation are committed before the answer. ' +
        'An Idempotency-Key header (or `id` in the body) makes a repeat return the first answer and run nothing twice.',
      tags: ['Events'],
      body: S.RunEventBody,
      response: S.RunEventResponse,
    },
    async (c, { body }) => {
      const header = idempotencyKeyHeader(c);
      if (header && body.id && header !== body.id) {
        throw new ApiError(400, 'invalid_request', 'The Idempotency-Key header and "id" differ; send one of them', [{ path: 'id', message: 'differs from Idempotency-Key' }]);
      }
      const result = await runEvent(services, {
        userId: body.userId,
        event: body.event,
        data: body.data,
        source: 'isv',
        idempotencyKey: header ?? body.id,
        requestId: c.get('requestId'),
      });
      return eventAnswer(c, result);
    },
  );
}
