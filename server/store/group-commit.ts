interface Waiting<I, O> {
  input: I;
  resolve(output: O): void;
  reject(err: unknown): void;
}

/**
 * Group commit: the writes that arrive together go to the store as one batch (one statement or
 * transaction), and each caller is answered only when that batch has committed. Nothing is
 * answered before it is durable, but a burst costs one commit instead of one per write.
 *
 * A batch is taken when the event loop has read everything that was ready (`setImmediate`), or,
 * while `concurrency` batches are committing, when one finishes: no timer adds latency, and the
 * busier the store, the larger the batches. If a batch fails, nothing of it was stored (the
 * writer's statement or transaction rolled back), and one bad input must not fail the others:
 * each is tried again on its own and gets its own answer or error.
 */
export class GroupCommit<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private committing = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  /** `write` stores a batch and returns one output per input, in order. */
  constructor(
    private readonly write: (inputs: I[]) => Promise<O[]>,
    private readonly concurrency: number,
    private readonly maxBatch = 500,
  ) {}

  /** Resolves with the input's output once its batch has committed. */
  submit(input: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when every input submitted so far has been committed or refused. */
  drain(): Promise<void> {
    if (this.waiting.length === 0 && this.committing === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.committing >= this.concurrency) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.waiting.length > 0 && this.committing < this.concurrency) {
        const batch = this.waiting.splice(0, this.maxBatch);
        this.committing++;
        void this.commit(batch).finally(() => {
          this.committing--;
          this.schedule();
          if (this.waiting.length === 0 && this.committing === 0) for (const done of this.idle.splice(0)) done();
        });
      }
    });
  }

  private async commit(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await this.write(batch.map((w) => w.input));
      batch.forEach((w, i) => w.resolve(outputs[i]!));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      await Promise.all(
        batch.map((w) =>
          this.write([w.input]).then(
            (outputs) => w.resolve(outputs[0]!),
            (error: unknown) => w.reject(error),
          ),
        ),
      );
    }
  }
}
