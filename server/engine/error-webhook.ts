import type { Store } from '../store';
import type { ErrorNotice } from '../store/logs';
import { NonRetriableError } from './errors';
import type { HttpClient } from './http';
import { signedHeaders } from './webhook-signature';

export interface ErrorNotifierOptions {
  url: string;
  secret: string;
  /** Delay before each try after the first (RETRY_SCHEDULE, as for blocks); its length is the number of retries. */
  retrySchedule: number[];
  /** How long a try holds its notice (EXECUTION_LEASE_MS): a process killed mid-try leaves it to be sent again after that. */
  leaseMs: number;
  /** How often to look for due notices when nothing wakes it. */
  pollMs?: number;
}

/** Notices taken at a time; a full batch makes it look again at once. */
const BATCH = 20;

/**
 * Streams each final failure to the ISV's error webhook (ALLOY_ERROR_WEBHOOK_URL), signed with
 * Standard Webhooks headers. The notice is written with the error log entry, in the transaction
 * that fails the execution, and stays due until the endpoint answers 2xx, it refuses it for good
 * (a 4xx other than 408/429, a redirect, a private address), or RETRY_SCHEDULE is used up: a
 * restart, a crash or an endpoint down for a while loses none. Runs beside each worker; on
 * PostgreSQL several take notices at once without taking the same one.
 */
export class ErrorNotifier {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  /** Whether the last claim failed (the store is down): said once, not at every poll. */
  private claimFailing = false;

  constructor(
    private readonly store: Store,
    private readonly http: HttpClient,
    private readonly options: ErrorNotifierOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** A failure was just recorded: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops taking notices, and waits for the tries under way. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.woken = false;
      let notices: ErrorNotice[] = [];
      try {
        notices = await this.store.logs.claimErrorNotices(BATCH, this.options.leaseMs);
        this.claimFailing = false;
      } catch (err) {
        if (!this.claimFailing) console.warn(`error webhook: cannot read due notices (${(err as Error).message}); trying again`);
        this.claimFailing = true;
      }
      // A retry due before the next poll is taken when it is due, not at the poll.
      const retries = await Promise.all(notices.map((n) => this.send(n)));
      if (notices.length === BATCH || this.woken) continue;
      const soonest = Math.min(...retries.filter((at) => at !== null));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, Math.min(this.options.pollMs ?? 1000, soonest - Date.now())));
        timer.unref();
        this.wakeUp = () => (clearTimeout(timer), resolve());
      });
      this.wakeUp = undefined;
    }
  }

  /**
   * Alloy's identifiers of the failure, as its error stream sends them (docs: "Handling Errors"):
   * which workflow, user, block (its name and connector) and execution. A failure outside any
   * block (before the first ran) sends the block headers empty. The block is looked up in the
   * newest released version that has it: its name and connector do not change between versions.
   */
  private async alloyHeaders(notice: ErrorNotice): Promise<Record<string, string>> {
    const { workflowId, userId, executionId, block: blockId } = notice.data;
    const versions = blockId ? await this.store.versions.list(workflowId).catch(() => []) : [];
    const block = [...versions]
      .sort((a, b) => b.version - a.version)
      .map((v) => v.definition.blocks.find((b) => b.id === blockId))
      .find((b) => b !== undefined);
    return {
      'X-Alloy-WorkflowId': workflowId,
      'X-Alloy-UserId': userId,
      'X-Alloy-BlockName': block ? (block.name ?? block.connector) : (blockId ?? ''),
      'X-Alloy-BlockType': block?.connector ?? '',
      'X-Alloy-ExecutionUuid': executionId ?? '',
    };
  }

  /** One try of a notice; resolves with when its next try is due (null: none). */
  private async send(notice: ErrorNotice): Promise<number | null> {
    const id = `err_${notice.id}`;
    const body = JSON.stringify({ type: 'workflow.error', data: notice.data });
    let next: number | null = null;
    try {
      const headers = { 'content-type': 'application/json', ...(await this.alloyHeaders(notice)), ...signedHeaders(this.options.secret, id, body) };
      // The client refuses a private address unless ALLOY_ALLOW_PRIVATE_URLS=true, as for Stream Data.
      const res = await this.http.send({ method: 'POST', url: this.options.url, headers, body, lenientJson: true });
      if (res.status >= 300) throw new NonRetriableError(`HTTP ${res.status}: a redirect is not followed`);
    } catch (err) {
      const delay = this.options.retrySchedule[notice.tries - 1];
      if (delay === undefined || (err as { retriable?: boolean }).retriable === false) {
        console.warn(`error webhook: giving up on ${id} after ${notice.tries} ${notice.tries === 1 ? 'try' : 'tries'} (${(err as Error).message})`);
      } else {
        next = Date.now() + delay;
      }
    }
    // Not recorded (the store is down): the notice is taken again when its hold runs out.
    await this.store.logs.errorNoticeNext(notice.id, next).catch(() => undefined);
    return next;
  }
}
