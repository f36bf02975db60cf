import type { FailedExecution } from './executor';
import { NonRetriableError } from './errors';
import type { HttpClient } from './http';
import { signedHeaders } from './webhook-signature';

/**
 * Streams each final failure to the ISV's error webhook (ALLOY_ERROR_WEBHOOK_URL), signed with
 * Standard Webhooks headers. The error is already in the error log before this runs; the
 * webhook is a notification, tried a few times in this process.
 */
export function errorWebhook(http: HttpClient, url: string, secret: string, delaysMs = [1000, 5000, 30_000]) {
  return (failure: FailedExecution): void => {
    const body = JSON.stringify({ type: 'workflow.error', data: failure });
    const id = `err_${failure.executionId}`;
    const attempt = async (n: number): Promise<void> => {
      try {
        // The client refuses a private address unless ALLOY_ALLOW_PRIVATE_URLS=true, as for Stream Data.
        const res = await http.send({ method: 'POST', url, headers: { 'content-type': 'application/json', ...signedHeaders(secret, id, body) }, body, lenientJson: true });
        if (res.status >= 300) throw new NonRetriableError(`HTTP ${res.status}: a redirect is not followed`);
      } catch (err) {
        const delay = delaysMs[n];
        if (delay === undefined || (err as { retriable?: boolean }).retriable === false) {
          console.warn(`error webhook: giving up on ${id} (${(err as Error).message})`);
          return;
        }
        setTimeout(() => void attempt(n + 1), delay).unref();
      }
    };
    void attempt(0);
  };
}
