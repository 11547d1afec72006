import { Inject, Injectable } from '@nestjs/common';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from '../config';
import { deliverySettingsOf } from './delivery.config';
import { DeliveryRepository } from './delivery.repository';
import type { SqlExecutor } from '@slidecharge/messaging';

/**
 * What the charging and review code calls, inside the transaction that posts a charge or credits one:
 * it queues the DFT^P03 in that same transaction, so a charge is queued exactly when it is posted
 * (a rollback takes both back, a redelivered event queues nothing new). Nothing is queued while
 * delivery is off (no BILLING_DFT_HOST/PORT): the billing system then reads billing.charges.v1.
 */
@Injectable()
export class DeliveryQueue {
  private readonly enabled: boolean;

  constructor(
    @Inject(BILLING_CONFIG) config: BillingConfig,
    private readonly repository: DeliveryRepository,
    private readonly runtime: ServiceRuntime,
  ) {
    this.enabled = deliverySettingsOf(config).enabled;
  }

  /** Charges that have just become posted (created billable, or released from review). */
  async chargesPosted(tx: SqlExecutor, chargeIds: readonly string[]): Promise<void> {
    if (!this.enabled || chargeIds.length === 0) return;
    await this.repository.enqueueCharges(tx, chargeIds, new Date());
  }

  /**
   * A newer version of the case was stored: its deliveries that were not sent for what the case lacked
   * are due again (the next attempt reads the case as it is now).
   */
  async caseStored(tx: SqlExecutor, accessionNumber: string): Promise<void> {
    if (!this.enabled) return;
    const requeued = await this.repository.requeueNotSendable(tx, accessionNumber, new Date());
    if (requeued > 0) this.runtime.logger.info({ accessionNumber, requeued }, `case ${accessionNumber} changed: ${requeued} DFT^P03 not sent for what it lacked are due again`);
  }

  /** Credits that have just reversed posted charges: each sent after its charge's own DFT^P03 is acknowledged. */
  async chargesCredited(tx: SqlExecutor, credits: readonly { creditId: string; chargeId: string }[]): Promise<void> {
    if (!this.enabled || credits.length === 0) return;
    const queued = new Set(await this.repository.enqueueCredits(tx, credits.map((c) => c.creditId), new Date()));
    for (const { creditId, chargeId } of credits.filter((c) => !queued.has(c.creditId.toLowerCase()))) {
      this.runtime.logger.info(
        { creditId, chargeId },
        `credit ${creditId} is not queued for DFT^P03: its charge ${chargeId} was never queued (posted while delivery was off), so the billing system never had it`,
      );
    }
  }
}
