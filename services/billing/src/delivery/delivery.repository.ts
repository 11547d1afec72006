import { Injectable } from '@nestjs/common';
import type { Charge as ChargeRow, Credit as CreditRow, Delivery as DeliveryRow, DeliveryAttempt as AttemptRow } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';
import { AttemptOutcome, DeliveryKind, DeliveryState, deliveryIdFor, messageControlIdFor, NextStep } from './delivery-policy';
import type { SqlExecutor } from '@slidecharge/messaging';
import type { DeliveryCase } from './delivery-rows';

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
  /** The key of the sender lock this claim was made under (sender-lock.ts). */
  claimerLock: number;
  /**
   * Set when the delivery was in flight at another sender that stopped before an answer: its lease ran
   * out, or (senderGone) no session held its lock any more.
   */
  interrupted?: { by: string | null; at: Date; senderGone: boolean };
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
  case: DeliveryCase | null;
  /** FT1-2 of the charge's own DFT^P03 (for a credit: the charge it reverses; for a charge: its own). */
  chargeTransactionId: string;
}

/** One attempt as the sender finished it: the delivery, what came of it, and what happens next. */
export interface AttemptResult {
  delivery: ClaimedDelivery;
  record: AttemptRecord;
  step: NextStep;
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

/**
 * The DFT^P03 delivery queue in Postgres (billing.delivery, billing.delivery_attempt): queuing, in the
 * caller's transaction (the one that posts or credits), and what the deliveries API reads and retries.
 * The sender's claims and outcomes are DeliverySenderRepository's (raw SQL; claims use FOR UPDATE SKIP
 * LOCKED, so several billing instances never take the same row at once).
 */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Queues the DFT^P03 of posted charges (ON CONFLICT DO NOTHING: a charge is queued once). A re-charge
   * waits for the credit of the charge it replaces, when that credit is queued. Returns the charge ids
   * queued now.
   */
  async enqueueCharges(tx: SqlExecutor, chargeIds: readonly string[], now: Date): Promise<string[]> {
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
  async enqueueCredits(tx: SqlExecutor, creditIds: readonly string[], now: Date): Promise<string[]> {
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
   * Deliveries of the accession that billing refused to send for what the case lacked (failed with
   * outcome not-sendable) are due again now: a newer case version may have what they need. Runs in
   * the transaction that stores the case. Returns how many.
   */
  async requeueNotSendable(tx: SqlExecutor, accessionNumber: string, now: Date): Promise<number> {
    return tx.$executeRawUnsafe(
      `UPDATE billing.delivery SET state = 'pending', attempts = 0, next_attempt_at = $2::timestamptz, updated_at = $2::timestamptz
        WHERE accession_number = $1 AND state = 'failed' AND last_outcome = 'not-sendable'`,
      accessionNumber,
      now.toISOString(),
    );
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
