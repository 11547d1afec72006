import { Injectable } from '@nestjs/common';
import { Charge, Credit } from '@slidecharge/contracts';
import { buildEvent, ContractViolationError, OutgoingMessage, RejectedMessageError, SqlExecutor } from '@slidecharge/messaging';
import { chargeCreditedEventIdFor, chargePostedEventIdFor } from '../charge/charge-id';
import { DeliveryQueue } from '../delivery/delivery.queue'; // issue #4: DFT^P03 delivery
import { AuditEntry, BillingRepository } from './billing.repository';

/** What a transaction did to charges, for ChargePosting.record: the state changes are already written. */
export interface PostingRecord {
  /** Charges that have just become posted (created billable, or released from review), with their charge.posted events. */
  posted?: readonly { chargeId: string; event: OutgoingMessage<'billing.charges.v1'> }[];
  /** Credits that have just reversed posted charges (their charges are already 'credited'), with their events. */
  credits?: readonly { credit: Credit; traceId: string | null; event: OutgoingMessage<'billing.charges.v1'> }[];
  /** The audit lines of every change. */
  audits: readonly AuditEntry[];
}

/**
 * The one place where posting and crediting are recorded, by the rules (ChargingService) and by the
 * billing staff (ReviewService): in the transaction of the state change, the credit rows, the DFT^P03
 * queue (charge, then its credit after it), the audit trail, and the events for the outbox. Also builds
 * those events, so that a charge.posted or charge.credited event has one shape and one stable id.
 */
@Injectable()
export class ChargePosting {
  constructor(
    private readonly repository: BillingRepository,
    private readonly deliveries: DeliveryQueue,
  ) {}

  /**
   * Writes what follows the state changes and returns the events for the outbox of the same
   * transaction: per accession (the topic's key) credits before the charges that replace them.
   */
  async record(tx: SqlExecutor, record: PostingRecord): Promise<OutgoingMessage<'billing.charges.v1'>[]> {
    const credits = record.credits ?? [];
    const posted = record.posted ?? [];
    await this.repository.insertCredits(tx, credits);
    await this.deliveries.chargesCredited(tx, credits.map((c) => ({ creditId: c.credit.creditId, chargeId: c.credit.creditFor })));
    await this.deliveries.chargesPosted(tx, posted.map((p) => p.chargeId));
    await this.repository.audit(tx, record.audits);
    return [...credits.map((c) => c.event), ...posted.map((p) => p.event)];
  }

  /** The charge.posted event of a charge (also when a held charge is released). */
  chargePostedEvent(charge: Charge, postedAt: Date): OutgoingMessage<'billing.charges.v1'> {
    return contractChecked(`charge ${charge.chargeKey}`, () =>
      buildEvent('billing.charges.v1', 'charge.posted', charge.accessionNumber, charge, {
        producer: 'billing',
        eventId: chargePostedEventIdFor(charge.chargeId),
        occurredAt: postedAt,
      }),
    );
  }

  /** The charge.credited event of a credit. */
  creditEvent(credit: Credit, creditedAt: Date): OutgoingMessage<'billing.charges.v1'> {
    return contractChecked(`credit of ${credit.chargeKey}`, () =>
      buildEvent('billing.charges.v1', 'charge.credited', credit.accessionNumber, credit, {
        producer: 'billing',
        eventId: chargeCreditedEventIdFor(credit.creditId),
        occurredAt: creditedAt,
      }),
    );
  }
}

function contractChecked<T>(what: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    // Deterministic: retrying cannot help, so the event goes to the dead-letter topic at once.
    if (e instanceof ContractViolationError) throw new RejectedMessageError(`${what} would break the contract: ${e.message}`);
    throw e;
  }
}
