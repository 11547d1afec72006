import { Injectable } from '@nestjs/common';
import { writeOutbox } from '@slidecharge/messaging';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { chargeFromRow, storedStatus } from '../charge/charge-row';
import { StoredChargeStatus } from '../charge/charge-status';
import { BillingRepository } from '../charging/billing.repository';
import { ChargePosting } from '../charging/charge-posting.service';
import { caseLockKey } from '../charging/facts';
import { BillingMetricsService } from '../metrics/billing-metrics.service';
import { BILLING_SCHEMA, PrismaService } from '../prisma.service';

export class ChargeNotFoundError extends Error {
  constructor(readonly chargeId: string) {
    super(`no charge ${chargeId}`);
  }
}

/** The charge is not in a state the action applies to (someone else acted first, or it was never held). */
export class ChargeStateError extends Error {
  constructor(
    readonly chargeId: string,
    readonly status: StoredChargeStatus,
    action: string,
    allowed: readonly StoredChargeStatus[],
  ) {
    super(`charge ${chargeId} is ${status}; only a ${allowed.join(' or ')} charge can be ${action}`);
  }
}

const TX = { timeout: 30_000, maxWait: 10_000 };

/**
 * The billing staff's actions on the review queue. Each runs in one transaction under the case's lock
 * (so it serializes with the events of that case): state change, audit line and, for a release, the
 * charge.posted event in the outbox.
 */
@Injectable()
export class ReviewService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repository: BillingRepository,
    private readonly posting: ChargePosting,
    private readonly runtime: ServiceRuntime,
    private readonly metrics: BillingMetricsService,
  ) {}

  /** held -> posted: the charge goes onto the charges topic, with who released it and why. */
  async release(chargeId: string, actor: string, justification: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const accession = await tx.charge.findUnique({ where: { chargeId }, select: { accessionNumber: true } });
      if (!accession) throw new ChargeNotFoundError(chargeId);
      await this.repository.lock(tx, [caseLockKey(accession.accessionNumber)]);
      const row = await tx.charge.findUniqueOrThrow({ where: { chargeId } });
      if (row.status !== 'held') throw new ChargeStateError(chargeId, storedStatus(row), 'released', ['held']);
      const now = new Date();
      const release = { by: actor, justification, at: now.toISOString() };
      const charge = { ...chargeFromRow({ ...row, postedAt: now, release }), release };
      const event = this.posting.chargePostedEvent(charge, now);
      // Guarded by state: a reversal committed meanwhile (an event of the case) makes this a conflict.
      if (!(await this.repository.changeStatus(tx, chargeId, ['held'], 'posted', now, { postedAt: now, release }))) {
        throw new ChargeStateError(chargeId, storedStatus(await tx.charge.findUniqueOrThrow({ where: { chargeId }, select: { status: true } })), 'released', ['held']);
      }
      const audits = [{ chargeId, at: now, actor, action: 'released', fromStatus: 'held', toStatus: 'posted', reason: justification }] as const;
      await writeOutbox(tx, BILLING_SCHEMA, await this.posting.record(tx, { posted: [{ chargeId, event }], audits }));
    }, TX);
    this.runtime.wakeRelay();
    await this.metrics.chargesPosted([chargeId]);
    this.runtime.logger.info({ chargeId, actor }, `charge ${chargeId} released from review by ${actor}`);
  }

  /** held or do-not-send -> voided: withdrawn before it was ever sent. */
  async void(chargeId: string, actor: string, reason: string): Promise<void> {
    const allowed: StoredChargeStatus[] = ['held', 'do-not-send'];
    await this.prisma.$transaction(async (tx) => {
      const accession = await tx.charge.findUnique({ where: { chargeId }, select: { accessionNumber: true } });
      if (!accession) throw new ChargeNotFoundError(chargeId);
      await this.repository.lock(tx, [caseLockKey(accession.accessionNumber)]);
      const row = await tx.charge.findUniqueOrThrow({ where: { chargeId }, select: { status: true } });
      const from = storedStatus(row);
      if (!allowed.includes(from)) throw new ChargeStateError(chargeId, from, 'voided', allowed);
      const now = new Date();
      if (!(await this.repository.changeStatus(tx, chargeId, allowed, 'voided', now))) {
        throw new ChargeStateError(chargeId, storedStatus(await tx.charge.findUniqueOrThrow({ where: { chargeId }, select: { status: true } })), 'voided', allowed);
      }
      await this.posting.record(tx, { audits: [{ chargeId, at: now, actor, action: 'voided', fromStatus: from, toStatus: 'voided', reason }] });
    }, TX);
    this.runtime.logger.info({ chargeId, actor }, `charge ${chargeId} voided by ${actor}`);
  }
}
