import { randomUUID } from 'node:crypto';
import { Admin, Producer } from 'kafkajs';
import { Pool } from 'pg';
import { eventually, startGroupAtEnd, testEnv, testKafka } from '@slidecharge/testing';
import { ConsumerHandle, GroupCommit, IncomingMessage, Inbox, KafkaBus, messagingMetrics, OutgoingMessage, SqlDeadLetterStore, SqlExecutor } from '../src';
import { capturingLogger, createServiceLikeSchema, executor, rawProducer, testCredit, transactionOn } from './support';

/**
 * Group commit (GroupCommit shared by the members of a consumer group) against the real broker and
 * Postgres: the batches of several partitions that wait at the same time go into one transaction,
 * exactly once and in each partition's order, and a poison message in such a transaction fails only
 * its own batch. The handler records each row with the id of the transaction that wrote it. The
 * first transaction of a test is held open until the three partitions' batches are in it or wait
 * behind it (a barrier on GroupCommit.waitingBatches), so the grouping is not left to timing.
 */
type Topic = 'billing.charges.v1';
const TOPIC: Topic = 'billing.charges.v1';
const schema = 'messaging_group_commit';
const { kafkaBrokers, kafka, databaseUrl } = testEnv();
const pool = new Pool({ connectionString: databaseUrl });
const { logger, lines } = capturingLogger('debug');

let bus: KafkaBus;
let producer: Producer;
let admin: Admin;
const consumers: ConsumerHandle[] = [];

const credit = (marker: string, payerId: string) => testCredit(marker, payerId, marker);
type Credit = ReturnType<typeof credit>;

/**
 * Starts a consumer with a GroupCommit. The handler writes a row per message of this test (marker)
 * with its transaction id, fails on the POISON payer, and holds the first transaction with this
 * test's messages until the batches of all three partitions are in it or wait behind it.
 */
async function consumeGrouped(groupId: string, marker: string): Promise<void> {
  const inbox: Inbox<SqlExecutor> = { schema, consumer: groupId, transaction: transactionOn(pool), logger };
  let held = false;
  const handler = async (tx: SqlExecutor, messages: readonly IncomingMessage<Topic>[]): Promise<{ outgoing: OutgoingMessage[] }> => {
    const mine = messages.filter((m) => (m.value.data as { detail: string }).detail === marker);
    if (mine.length > 0 && !held) {
      held = true;
      const inThis = new Set(mine.map((m) => m.partition)).size;
      await eventually(async () => (inThis + group.waitingBatches >= 3 ? true : undefined), 60_000, 'the three partitions\' batches in the first transaction or waiting behind it');
    }
    const outgoing: OutgoingMessage[] = [];
    for (const m of mine) {
      if ((m.value.data as { payerId: string }).payerId === 'POISON') throw new Error('the POISON payer is refused');
      await tx.$executeRawUnsafe(
        `INSERT INTO "${schema}".applied (group_id, event_id, partition, partition_offset, tx) VALUES ($1, $2, $3, $4, txid_current())`,
        groupId,
        m.value.eventId,
        m.partition,
        Number(m.offset),
      );
      outgoing.push(credit(`out-${groupId}`, 'AETNA'));
    }
    return { outgoing };
  };
  const group: GroupCommit<Topic> = new GroupCommit(inbox, handler, 1000);
  consumers.push(await bus.consume({ groupId, topics: [TOPIC], inbox, handler, groupCommit: group, maxAttempts: 2, retryDelayMs: 20, partitionsConsumedConcurrently: 3 }));
}

/** Sends the events to the given partition in one request (consecutive offsets); returns the offset after them. */
async function sendTo(partition: number, events: readonly Credit[]): Promise<number> {
  const [meta] = await producer.send({ topic: TOPIC, acks: -1, messages: events.map((e) => ({ partition, key: e.key, value: JSON.stringify(e.value) })) });
  return Number(meta?.baseOffset ?? 0) + events.length;
}

/** Waits until the group has committed every partition's offset up to `ends`. */
async function committedUpTo(groupId: string, ends: ReadonlyMap<number, number>): Promise<void> {
  await eventually(
    async () => {
      const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
      return [...ends].every(([p, end]) => Number(topic?.partitions.find((x) => x.partition === p)?.offset ?? -1) === end) ? true : undefined;
    },
    90_000,
    'the offsets committed past every partition\'s messages',
  );
}

const appliedRows = async (groupId: string) =>
  (await pool.query<{ event_id: string; partition: number; partition_offset: string; tx: string }>(`SELECT event_id, partition, partition_offset, tx::text FROM "${schema}".applied WHERE group_id = $1 ORDER BY seq`, [groupId])).rows;

/** Sends good events (and a POISON in the middle when asked) to each of partitions 0-2; returns them and the offsets to commit. */
async function sendToEachPartition(marker: string, withPoison: boolean): Promise<{ good: Map<number, Credit[]>; poison: Credit[]; ends: Map<number, number> }> {
  const good = new Map<number, Credit[]>();
  const poison: Credit[] = [];
  const ends = new Map<number, number>();
  for (const p of [0, 1, 2]) {
    const events = Array.from({ length: 4 }, () => credit(marker, 'AETNA'));
    const bad = credit(marker, 'POISON');
    if (withPoison) poison.push(bad);
    good.set(p, events);
    ends.set(p, await sendTo(p, withPoison ? [...events.slice(0, 2), bad, ...events.slice(2)] : events));
  }
  return { good, poison, ends };
}

beforeAll(async () => {
  await createServiceLikeSchema(pool, schema);
  await pool.query(`CREATE TABLE "${schema}".applied (seq bigserial, group_id text NOT NULL, event_id text NOT NULL, partition int NOT NULL, partition_offset bigint NOT NULL, tx bigint NOT NULL)`);
  bus = new KafkaBus({ connection: kafka, clientId: 'messaging-group-commit', service: 'messaging-test', logger, deadLetters: { store: new SqlDeadLetterStore(executor(pool), schema) } });
  await bus.connect();
  producer = await rawProducer();
  admin = testKafka('messaging-group-commit-admin').admin();
  await admin.connect();
  const [metadata] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics;
  if ((metadata?.partitions.length ?? 0) < 3) throw new Error(`${TOPIC} needs at least 3 partitions for these tests`);
}, 60_000);

afterAll(async () => {
  for (const c of consumers) await c.stop();
  await producer?.disconnect();
  await admin?.disconnect();
  await bus?.disconnect();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

describe('group commit', () => {
  it('applies the batches of partitions waiting together in one transaction, each once and in its partition\'s order', async () => {
    const marker = `group-${randomUUID()}`;
    const groupId = `messaging-group-commit-${randomUUID()}`;
    await startGroupAtEnd(kafkaBrokers, groupId, [TOPIC]);
    const { good, ends } = await sendToEachPartition(marker, false);
    await consumeGrouped(groupId, marker);
    await committedUpTo(groupId, ends);

    const rows = await appliedRows(groupId);
    expect(rows.map((r) => r.event_id).sort()).toEqual([...good.values()].flat().map((e) => e.value.eventId).sort());
    for (const [p, events] of good) expect(rows.filter((r) => r.partition === p).map((r) => r.event_id)).toEqual(events.map((e) => e.value.eventId));
    // Some transaction held the batches of several partitions (the held one, or those that waited behind it).
    const partitionsOf = new Map<string, Set<number>>();
    for (const r of rows) partitionsOf.set(r.tx, (partitionsOf.get(r.tx) ?? new Set()).add(r.partition));
    expect(Math.max(...[...partitionsOf.values()].map((ps) => ps.size))).toBeGreaterThanOrEqual(2);
    // What an operator sees: the batches per transaction, fewer transactions than batches.
    const observed = (await messagingMetrics.groupCommitBatches.get()).values.filter((v) => v.labels['consumer'] === groupId);
    const valueOf = (name: string) => observed.find((v) => v.metricName === name)?.value ?? 0;
    expect(valueOf('slidecharge_group_commit_batches_sum')).toBeGreaterThanOrEqual(3);
    expect(valueOf('slidecharge_group_commit_batches_count')).toBeLessThan(valueOf('slidecharge_group_commit_batches_sum'));
    const { rows: outbox } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".outbox WHERE key = $1`, [`out-${groupId}`]);
    expect(outbox[0].n).toBe(12);
  }, 180_000);

  it('a poison message in a grouped transaction fails only its own batch: every neighbour applied once, the poisons dead-lettered', async () => {
    const marker = `poison-${randomUUID()}`;
    const groupId = `messaging-group-commit-${randomUUID()}`;
    await startGroupAtEnd(kafkaBrokers, groupId, [TOPIC]);
    const { good, poison, ends } = await sendToEachPartition(marker, true);
    await consumeGrouped(groupId, marker);
    await committedUpTo(groupId, ends);

    const rows = await appliedRows(groupId);
    for (const [p, events] of good) expect(rows.filter((r) => r.partition === p).map((r) => r.event_id)).toEqual(events.map((e) => e.value.eventId));
    expect(rows).toHaveLength(12);
    const { rows: dead } = await pool.query(`SELECT reason, message, partition FROM "${schema}".dead_letter WHERE consumer_group = $1 ORDER BY partition`, [groupId]);
    expect(dead).toEqual([0, 1, 2].map((partition) => ({ reason: 'processing-failed', message: expect.stringContaining('the POISON payer is refused'), partition })));
    const { rows: consumed } = await pool.query(`SELECT event_id FROM "${schema}".consumed_event WHERE consumer = $1`, [groupId]);
    expect(consumed.map((r) => r.event_id).sort()).toEqual(rows.map((r) => r.event_id).sort());
    expect(consumed.some((r) => poison.some((e) => e.value.eventId === r.event_id))).toBe(false);
    const groupFailures = lines.filter((l) => l['msg'] === 'group commit failed; applying its batches one by one' && l['consumer'] === groupId);
    expect(groupFailures.length).toBeGreaterThanOrEqual(1);
    expect(groupFailures.every((l) => (l['batches'] as number) >= 2 && (l['messages'] as number) >= 10)).toBe(true);
    const failures = (await messagingMetrics.groupCommitFailures.get()).values.find((v) => v.labels['consumer'] === groupId);
    expect(failures?.value).toBe(groupFailures.length);
  }, 180_000);
});
