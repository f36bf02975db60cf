import { NonRetriableError, RetryAfterError } from '../engine/errors';

// The HTTP client (server/engine/http.ts) words a failed call as `<METHOD> <url>: <what happened>`,
// an error answer as `<METHOD> <url>: HTTP <status> — <body, cut at 300 characters>`.
const CLIENT_PREFIX = /^(?:GET|POST|PUT|PATCH|DELETE) \S+: /;
const ERROR_ANSWER = /^HTTP (\d{3})(?: — ([\s\S]*))?$/;

/**
 * The HTTP client's error as the app's own words, `<app>: HTTP 401 <what the app said>`, for a
 * person connecting an account to read: the URL goes, the app's message is taken out of its error
 * body by `say` (the raw body when `say` finds none or the body was cut). The class is kept, so
 * a refusal stays a refusal and an outage stays retryable (with its `Retry-After`). `say` gets the
 * parsed body, or its text when that is not JSON or was cut short.
 * @example throw inAppWords('BigCommerce', err, (body) => (body as { title?: string }).title)
 */
export function inAppWords(app: string, err: unknown, say: (body: unknown) => string | undefined): Error {
  if (!(err instanceof NonRetriableError) && !(err instanceof RetryAfterError)) return err as Error;
  const what = err.message.replace(CLIENT_PREFIX, '');
  const answer = what.match(ERROR_ANSWER);
  let words = what;
  if (answer) {
    const text = answer[2] ?? '';
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON, or JSON cut short by the client: `say` reads what it can of the text.
    }
    const said = say(body)?.trim();
    words = `HTTP ${answer[1]}${said || text ? ` ${said || text}` : ''}`;
  }
  const message = `${app}: ${words}`;
  return err instanceof RetryAfterError ? new RetryAfterError(message, err.retryAfterMs, { cause: err }) : new NonRetriableError(message, { cause: err });
}
