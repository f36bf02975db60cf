import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamData } from '../../../server/connectors/stream-data';
import { NonRetriableError } from '../../../server/engine/errors';
import { startSink } from '../../../demo/fakes/sink';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';

const http = connectorHttp();
const post = (url: string, selfUrl: string | undefined) => {
  const ctx = connectorContext({ http });
  ctx.settings.selfUrl = selfUrl;
  return streamData.actions.post!.run(streamData.actions.post!.input.parse({ url, body: { orderId: 7 } }), ctx);
};

// A definition can name a receiver on the ISV's own server by path (`/demo/sink/acmeco`): it is
// resolved against PUBLIC_URL, or where the server listens, so it works on any host and port.
describe('Stream Data to a path on this server', () => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  it('resolves the path against the server’s own URL, keeping a path prefix', async () => {
    await post('/demo/sink/acmeco', sink.url);
    await post('/acmeco', `${sink.url}/prefix/`);
    expect(sink.deliveries.map((d) => [d.path, d.json])).toEqual([
      ['/demo/sink/acmeco', { orderId: 7 }],
      ['/prefix/acmeco', { orderId: 7 }],
    ]);
  });

  it('fails without retrying, naming PUBLIC_URL, when the process does not know its address', async () => {
    const err = await thrown(() => post('/demo/sink/acmeco', undefined));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/"\/demo\/sink\/acmeco" is a path on this server.*set PUBLIC_URL/);
  });
});
