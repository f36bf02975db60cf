/**
 * What a connector throws to say whether trying again can help. Anything else thrown by a
 * connector is treated as retryable (a bug or a blip), up to the attempt limit.
 */
export class NonRetriableError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetriableError';
  }
}

export class RetryAfterError extends Error {
  readonly retriable = true;
  constructor(
    message: string,
    /** When to try again, in milliseconds from now (from a Retry-After header, say). */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RetryAfterError';
  }
}
