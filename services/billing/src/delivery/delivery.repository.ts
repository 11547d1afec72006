import { Injectable } from '@nestjs/common';
import type { Db } from '../charging/billing.repository';
import type {
  BillingCase as CaseRow,
  Charge as ChargeRow,
  Credit as CreditRow,
  Delivery as DeliveryRow,
  DeliveryAttempt as AttemptRow,
} from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';
import { AttemptOutcome, DeliveryKind, DeliveryState, deliveryIdFor, messageControlIdFor, NextStep } from './delivery-policy';

/** A delivery the sender has claimed (state in-flight, attempts already counted). */
export interface ClaimedDelivery {
  id: string;
  kind: DeliveryKind;
  chargeId: string;
  creditId: string | null;
  accessionNumber: string;
  messageControlId: string;
  /** FT1-2 of its DFT^P03: the delivery's sequence number (unique per charge and per credit, never reused). */
  transactionId: string;
  /** This attempt's number. */
  attempt: number;
  createdAt: Date;
  /** Set when the delivery was in flight at another sender whose lease ran out (it stopped before an answer). */
  interrupted?: { by: string | null; at: Date };
}

/** What one attempt came to, as the sender saw it. */
export interface AttemptRecord {
  outcome: AttemptOutcome;
  detail: string | null;
  ack: string | null;
  message: string | null;
  startedAt: Date;
  finishedAt: Date;
}

/** What the DFT^P03 of a delivery is built from. */
export interface DeliverySubject {
  charge: ChargeRow;
  credit: CreditRow | null;
  /** The case as billing last stored it (patient, payer name and plan, ordering provider); null when unknown. */
  case: Pick<CaseRow, 'patient' | 'payerName' | 'payerPlan' | 'orderingProvider' | 'orderingProviderNpi'> | null;
  /** FT1-2 of the charge's own DFT^P03 (for a credit: the charge it reverses; for a charge: its own). */
  chargeTransactionId: string;
}

/** Open deliveries per state. */
export type OpenCounts = Record<Exclude<DeliveryState, 'acked'>, number>;

export type DeliveryWithHistory = DeliveryRow & { history: AttemptRow[]; dependency: { state: string; seq: bigint } | null };
export type DeliveryWithDependency = DeliveryRow & { dependency: { state: string; seq: bigint } | null };

export class DeliveryNotFoundError extends Error {
  constructor(readonly deliveryId: string) {
    super(`no delivery ${deliveryId}`);
  }
}

export class DeliveryStateError extends Error {
  constructor(
    readonly deliveryId: string,
    readonly state: string,
  ) {
    super(`delivery ${deliveryId} is ${state}; only a failed delivery can be retried (a pending or in-flight one is being retried already, an acked one is never sent again)`);
  }
}

interface ClaimRow {
  id: string;
  kind: DeliveryKind;
  chargeId: string;
  creditId: string | null;
  accessionNumber: string;
  messageControlId: string;
  seq: string;
  attempts: number;
  createdAt: Date;
  previousState: DeliveryState;
  previousClaimer: string | null;
  previousUpdatedAt: Date;
}

/**
 * The DFT^P03 delivery queue in Postgres (billing.delivery, billing.delivery_attempt). Queuing runs in
 * the caller's transaction (the one that posts or credits); claiming is one statement with
 * FOR UPDATE SKIP LOCKED, so several billing instances never take the same row at once.
 */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Queues the DFT^P03 of posted charges (ON CONFLICT DO NOTHING: a charge is queued once). A re-charge
   * waits for the credit of the charge it replaces, when that credit is queued. Returns the charge ids
   * queued now.
   */
  async enqueueCharges(tx: Db, chargeIds: readonly string[], now: Date): Promise<string[]> {
    if (chargeIds.length === 0) return [];
    const ids = chargeIds.map((c) => c.toLowerCase());
    const rows = await tx.$queryRawUnsafe<{ charge_id: string }[]>(
      `INSERT INTO billing.delivery AS d (id, kind, charge_id, credit_id, accession_number, message_control_id, depends_on,
                                         state, attempts, next_attempt_at, created_at, updated_at)
       SELECT q.id, 'charge', c.charge_id, NULL, c.accession_number, q.control_id,
              (SELECT p.id FROM billing.delivery p WHERE p.kind = 'credit' AND p.charge_id = c.replaces_charge_id),
              'pending', 0, $4::timestamptz, $4::timestamptz, $4::timestamptz
         FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS q(charge_id, id, control_id)
         JOIN billing.charge c ON c.charge_id = q.charge_id
        ORDER BY c.charge_key
       ON CONFLICT DO NOTHING
       RETURNING d.charge_id::text AS charge_id`,
      ids,
      ids.map((id) => deliveryIdFor('charge', id)),
      ids.map((id) => messageControlIdFor('charge', id)),
      now.toISOString(),
    );
    return rows.map((r) => r.charge_id);
  }

  /**
   * Queues the DFT^P03 (FT1-6 = CD) of credits, each after its charge's delivery. A credit whose charge
   * was never queued (posted while delivery was off) is not queued: the billing system never got the
   * charge. Returns the credit ids queued now.
   */
  async enqueueCredits(tx: Db, creditIds: readonly string[], now: Date): Promise<string[]> {
    if (creditIds.length === 0) return [];
    const ids = creditIds.map((c) => c.toLowerCase());
    const rows = await tx.$queryRawUnsafe<{ credit_id: string }[]>(
      `INSERT INTO billing.delivery AS d (id, kind, charge_id, credit_id, accession_number, message_control_id, depends_on,
                                         state, attempts, next_attempt_at, created_at, updated_at)
       SELECT q.id, 'credit', cr.credit_for, cr.credit_id, p.accession_number, q.control_id, p.id,
              'pending', 0, $4::timestamptz, $4::timestamptz, $4::timestamptz
         FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS q(credit_id, id, control_id)
         JOIN billing.credit cr ON cr.credit_id = q.credit_id
         JOIN billing.delivery p ON p.kind = 'charge' AND p.charge_id = cr.credit_for
        ORDER BY cr.credit_id
       ON CONFLICT DO NOTHING
       RETURNING d.credit_id::text AS credit_id`,
      ids,
      ids.map((id) => deliveryIdFor('credit', id)),
      ids.map((id) => messageControlIdFor('credit', id)),
      now.toISOString(),
    );
    return rows.map((r) => r.credit_id);
  }

  /**
   * Takes the oldest due delivery nobody else holds: pending and due, or in flight at a sender whose
   * lease ran out; a delivery that waits for another (a credit for its charge) only once that one is
   * acked. Marks it in flight for this instance until `leaseUntil` and counts the attempt.
   */
  async claim(instance: string, now: Date, leaseUntil: Date): Promise<ClaimedDelivery | undefined> {
    const rows = await this.prisma.$queryRawUnsafe<ClaimRow[]>(
      `WITH next AS (
         SELECT d.id, d.state AS previous_state, d.claimed_by AS previous_claimer, d.updated_at AS previous_updated_at
           FROM billing.delivery d
          WHERE d.state IN ('pending', 'in-flight')
            AND ((d.state = 'pending' AND d.next_attempt_at <= $1::timestamptz) OR (d.state = 'in-flight' AND d.lease_until < $1::timestamptz))
            AND (d.depends_on IS NULL OR EXISTS (SELECT 1 FROM billing.delivery p WHERE p.id = d.depends_on AND p.state = 'acked'))
          ORDER BY d.seq
          LIMIT 1
          FOR UPDATE OF d SKIP LOCKED)
       UPDATE billing.delivery d
          SET state = 'in-flight', attempts = d.attempts + 1, lease_until = $2::timestamptz, claimed_by = $3, updated_at = $1::timestamptz
         FROM next
        WHERE d.id = next.id
       RETURNING d.id::text AS id, d.kind, d.charge_id::text AS "chargeId", d.credit_id::text AS "creditId",
                 d.accession_number AS "accessionNumber", d.message_control_id AS "messageControlId", d.seq::text AS seq, d.attempts,
                 d.created_at AS "createdAt", next.previous_state AS "previousState", next.previous_claimer AS "previousClaimer",
                 next.previous_updated_at AS "previousUpdatedAt"`,
      now.toISOString(),
      leaseUntil.toISOString(),
      instance,
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      kind: row.kind,
      chargeId: row.chargeId,
      creditId: row.creditId,
      accessionNumber: row.accessionNumber,
      messageControlId: row.messageControlId,
      transactionId: row.seq,
      attempt: row.attempts,
      createdAt: new Date(row.createdAt),
      ...(row.previousState === 'in-flight' ? { interrupted: { by: row.previousClaimer, at: new Date(row.previousUpdatedAt) } } : {}),
    };
  }

  /**
   * The charge (and credit) a delivery carries, the case's fields the DFT^P03 needs, and the FT1-2 of
   * the charge's own delivery. Posted charges and credits are never edited; the case is read as it is
   * now, so a case corrected after a refusal is what the next attempt sends.
   */
  async subject(delivery: Pick<ClaimedDelivery, 'chargeId' | 'creditId' | 'accessionNumber' | 'transactionId'>): Promise<DeliverySubject> {
    const charge = await this.prisma.charge.findUniqueOrThrow({ where: { chargeId: delivery.chargeId } });
    const credit = delivery.creditId ? await this.prisma.credit.findUniqueOrThrow({ where: { creditId: delivery.creditId } }) : null;
    const billingCase = await this.prisma.billingCase.findUnique({
      where: { accessionNumber: charge.accessionNumber },
      select: { patient: true, payerName: true, payerPlan: true, orderingProvider: true, orderingProviderNpi: true },
    });
    const chargeDelivery = credit
      ? await this.prisma.delivery.findUniqueOrThrow({ where: { kind_chargeId: { kind: 'charge', chargeId: delivery.chargeId } }, select: { seq: true } })
      : undefined;
    return { charge, credit, case: billingCase, chargeTransactionId: chargeDelivery ? chargeDelivery.seq.toString() : delivery.transactionId };
  }

  /**
   * Deliveries of the accession that billing refused to send for what the case lacked (failed with
   * outcome not-sendable) are due again now: a newer case version may have what they need. Runs in
   * the transaction that stores the case. Returns how many.
   */
  async requeueNotSendable(tx: Db, accessionNumber: string, now: Date): Promise<number> {
    const { count } = await tx.delivery.updateMany({
      where: { accessionNumber, state: 'failed', lastOutcome: 'not-sendable' },
      data: { state: 'pending', attempts: 0, nextAttemptAt: now, updatedAt: now },
    });
    return count;
  }

  /**
   * Records an attempt (history, always) and applies its outcome to the delivery. An acceptance applies
   * whatever happened meanwhile (an ACK is final); anything else only while this instance still holds
   * the delivery for this attempt (not when its lease ran out and another sender took it).
   * Returns whether the delivery changed.
   */
  async recordAttempt(delivery: ClaimedDelivery, instance: string, record: AttemptRecord, step: NextStep): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      await tx.deliveryAttempt.create({
        data: {
          deliveryId: delivery.id,
          attempt: delivery.attempt,
          startedAt: record.startedAt,
          finishedAt: record.finishedAt,
          outcome: record.outcome,
          ack: record.ack,
          detail: record.detail,
          sentBy: instance,
        },
      });
      const common = {
        lastOutcome: record.outcome,
        lastError: step.state === 'acked' ? null : record.detail,
        leaseUntil: null,
        updatedAt: record.finishedAt,
      };
      const { count } =
        step.state === 'acked'
          ? await tx.delivery.updateMany({
              where: { id: delivery.id, state: { not: 'acked' } },
              data: { ...common, state: 'acked', ackedAt: record.finishedAt },
            })
          : await tx.delivery.updateMany({
              where: { id: delivery.id, state: 'in-flight', claimedBy: instance, attempts: delivery.attempt },
              data: { ...common, state: step.state, ...(step.state === 'pending' ? { nextAttemptAt: step.nextAttemptAt } : {}) },
            });
      if (record.message !== null) {
        await tx.delivery.updateMany({ where: { id: delivery.id, message: null }, data: { message: record.message } });
      }
      return count === 1;
    });
  }

  /** Records that an earlier attempt's sender stopped before an answer (found when its lease ran out). */
  async recordInterrupted(delivery: ClaimedDelivery, now: Date): Promise<void> {
    if (!delivery.interrupted) return;
    await this.prisma.deliveryAttempt.create({
      data: {
        deliveryId: delivery.id,
        attempt: delivery.attempt - 1,
        startedAt: delivery.interrupted.at,
        finishedAt: now,
        outcome: 'interrupted',
        ack: null,
        detail: 'the sender stopped before an answer came (its lease ran out); sent again with the same MSH-10',
        sentBy: delivery.interrupted.by ?? 'unknown',
      },
    });
  }

  /** failed -> pending, due now, attempts counted afresh. */
  async retry(deliveryId: string, actor: string, now: Date): Promise<void> {
    const { count } = await this.prisma.delivery.updateMany({
      where: { id: deliveryId, state: 'failed' },
      data: {
        state: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        manualRetries: { increment: 1 },
        lastRetryBy: actor,
        lastRetryAt: now,
        updatedAt: now,
      },
    });
    if (count === 1) return;
    const row = await this.prisma.delivery.findUnique({ where: { id: deliveryId }, select: { state: true } });
    if (!row) throw new DeliveryNotFoundError(deliveryId);
    throw new DeliveryStateError(deliveryId, row.state);
  }

  async one(deliveryId: string): Promise<DeliveryWithHistory | null> {
    return this.prisma.delivery.findUnique({
      where: { id: deliveryId },
      include: { history: { orderBy: { id: 'asc' } }, dependency: { select: { state: true, seq: true } } },
    });
  }

  /** The deliveries of a charge: its own, then its credit's. */
  async ofCharge(chargeId: string): Promise<DeliveryWithHistory[]> {
    return this.prisma.delivery.findMany({
      where: { chargeId },
      orderBy: { seq: 'asc' },
      include: { history: { orderBy: { id: 'asc' } }, dependency: { select: { state: true, seq: true } } },
    });
  }

  async list(filter: { state?: DeliveryState; accession?: string; limit: number }): Promise<DeliveryWithDependency[]> {
    return this.prisma.delivery.findMany({
      where: { ...(filter.state ? { state: filter.state } : {}), ...(filter.accession ? { accessionNumber: filter.accession } : {}) },
      orderBy: { seq: 'asc' },
      take: filter.limit,
      include: { dependency: { select: { state: true, seq: true } } },
    });
  }

  /**
   * Deliveries still open, per state (pending, in-flight, failed), and how long the oldest due one has
   * waited: queue depth for readiness and metrics. Acked rows are not counted (they only grow; the
   * attempts counter has the throughput), so this stays cheap on the state index.
   */
  async depth(now: Date): Promise<{ counts: OpenCounts; oldestDueSeconds: number }> {
    const rows = await this.prisma.$queryRawUnsafe<{ state: keyof OpenCounts; n: number; oldest_due: Date | null }[]>(
      `SELECT state, count(*)::int AS n,
              min(next_attempt_at) FILTER (WHERE state = 'pending' AND next_attempt_at <= $1::timestamptz) AS oldest_due
         FROM billing.delivery WHERE state IN ('pending', 'in-flight', 'failed') GROUP BY state`,
      now.toISOString(),
    );
    const counts: OpenCounts = { pending: 0, 'in-flight': 0, failed: 0 };
    let oldest: number | undefined;
    for (const r of rows) {
      counts[r.state] = r.n;
      if (r.oldest_due) oldest = new Date(r.oldest_due).getTime();
    }
    return { counts, oldestDueSeconds: oldest === undefined ? 0 : Math.max(0, (now.getTime() - oldest) / 1000) };
  }
}
