import { Pool } from 'pg';
import { eventually, TopicReader, waitForGroupCaughtUp } from '@slidecharge/testing';
import { chargeIdFor, chargePostedEventIdFor } from '../src/charge/charge-id';
import { ChargeMessage, INPUT_TOPICS, PlannedCase } from './support';

/** What the stream tests (crash recovery, scale out) check once billing has handled a planned stream. */
export interface ChargedStream {
  pool: Pool;
  /** Reads billing.charges.v1 from before the stream was published. */
  reader: TopicReader;
  kafkaBrokers: string;
  /** Billing's consumer group. */
  groupId: string;
  plan: readonly PlannedCase[];
}

/** How many charges the accessions have in billing.charge. */
export async function chargeCount(pool: Pool, accessions: readonly string[]): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM billing.charge WHERE accession_number = ANY($1)`, [accessions]);
  return rows[0].n as number;
}

/** A barrier: resolves with the count once the accessions have at least `atLeast` charges. */
export function waitForCharges(pool: Pool, accessions: readonly string[], atLeast: number, timeoutMs: number): Promise<number> {
  return eventually(
    async () => {
      const n = await chargeCount(pool, accessions);
      return n >= atLeast ? n : undefined;
    },
    timeoutMs,
    `${atLeast} charges`,
  );
}

/**
 * Waits until billing has handled the whole stream (every expected charge stored, the group at the end
 * of its input topics, the outbox drained, the reader at the end of the charges topic), then checks it
 * took every event exactly once, stored exactly the expected charges with the ids derived from their
 * keys, wrote one outbox record each, and published exactly the expected chargeIds, any repeat an
 * identical copy. Returns how many repeated copies the topic carried.
 */
export async function expectChargedExactlyOnce(stream: ChargedStream, timeoutMs: number): Promise<{ charges: number; repeats: number }> {
  const { pool, reader, kafkaBrokers, groupId, plan } = stream;
  const accessions = plan.map((p) => p.accession);
  const expectedKeys = plan.flatMap((p) => p.expectedKeys).sort();
  await waitForCharges(pool, accessions, expectedKeys.length, timeoutMs);
  await waitForGroupCaughtUp(kafkaBrokers, groupId, INPUT_TOPICS, 60_000);
  await eventually(async () => {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM billing.outbox WHERE key = ANY($1) AND published_at IS NULL`, [accessions]);
    return rows[0].n === 0 ? true : undefined;
  }, 60_000, 'the outbox to drain');
  const expectedIds = new Set(expectedKeys.map(chargeIdFor));
  const isOurs = (m: { value: unknown }) => accessions.includes((m.value as ChargeMessage).data?.accessionNumber);
  await reader.waitFor(isOurs, (list) => new Set(list.map((m) => (m.value as ChargeMessage).data.chargeId)).size >= expectedIds.size, 60_000);
  // Everything published so far has been read: nothing more can come.
  await reader.caughtUp(60_000);

  // Every event was taken exactly once, whatever was redelivered.
  const eventIds = [...new Set(plan.flatMap((p) => p.events.map((e) => (e.value as { eventId: string }).eventId)))];
  const consumed = await pool.query(`SELECT count(*)::int AS n FROM billing.consumed_event WHERE consumer = 'billing' AND event_id = ANY($1)`, [eventIds]);
  expect(consumed.rows[0].n).toBe(eventIds.length);

  // The database: exactly the expected charges, with the ids derived from their keys, one outbox record each.
  const stored = await pool.query(`SELECT charge_key, charge_id::text AS charge_id FROM billing.charge WHERE accession_number = ANY($1) ORDER BY charge_key`, [accessions]);
  expect(stored.rows.map((r) => r.charge_key)).toEqual(expectedKeys);
  for (const r of stored.rows) expect(r.charge_id).toBe(chargeIdFor(r.charge_key));
  const outbox = await pool.query(`SELECT count(*)::int AS n FROM billing.outbox WHERE key = ANY($1)`, [accessions]);
  expect(outbox.rows[0].n).toBe(expectedKeys.length);

  // The topic: exactly the expected chargeIds; any repeat is an identical copy.
  const messages = reader.messages.filter(isOurs).map((m) => m.value as ChargeMessage);
  expect(new Set(messages.map((m) => m.data.chargeId))).toEqual(expectedIds);
  const firstCopy = new Map<string, ChargeMessage>();
  for (const m of messages) {
    expect(m.eventId).toBe(chargePostedEventIdFor(m.data.chargeId));
    const seen = firstCopy.get(m.data.chargeId);
    if (seen) expect(m).toEqual(seen);
    else firstCopy.set(m.data.chargeId, m);
  }
  return { charges: expectedKeys.length, repeats: messages.length - expectedIds.size };
}
