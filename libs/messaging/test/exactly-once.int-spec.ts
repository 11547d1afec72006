import { randomUUID } from 'node:crypto';
import { Admin, Producer } from 'kafkajs';
import { Pool } from 'pg';
import { eventually, startGroupAtEnd, testEnv, testKafka } from '@slidecharge/testing';
import { ConsumerHandle, IncomingMessage, Inbox, KafkaBus, OutgoingMessage, SqlDeadLetterStore, SqlExecutor } from '../src';
import { capturingLogger, createServiceLikeSchema, executor, rawProducer, testCredit, transactionOn } from './support';

/**
 * The exactly-once batch consumer (KafkaBus.consume) against the real broker and Postgres. The
 * handler is a service's in small: it writes one row per message (no unique key: an effect applied
 * twice shows as two rows) and one outgoing event per message, and fails for good on a credit of the
 * payer POISON. billing.charges.v1 is consumed by no service; one key per test puts its messages on one
 * partition, sent together before the consumer starts so that they arrive as one batch.
 */
type Topic = 'billing.charges.v1';
const TOPIC: Topic = 'billing.charges.v1';
const schema = 'messaging_exactly_once';
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const pool = new Pool({ connectionString: databaseUrl });
const { logger, lines } = capturingLogger('debug');

let bus: KafkaBus;
let producer: Producer;
let admin: Admin;
const consumers: ConsumerHandle[] = [];
const inbox = (groupId: string): Inbox<SqlExecutor> => ({ schema, consumer: groupId, transaction: transactionOn(pool), logger });

/** A credit for `payerId`; its detail carries the run's marker. */
const credit = (key: string, payerId: string) => testCredit(key, payerId, key);

/** The handler of a group: one row and one outgoing event per message, in order; POISON fails every time. */
const applyCredits = (groupId: string) => async (tx: SqlExecutor, messages: readonly IncomingMessage<Topic>[]): Promise<{ outgoing: OutgoingMessage[] }> => {
  const outgoing: OutgoingMessage[] = [];
  for (const m of messages) {
    const data = m.value.data as { payerId: string; detail: string };
    if (data.payerId === 'POISON') throw new Error('the POISON payer is refused');
    await tx.$executeRawUnsafe(
      `INSERT INTO "${schema}".applied (group_id, event_id, key, partition_offset) VALUES ($1, $2, $3, $4)`,
      groupId,
      m.value.eventId,
      data.detail,
      Number(m.offset),
    );
    outgoing.push(credit(`out-${groupId}-${m.value.eventId}`, data.payerId));
  }
  return { outgoing };
};

async function consume(groupId: string): Promise<ConsumerHandle> {
  const handle = await bus.consume({ groupId, topics: [TOPIC], inbox: inbox(groupId), handler: applyCredits(groupId), maxAttempts: 2, retryDelayMs: 20, maxBatchMessages: 50 });
  consumers.push(handle);
  return handle;
}

/** Sends the values with one key in one request: one partition, consecutive offsets. */
async function sendTogether(key: string, values: string[]): Promise<{ partition: number; first: number }> {
  const [meta] = await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ key, value })) });
  return { partition: meta?.partition ?? 0, first: Number(meta?.baseOffset ?? 0) };
}

const committed = async (groupId: string, partition: number): Promise<number> => {
  const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
  return Number(topic?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
};

/** What the group applied of the messages with this key (every test's consumer reads every test's messages). */
const appliedRows = async (groupId: string, key: string): Promise<{ event_id: string; partition_offset: number }[]> =>
  (await pool.query(`SELECT event_id, partition_offset FROM "${schema}".applied WHERE group_id = $1 AND key = $2 ORDER BY seq`, [groupId, key])).rows;

const outboxCount = async (groupId: string, eventIds: string[]): Promise<number> =>
  (await pool.query(`SELECT count(*)::int AS n FROM "${schema}".outbox WHERE key = ANY($1)`, [eventIds.map((id) => `out-${groupId}-${id}`)])).rows[0].n as number;

beforeAll(async () => {
  await createServiceLikeSchema(pool, schema);
  await pool.query(`CREATE TABLE "${schema}".applied (seq bigserial, group_id text NOT NULL, event_id text NOT NULL, key text NOT NULL, partition_offset bigint NOT NULL)`);
  bus = new KafkaBus({ connection: kafka, clientId: 'messaging-exactly-once', service: 'messaging-test', logger, deadLetters: { store: new SqlDeadLetterStore(executor(pool), schema) } });
  await bus.connect();
  producer = await rawProducer();
  admin = testKafka('messaging-exactly-once-admin').admin();
  await admin.connect();
}, 60_000);

afterAll(async () => {
  for (const c of consumers) await c.stop();
  await producer?.disconnect();
  await admin?.disconnect();
  await bus?.disconnect();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

describe('exactly-once batch consumer', () => {
  it('a batch with a poison message and a broken one in the middle: neighbours applied once and in order, both dead-lettered, offsets committed past all', async () => {
    const key = `batch-${randomUUID()}`;
    const groupId = `messaging-exactly-once-${randomUUID()}`;
    await startGroupAtEnd(kafkaBrokers, groupId, [TOPIC]);
    const good = Array.from({ length: 10 }, () => credit(key, 'AETNA'));
    const poison = credit(key, 'POISON');
    const values = [...good.slice(0, 4), poison, ...good.slice(4, 7), null, ...good.slice(7)].map((e) => (e ? JSON.stringify(e.value) : '{not json'));
    const { partition, first } = await sendTogether(key, values);
    await consume(groupId);

    const end = first + values.length;
    await eventually(async () => ((await committed(groupId, partition)) === end ? true : undefined), 45_000, 'the offsets committed past the batch');
    const rows = await appliedRows(groupId, key);
    expect(rows.map((r) => r.event_id)).toEqual(good.map((e) => e.value.eventId));
    expect(rows.map((r) => Number(r.partition_offset))).toEqual([...rows.map((r) => Number(r.partition_offset))].sort((a, b) => a - b));
    expect(await outboxCount(groupId, good.map((e) => e.value.eventId))).toBe(good.length);
    expect(await outboxCount(groupId, [poison.value.eventId])).toBe(0);
    const { rows: dead } = await pool.query(`SELECT reason, message, "offset" FROM "${schema}".dead_letter WHERE consumer_group = $1 ORDER BY "offset"::bigint`, [groupId]);
    expect(dead).toEqual([
      { reason: 'processing-failed', message: expect.stringContaining('gave up after 2 attempts: the POISON payer is refused'), offset: String(first + 4) },
      { reason: 'invalid-json', message: expect.stringContaining('value is not JSON'), offset: String(first + 8) },
    ]);
    // The poison's event id is not recorded as consumed (its transaction never committed).
    const { rows: consumed } = await pool.query(`SELECT event_id FROM "${schema}".consumed_event WHERE consumer = $1`, [groupId]);
    expect(consumed.map((r) => r.event_id).sort()).toEqual(good.map((e) => e.value.eventId).sort());
    expect(lines.some((l) => l['msg'] === 'batch transaction failed; splitting it to find the message that fails' && l['groupId'] === groupId)).toBe(true);
  }, 120_000);

  it('a batch that ends with a broken message: committed past it, dead-lettered once', async () => {
    const key = `tail-${randomUUID()}`;
    const groupId = `messaging-exactly-once-${randomUUID()}`;
    await startGroupAtEnd(kafkaBrokers, groupId, [TOPIC]);
    const good = [credit(key, 'AETNA'), credit(key, 'AETNA')];
    const { partition, first } = await sendTogether(key, [...good.map((e) => JSON.stringify(e.value)), '{not json']);
    await consume(groupId);
    // Nothing follows the broken message, so only resolving it moves the committed offset to the end.
    await eventually(async () => ((await committed(groupId, partition)) === first + 3 ? true : undefined), 45_000, 'the offset committed past the broken message');
    expect((await appliedRows(groupId, key)).map((r) => r.event_id)).toEqual(good.map((e) => e.value.eventId));
    const { rows: dead } = await pool.query(`SELECT reason, "offset" FROM "${schema}".dead_letter WHERE consumer_group = $1`, [groupId]);
    expect(dead).toEqual([{ reason: 'invalid-json', offset: String(first + 2) }]);
  }, 120_000);

  it('a batch read again (offsets reset, and an event repeated within it) has no effect twice', async () => {
    const key = `again-${randomUUID()}`;
    const groupId = `messaging-exactly-once-${randomUUID()}`;
    await startGroupAtEnd(kafkaBrokers, groupId, [TOPIC]);
    const events = Array.from({ length: 6 }, () => credit(key, 'CIGNA'));
    const values = [...events, events[2] as (typeof events)[number]].map((e) => JSON.stringify(e.value));
    const { partition, first } = await sendTogether(key, values);
    const end = first + values.length;

    const handle = await consume(groupId);
    await eventually(async () => ((await committed(groupId, partition)) === end ? true : undefined), 90_000, 'the first reading committed');
    await handle.stop();
    await admin.setOffsets({ groupId, topic: TOPIC, partitions: [{ partition, offset: String(first) }] });
    expect(await committed(groupId, partition)).toBe(first);

    await consume(groupId);
    await eventually(async () => ((await committed(groupId, partition)) === end ? true : undefined), 90_000, 'the second reading committed');
    expect((await appliedRows(groupId, key)).map((r) => r.event_id)).toEqual(events.map((e) => e.value.eventId));
    expect(await outboxCount(groupId, events.map((e) => e.value.eventId))).toBe(events.length);
    const { rows: dead } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".dead_letter WHERE consumer_group = $1`, [groupId]);
    expect(dead[0].n).toBe(0);
  }, 180_000); // two group joins, which take long on a busy 2-core machine
});
