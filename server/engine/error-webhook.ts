import { blockKind, findBlock } from '../blocks';
import type { Store } from '../store';
import type { ErrorNotice } from '../store/logs';
import type { HttpClient } from './http';
import { DueLoop, trySignedDelivery, type SignedSenderOptions } from './signed-delivery';
import { logger } from '../observability/log';

export type ErrorNotifierOptions = SignedSenderOptions;

/** Notices taken at a time; a full batch makes it look again at once. */
const BATCH = 20;

/**
 * Streams each final failure to the ISV's error webhook (ALLOY_ERROR_WEBHOOK_URL), signed with
 * Standard Webhooks headers. The notice is written with the error log entry, in the transaction
 * that fails the execution, and stays due until the endpoint answers 2xx, it refuses it for good
 * (a 4xx other than 408/429, a redirect, a private address), or RETRY_SCHEDULE is used up: a
 * restart, a crash or an endpoint down for a while loses none. Runs beside each worker; on
 * PostgreSQL several take notices at once without taking the same one. The send and retry rules
 * are the lifecycle webhook's too (signed-delivery.ts).
 */
export class ErrorNotifier extends DueLoop<ErrorNotice> {
  constructor(
    private readonly store: Store,
    private readonly http: HttpClient,
    private readonly options: ErrorNotifierOptions,
  ) {
    super('error webhook', { batch: BATCH, pollMs: options.pollMs });
  }

  protected claim(): Promise<ErrorNotice[]> {
    return this.store.logs.claimErrorNotices(BATCH, this.options.leaseMs);
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
      .map((v) => findBlock(v.definition.blocks, blockId!))
      .find((b) => b !== undefined);
    // An action's type is its connector; a logic block's, its kind (filter, forEach…).
    const type = block ? blockKind(block).view(block).type : '';
    return {
      'X-Alloy-WorkflowId': workflowId,
      'X-Alloy-UserId': userId,
      'X-Alloy-BlockName': block ? (block.name ?? type) : (blockId ?? ''),
      'X-Alloy-BlockType': type,
      'X-Alloy-ExecutionUuid': executionId ?? '',
    };
  }

  /** One try of a notice; resolves with when its next try is due (null: none). */
  protected async send(notice: ErrorNotice): Promise<number | null> {
    const id = `err_${notice.id}`;
    const body = JSON.stringify({ type: 'workflow.error', data: notice.data });
    const { url, secret, retrySchedule } = this.options;
    const result = await trySignedDelivery(this.http, { url, secret, id, body, tries: notice.tries, retrySchedule, headers: () => this.alloyHeaders(notice) });
    const next = result.delivered ? null : result.retryAt;
    if (!result.delivered && next === null) {
      logger.warn(`error webhook: giving up on ${id} after ${notice.tries} ${notice.tries === 1 ? 'try' : 'tries'} (${result.error})`);
    }
    // Not recorded (the store is down): the notice is taken again when its hold runs out.
    const last = { status: result.status, error: result.delivered ? null : result.error };
    await this.store.logs.errorNoticeNext(notice.id, next, last).catch(() => undefined);
    return next;
  }
}
