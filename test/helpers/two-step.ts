import { acmeIntegration } from './definitions';

/** Two chained Stream Data blocks: `first` posts to /first, `second` to /second with first's status. */
export const twoStepIntegration = (url: string) =>
  acmeIntegration([
    {
      id: 'two-step',
      name: 'Two deliveries',
      version: 1,
      trigger: { type: 'customEvent', event: 'Order Paid', schema: { orderId: 'String' } },
      blocks: [
        { id: 'first', connector: 'streamData', action: 'post', input: { url: `${url}/first`, body: { order: '{{event.orderId}}' } } },
        { id: 'second', connector: 'streamData', action: 'post', input: { url: `${url}/second`, body: { order: '{{event.orderId}}', first: '{{steps.first.output.status}}' } } },
      ],
    },
  ]);
