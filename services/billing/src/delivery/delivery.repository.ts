import { Injectable } from '@nestjs/common';
import type { BillingCase as CaseRow, Charge as ChargeRow, Credit as CreditRow, Delivery as DeliveryRow, DeliveryAttempt as AttemptRow } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';
import { AttemptOutcome, DeliveryKind, DeliveryState, deliveryIdFor, messageControlIdFor, NextStep } from './delivery-policy';
import type { SqlExecutor } from '@slidecharge/messaging';

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
   * Takes the oldest due deliveries nobody else holds (at most `limit`, in queue order), in ONE
   * statement: pending and due, or in flight at a sender whose lease ran out; a delivery that waits for
   * another (a credit for its charge) only once that one is acked. Marks them in flight for this
   * instance until `leaseUntil` and counts the attempt.
   */
  async claimBatch(instance: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    const rows = await this.prisma.$queryRawUnsafe<ClaimRow[]>(
      `WITH next AS (
         SELECT d.id, d.state AS previous_state, d.claimed_by AS previous_claimer, d.updated_at AS previous_updated_at
           FROM billing.delivery d
          WHERE d.state IN ('pending', 'in-flight')
            AND ((d.state = 'pending' AND d.next_attempt_at <= $1::timestamptz) OR (d.state = 'in-flight' AND d.lease_until < $1::timestamptz))
            AND (d.depends_on IS NULL OR EXISTS (SELECT 1 FROM billing.delivery p WHERE p.id = d.depends_on AND p.state = 'acked'))
          ORDER BY d.seq
          LIMIT $4
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
      limit,
    );
    return rows.sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq))).map(toClaimed);
  }

  /**
   * Gives back claimed deliveries this instance did not send (it stopped, or the billing system was
   * unreachable): pending again, due now, the attempt not counted. One statement.
   */
  async release(instance: string, deliveries: readonly ClaimedDelivery[], now: Date): Promise<void> {
    if (deliveries.length === 0) return;
    await this.prisma.$executeRawUnsafe(
      `UPDATE billing.delivery d SET state = 'pending', attempts = d.attempts - 1, lease_until = NULL, next_attempt_at = $3::timestamptz, updated_at = $3::timestamptz
         FROM unnest($1::uuid[], $2::int[]) AS r(id, attempt)
        WHERE d.id = r.id AND d.state = 'in-flight' AND d.claimed_by = $4 AND d.attempts = r.attempt`,
      deliveries.map((d) => d.id),
      deliveries.map((d) => d.attempt),
      now.toISOString(),
      instance,
    );
  }

  /**
   * What the DFT^P03 of each delivery is built from (in the order given): its charge (and credit), the
   * case's fields the DFT^P03 needs, and the FT1-2 of the charge's own delivery. Four reads for the
   * whole batch. Posted charges and credits are never edited; the case is read as it is now, so a case
   * corrected after a refusal is what the next attempt sends.
   */
  async subjects(deliveries: readonly Pick<ClaimedDelivery, 'chargeId' | 'creditId' | 'transactionId'>[]): Promise<(DeliverySubject | Error)[]> {
    if (deliveries.length === 0) return [];
    const chargeIds = [...new Set(deliveries.map((d) => d.chargeId))];
    const creditIds = [...new Set(deliveries.flatMap((d) => (d.creditId ? [d.creditId] : [])))];
    const charges = new Map((await this.prisma.charge.findMany({ where: { chargeId: { in: chargeIds } } })).map((c) => [c.chargeId, c]));
    const credits = new Map(
      (creditIds.length ? await this.prisma.credit.findMany({ where: { creditId: { in: creditIds } } }) : []).map((c) => [c.creditId, c]),
    );
    const accessions = [...new Set([...charges.values()].map((c) => c.accessionNumber))];
    const cases = new Map(
      (
        await this.prisma.billingCase.findMany({
          where: { accessionNumber: { in: accessions } },
          select: { accessionNumber: true, patient: true, payerName: true, payerPlan: true, orderingProvider: true, orderingProviderNpi: true },
        })
      ).map(({ accessionNumber, ...rest }) => [accessionNumber, rest]),
    );
    const creditedCharges = [...new Set(deliveries.filter((d) => d.creditId).map((d) => d.chargeId))];
    const chargeDeliveries = new Map(
      (creditedCharges.length
        ? await this.prisma.delivery.findMany({ where: { kind: 'charge', chargeId: { in: creditedCharges } }, select: { chargeId: true, seq: true } })
        : []
      ).map((d) => [d.chargeId, d.seq.toString()]),
    );
    return deliveries.map((d) => {
      const charge = charges.get(d.chargeId);
      if (!charge) return new Error(`charge ${d.chargeId} of a delivery is missing`);
      const credit = d.creditId ? credits.get(d.creditId) : null;
      if (credit === undefined) return new Error(`credit ${d.creditId} of a delivery is missing`);
      const chargeTransactionId = credit ? chargeDeliveries.get(d.chargeId) : d.transactionId;
      if (chargeTransactionId === undefined) return new Error(`the delivery of charge ${d.chargeId} credited by ${d.creditId} is missing`);
      return { charge, credit, case: cases.get(charge.accessionNumber) ?? null, chargeTransactionId };
    });
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

  /**
   * Records attempts (history, always, with the interrupted attempt a claim found) and applies their
   * outcomes to the deliveries, in one transaction of two statements whatever their number. An
   * acceptance applies whatever happened meanwhile (an ACK is final); anything else only while this
   * instance still holds the delivery for this attempt (not when its lease ran out and another sender
   * took it). Returns the ids of the deliveries that changed.
   */
  async recordAttempts(instance: string, results: readonly AttemptResult[]): Promise<Set<string>> {
    if (results.length === 0) return new Set();
    const interrupted = results.flatMap(({ delivery, record }) => (delivery.interrupted ? [interruptedAttempt(delivery, record.startedAt)] : []));
    const attempts = results.map(({ delivery, record }) => ({
      deliveryId: delivery.id,
      attempt: delivery.attempt,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      outcome: record.outcome,
      ack: record.ack,
      detail: record.detail,
      sentBy: instance,
    }));
    const rows = await this.prisma.$transaction(async (tx) => {
      await tx.deliveryAttempt.createMany({ data: [...interrupted, ...attempts] });
      return tx.$queryRawUnsafe<{ id: string }[]>(
        `UPDATE billing.delivery d
            SET state = r.state, last_outcome = r.outcome, last_error = CASE WHEN r.state = 'acked' THEN NULL ELSE r.detail END,
                lease_until = NULL, updated_at = r.finished_at,
                acked_at = CASE WHEN r.state = 'acked' THEN r.finished_at ELSE d.acked_at END,
                next_attempt_at = COALESCE(r.next_attempt_at, d.next_attempt_at),
                message = COALESCE(d.message, r.message)
           FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[])
                AS r(id, attempt, state, outcome, detail, finished_at, next_attempt_at, message)
          WHERE d.id = r.id
            AND (CASE WHEN r.state = 'acked' THEN d.state <> 'acked'
                      ELSE d.state = 'in-flight' AND d.claimed_by = $9 AND d.attempts = r.attempt END)
          RETURNING d.id::text AS id`,
        results.map((r) => r.delivery.id),
        results.map((r) => r.delivery.attempt),
        results.map((r) => r.step.state),
        results.map((r) => r.record.outcome),
        results.map((r) => r.record.detail),
        results.map((r) => r.record.finishedAt.toISOString()),
        results.map((r) => (r.step.state === 'pending' ? r.step.nextAttemptAt.toISOString() : null)),
        results.map((r) => r.record.message),
        instance,
      );
    });
    return new Set(rows.map((r) => r.id));
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

function toClaimed(row: ClaimRow): ClaimedDelivery {
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

/** The history line of an earlier attempt whose sender stopped before an answer (found when its lease ran out). */
function interruptedAttempt(delivery: ClaimedDelivery, now: Date) {
  return {
    deliveryId: delivery.id,
    attempt: delivery.attempt - 1,
    startedAt: delivery.interrupted?.at ?? now,
    finishedAt: now,
    outcome: 'interrupted',
    ack: null,
    detail: 'the sender stopped before an answer came (its lease ran out); sent again with the same MSH-10',
    sentBy: delivery.interrupted?.by ?? 'unknown',
  };
}
