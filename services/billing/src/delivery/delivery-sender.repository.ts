import { Inject, Injectable } from '@nestjs/common';
import { PgTransactions, ServiceRuntime } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from '../config';
import type { Charge as ChargeRow, Credit as CreditRow } from '../generated/prisma/client';
import type { AttemptResult, ClaimedDelivery, DeliverySubject } from './delivery.repository';
import { chargeRowOf, DeliveryCase, SELECT_CASES, SELECT_CHARGES, SELECT_CREDITS } from './delivery-rows';
import { DeliveryState } from './delivery-policy';
import { SENDER_LOCK_CLASS, SenderLock } from './sender-lock';

interface ClaimRow {
  id: string;
  kind: ClaimedDelivery['kind'];
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
  /** It was in flight at a sender whose lock no session holds, before its lease ran out. */
  takenOver: boolean;
}

/**
 * The keys of the DFT^P03 senders alive now: the advisory locks of class SENDER_LOCK_CLASS held in this
 * database (pg_locks lists every database's; the two-key form has objsubid 2, classid and objid the two
 * keys as oids). pg_locks is a public view: billing's own role reads it.
 */
const LIVE_SENDER_LOCKS = `SELECT l.objid FROM pg_locks l
  WHERE l.locktype = 'advisory' AND l.classid = ${SENDER_LOCK_CLASS}::oid AND l.objsubid = 2 AND l.granted
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

/**
 * The DFT^P03 sender's side of the delivery queue (billing.delivery, billing.delivery_attempt): claim,
 * mark what is being sent, read what the messages are built from, record the outcomes, give back what
 * was not sent. Raw SQL on a pg pool of its own (a connection per lane and one more: outcomes are recorded
 * while the next message waits for its ACK), except the claim and the marks, which run on the sender's lock session
 * (SenderLock: one per sender); each claim, mark and release one autocommitted statement, the reads
 * three statements per batch, the outcomes one statement. The queue's other uses (queuing in the posting
 * transaction, the deliveries API) are DeliveryRepository's.
 */
@Injectable()
export class DeliverySenderRepository {
  private readonly sql: PgTransactions;

  constructor(runtime: ServiceRuntime, @Inject(BILLING_CONFIG) config: BillingConfig) {
    // Closed by the runtime at shutdown, after DeliveryWorker stopped (in beforeApplicationShutdown).
    // One connection per lane (its reads and outcomes) and one more, for the outcomes written behind the sends.
    this.sql = runtime.rawSql('billing-delivery', config.BILLING_DFT_CONNECTIONS + 1);
  }

  /**
   * Takes the oldest due deliveries nobody else holds (at most `limit`, in queue order), in ONE
   * statement on the sender's lock session (so only while it holds its lock): pending and due, or in
   * flight at a sender whose lease ran out, or in flight at a sender that is gone (no session holds the
   * lock its claim recorded; claims from before claimer_lock existed only by their lease) unless that
   * sender had marked it as being sent and its sending window is still open (database clock: one clock
   * for the mark and the check); a delivery that waits for another (a credit for its charge) only once
   * that one is acked. Marks them in flight for this instance and its lock until `leaseUntil` and counts
   * the attempt.
   */
  async claimBatch(lock: SenderLock, instance: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    const key = await lock.hold();
    const rows = await lock.query<ClaimRow>(
      key,
      `WITH next AS (
         SELECT d.id, d.state AS previous_state, d.claimed_by AS previous_claimer, d.updated_at AS previous_updated_at,
                (d.state = 'in-flight' AND d.lease_until >= $1::timestamptz) AS taken_over
           FROM billing.delivery d
          WHERE d.state IN ('pending', 'in-flight')
            AND ((d.state = 'pending' AND d.next_attempt_at <= $1::timestamptz)
                 OR (d.state = 'in-flight' AND d.lease_until < $1::timestamptz)
                 OR (d.state = 'in-flight' AND d.claimer_lock IS NOT NULL
                     AND (d.sending_until IS NULL OR d.sending_until < clock_timestamp())
                     AND d.claimer_lock::oid NOT IN (${LIVE_SENDER_LOCKS})))
            AND (d.depends_on IS NULL OR EXISTS (SELECT 1 FROM billing.delivery p WHERE p.id = d.depends_on AND p.state = 'acked'))
          ORDER BY d.seq
          LIMIT $4
          FOR UPDATE OF d SKIP LOCKED)
       UPDATE billing.delivery d
          SET state = 'in-flight', attempts = d.attempts + 1, lease_until = $2::timestamptz, claimed_by = $3, claimer_lock = $5,
              sending_until = NULL, updated_at = $1::timestamptz
         FROM next
        WHERE d.id = next.id
       RETURNING d.id::text AS id, d.kind, d.charge_id::text AS "chargeId", d.credit_id::text AS "creditId",
                 d.accession_number AS "accessionNumber", d.message_control_id AS "messageControlId", d.seq::text AS seq, d.attempts,
                 d.created_at AS "createdAt", next.previous_state AS "previousState", next.previous_claimer AS "previousClaimer",
                 next.previous_updated_at AS "previousUpdatedAt", next.taken_over AS "takenOver"`,
      now.toISOString(),
      leaseUntil.toISOString(),
      instance,
      limit,
      key,
    );
    return rows.sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq))).map((row) => toClaimed(row, key));
  }

  /**
   * Marks a claimed delivery as being sent, until `windowMs` from now (database clock), just before it
   * is sent; false when it must not be sent: it is no longer this sender's claim under this lock (another
   * sender took it) or the session no longer holds the lock (checked in the statement itself). Throws
   * when the lock's session is gone. One statement on the lock session.
   */
  async markSending(lock: SenderLock, instance: string, delivery: ClaimedDelivery, windowMs: number): Promise<boolean> {
    const rows = await lock.query<{ id: string }>(
      delivery.claimerLock,
      `UPDATE billing.delivery d SET sending_until = clock_timestamp() + make_interval(secs => $5::double precision / 1000)
        WHERE d.id = $1 AND d.state = 'in-flight' AND d.claimed_by = $2 AND d.attempts = $3 AND d.claimer_lock = $4
          AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = pg_backend_pid() AND l.locktype = 'advisory' AND l.classid = ${SENDER_LOCK_CLASS}::oid
                         AND l.objid = $4::int::oid AND l.objsubid = 2 AND l.granted)
        RETURNING d.id::text AS id`,
      delivery.id,
      instance,
      delivery.attempt,
      delivery.claimerLock,
      windowMs,
    );
    return rows.length === 1;
  }

  /**
   * Gives back claimed deliveries this instance did not send (it stopped, or the billing system was
   * unreachable): pending again, due now, the attempt not counted. One statement.
   */
  async release(instance: string, deliveries: readonly ClaimedDelivery[], now: Date): Promise<void> {
    if (deliveries.length === 0) return;
    await this.sql.query(
      `UPDATE billing.delivery d SET state = 'pending', attempts = d.attempts - 1, lease_until = NULL, sending_until = NULL, next_attempt_at = $3::timestamptz, updated_at = $3::timestamptz
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
   * case's fields the DFT^P03 needs, and the FT1-2 of the charge's own delivery. At most four reads for
   * the whole batch. Posted charges and credits are never edited; the case is read as it is now, so a
   * case corrected after a refusal is what the next attempt sends.
   */
  async subjects(deliveries: readonly Pick<ClaimedDelivery, 'chargeId' | 'creditId' | 'transactionId'>[]): Promise<(DeliverySubject | Error)[]> {
    if (deliveries.length === 0) return [];
    const chargeIds = [...new Set(deliveries.map((d) => d.chargeId))];
    const creditIds = [...new Set(deliveries.flatMap((d) => (d.creditId ? [d.creditId] : [])))];
    const chargeRows = await this.sql.query<Parameters<typeof chargeRowOf>[0]>(SELECT_CHARGES, chargeIds);
    const charges = new Map(chargeRows.map((row) => [row.chargeId, chargeRowOf(row)]));
    const credits = new Map((creditIds.length ? await this.sql.query<CreditRow>(SELECT_CREDITS, creditIds) : []).map((c) => [c.creditId, c]));
    const accessions = [...new Set([...charges.values()].map((c) => c.accessionNumber))];
    const caseRows = await this.sql.query<DeliveryCase & { accessionNumber: string }>(SELECT_CASES, accessions);
    const cases = new Map(caseRows.map(({ accessionNumber, ...rest }) => [accessionNumber, rest]));
    const chargeTransactionIds = await this.chargeTransactionIds(deliveries);
    return deliveries.map((d) => subjectOf(d, charges, credits, cases, chargeTransactionIds));
  }

  /** FT1-2 (the delivery's seq) of the charges' own deliveries, for the credits among `deliveries`. */
  private async chargeTransactionIds(deliveries: readonly Pick<ClaimedDelivery, 'chargeId' | 'creditId'>[]): Promise<Map<string, string>> {
    const creditedCharges = [...new Set(deliveries.filter((d) => d.creditId).map((d) => d.chargeId))];
    if (creditedCharges.length === 0) return new Map();
    const rows = await this.sql.query<{ chargeId: string; seq: string }>(
      `SELECT charge_id::text AS "chargeId", seq::text AS seq FROM billing.delivery WHERE kind = 'charge' AND charge_id = ANY($1::uuid[])`,
      creditedCharges,
    );
    return new Map(rows.map((r) => [r.chargeId, r.seq]));
  }

  /**
   * Records attempts (history, always, with the interrupted attempt a claim found) and applies their
   * outcomes to the deliveries, in ONE statement whatever their number. An
   * acceptance applies whatever happened meanwhile (an ACK is final); anything else only while this
   * instance still holds the delivery for this attempt (not when its lease ran out and another sender
   * took it). Returns the ids of the deliveries that changed.
   */
  async recordAttempts(instance: string, results: readonly AttemptResult[]): Promise<Set<string>> {
    if (results.length === 0) return new Set();
    const history = [
      ...results.flatMap(({ delivery, record }) => (delivery.interrupted ? [interruptedAttempt(delivery, record.startedAt)] : [])),
      ...results.map(({ delivery, record }) => ({ ...record, deliveryId: delivery.id, attempt: delivery.attempt, sentBy: instance })),
    ];
    // One statement (its own transaction): the history rows and the deliveries' new states together, one
    // round trip instead of four (BEGIN, INSERT, UPDATE, COMMIT) for each outcome recorded behind a send.
    const rows = await this.sql.query<{ id: string }>(
      `WITH history AS (
         INSERT INTO billing.delivery_attempt (delivery_id, attempt, started_at, finished_at, outcome, ack, detail, sent_by)
         SELECT * FROM unnest($10::uuid[], $11::int[], $12::timestamptz[], $13::timestamptz[], $14::text[], $15::text[], $16::text[], $17::text[]))
       UPDATE billing.delivery d
          SET state = r.state, last_outcome = r.outcome, last_error = CASE WHEN r.state = 'acked' THEN NULL ELSE r.detail END,
              lease_until = NULL, sending_until = NULL, updated_at = r.finished_at,
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
      history.map((h) => h.deliveryId),
      history.map((h) => h.attempt),
      history.map((h) => h.startedAt.toISOString()),
      history.map((h) => h.finishedAt.toISOString()),
      history.map((h) => h.outcome),
      history.map((h) => h.ack),
      history.map((h) => h.detail),
      history.map((h) => h.sentBy),
    );
    return new Set(rows.map((r) => r.id));
  }
}

function subjectOf(
  d: Pick<ClaimedDelivery, 'chargeId' | 'creditId' | 'transactionId'>,
  charges: ReadonlyMap<string, ChargeRow>,
  credits: ReadonlyMap<string, CreditRow>,
  cases: ReadonlyMap<string, DeliveryCase>,
  chargeTransactionIds: ReadonlyMap<string, string>,
): DeliverySubject | Error {
  const charge = charges.get(d.chargeId);
  if (!charge) return new Error(`charge ${d.chargeId} of a delivery is missing`);
  const credit = d.creditId ? credits.get(d.creditId) : null;
  if (credit === undefined) return new Error(`credit ${d.creditId} of a delivery is missing`);
  const chargeTransactionId = credit ? chargeTransactionIds.get(d.chargeId) : d.transactionId;
  if (chargeTransactionId === undefined) return new Error(`the delivery of charge ${d.chargeId} credited by ${d.creditId} is missing`);
  return { charge, credit, case: cases.get(charge.accessionNumber) ?? null, chargeTransactionId };
}

function toClaimed(row: ClaimRow, claimerLock: number): ClaimedDelivery {
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
    claimerLock,
    ...(row.previousState === 'in-flight'
      ? { interrupted: { by: row.previousClaimer, at: new Date(row.previousUpdatedAt), senderGone: row.takenOver } }
      : {}),
  };
}

/** The history line of an earlier attempt whose sender stopped before an answer (found when its lease ran out, or its lock was free). */
function interruptedAttempt(delivery: ClaimedDelivery, now: Date) {
  return {
    deliveryId: delivery.id,
    attempt: delivery.attempt - 1,
    startedAt: delivery.interrupted?.at ?? now,
    finishedAt: now,
    outcome: 'interrupted',
    ack: null,
    detail: `the sender stopped before an answer came (${delivery.interrupted?.senderGone ? 'it was gone: its lock was free' : 'its lease ran out'}); sent again with the same MSH-10`,
    sentBy: delivery.interrupted?.by ?? 'unknown',
  };
}
