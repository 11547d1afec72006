import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { DEAD_LETTER_TOPIC, DeadLetter } from '@slidecharge/contracts';
import { eventually, startGroupAtEnd, TopicReader, testEnv, testKafka } from '@slidecharge/testing';
import { applyExactlyOnce, buildEvent, createLogger, incomingOf, KafkaBus, markConsumedBatch, OutboxRelay, SqlDeadLetterStore, writeOutbox } from '../src';
import { capturingLogger, createServiceLikeSchema, executor, transactionOn } from './support';

/**
 * The messaging lib against the real broker and database: outbox relay, inbox de-duplication and the
 * dead-letter path. Uses a scratch schema (the tables of a service schema) so it owns its tables.
 */
const schema = 'messaging_test';
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const pool = new Pool({ connectionString: databaseUrl });
const logger = createLogger('messaging-test', 'warn');

const transaction = transactionOn(pool);

let bus: KafkaBus;
let reader: TopicReader;

beforeAll(async () => {
  await createServiceLikeSchema(pool, schema);
  bus = new KafkaBus({
    connection: kafka,
    clientId: 'messaging-test',
    service: 'messaging-test',
    logger,
    deadLetters: { store: new SqlDeadLetterStore(executor(pool), schema) },
  });
  await bus.connect();
  reader = await new TopicReader(kafkaBrokers, ['qc.results.v1', DEAD_LETTER_TOPIC]).start();
});

afterAll(async () => {
  await reader.stop();
  await bus.disconnect();
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});

const verdict = (scanId: string) =>
  buildEvent('qc.results.v1', 'qc.passed', `BC-${scanId}`, {
    scanId,
    slideBarcode: `BC-${scanId}`,
    scanEventId: randomUUID(),
    rulesVersion: 'test',
    checks: [],
    reasons: [],
  }, { producer: 'messaging-test' });

it('relays committed outbox records to Kafka once, in order, and deletes them', async () => {
  const scanIds: string[] = [randomUUID(), randomUUID(), randomUUID()];
  await transaction((tx) => writeOutbox(tx, schema, scanIds.map(verdict)));
  const relay = new OutboxRelay({ schema, bus, transaction, logger, pollIntervalMs: 50 });
  relay.start();
  const got = await reader.waitFor(
    (m) => scanIds.includes((m.value as { data: { scanId: string } }).data?.scanId),
    (list) => list.length >= 3,
  );
  await relay.stop();
  expect(got.map((m) => (m.value as { data: { scanId: string } }).data.scanId).sort()).toEqual([...scanIds].sort());
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.outbox WHERE payload->'data'->>'scanId' = ANY($1)`, [scanIds]);
  expect(rows[0].n).toBe(0);
  expect(await relay.relayOnce()).toBe(0);
});

it('with keepPublished, marks the records it published and keeps them (for the retention purge)', async () => {
  const scanIds: string[] = [randomUUID(), randomUUID()];
  await transaction((tx) => writeOutbox(tx, schema, scanIds.map(verdict)));
  const relay = new OutboxRelay({ schema, bus, transaction, logger, keepPublished: true });
  expect(await relay.relayOnce()).toBeGreaterThanOrEqual(2);
  await reader.waitFor((m) => scanIds.includes((m.value as { data: { scanId: string } }).data?.scanId), (list) => list.length >= 2);
  const { rows } = await pool.query(
    `SELECT count(*) FILTER (WHERE published_at IS NOT NULL)::int AS marked, count(*)::int AS kept FROM ${schema}.outbox WHERE payload->'data'->>'scanId' = ANY($1)`,
    [scanIds],
  );
  expect(rows[0]).toEqual({ marked: 2, kept: 2 });
  expect(await relay.relayOnce()).toBe(0);
});

it('does not publish what a rolled-back transaction wrote', async () => {
  const scanId = randomUUID();
  await expect(
    transaction(async (tx) => {
      await writeOutbox(tx, schema, [verdict(scanId)]);
      throw new Error('state change failed');
    }),
  ).rejects.toThrow('state change failed');
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.outbox WHERE payload->'data'->>'scanId' = $1`, [scanId]);
  expect(rows[0].n).toBe(0);
});

it('records a consumed event id once', async () => {
  const id = randomUUID();
  expect(await transaction((tx) => markConsumedBatch(tx, schema, 'c1', [{ eventId: id, topic: 't' }]).then((taken) => taken.has(id)))).toBe(true);
  expect(await transaction((tx) => markConsumedBatch(tx, schema, 'c1', [{ eventId: id, topic: 't' }]).then((taken) => taken.has(id)))).toBe(false);
  expect(await transaction((tx) => markConsumedBatch(tx, schema, 'c2', [{ eventId: id, topic: 't' }]).then((taken) => taken.has(id)))).toBe(true);
});

it('records each event id of a batch once, a repeat within the batch included', async () => {
  const [a, b] = [randomUUID(), randomUUID()];
  const taken = await transaction((tx) => markConsumedBatch(tx, schema, 'c1', [{ eventId: a, topic: 't' }, { eventId: b, topic: 't' }, { eventId: a, topic: 't' }]));
  expect([...taken].sort()).toEqual([a, b].sort());
});

it('applies a batch again when another consumer commits one of its events while it waits, and skips that one', async () => {
  const consumer = `race-${randomUUID()}`;
  const first = incomingOf(verdict(randomUUID()), randomUUID());
  const second = incomingOf(verdict(randomUUID()), randomUUID());
  const { logger: raceLogger, lines } = capturingLogger('info');
  // The other consumer (a partition's previous owner) records `first` and has not committed yet.
  const other = await pool.connect();
  try {
    await other.query('BEGIN');
    await other.query(`INSERT INTO ${schema}.consumed_event (consumer, event_id, topic) VALUES ($1, $2, 'qc.results.v1')`, [consumer, first.value.eventId]);
    const handled: string[][] = [];
    const applying = applyExactlyOnce({ schema, consumer, transaction, logger: raceLogger }, [first, second], async (_tx, fresh) => {
      handled.push(fresh.map((m) => m.value.eventId));
      return { outgoing: [] };
    });
    // Barrier: our insert waits for the other transaction's row.
    await eventually(async () => {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%consumed_event%'`);
      return rows[0].n > 0 ? true : undefined;
    }, 10_000, 'the batch to wait for the other consumer');
    await other.query('COMMIT');
    const applied = await applying;
    expect(applied.fresh.map((m) => m.value.eventId)).toEqual([second.value.eventId]);
    expect(applied.duplicates.map((m) => m.value.eventId)).toEqual([first.value.eventId]);
    // The first run lost the race before its handler ran; the second ran it for `second` alone.
    expect(handled).toEqual([[second.value.eventId]]);
    expect(lines).toContainEqual(expect.objectContaining({ attempt: 1, msg: 'another consumer took an event of this batch first; applying the batch again' }));
    const { rows } = await pool.query(`SELECT event_id FROM ${schema}.consumed_event WHERE consumer = $1`, [consumer]);
    expect(rows.map((r) => r.event_id).sort()).toEqual([first.value.eventId, second.value.eventId].sort());
  } finally {
    other.release();
  }
});

it('dead-letters invalid JSON and contract violations with the reason and original bytes, then keeps consuming', async () => {
  const handled: string[] = [];
  const groupId = `messaging-test-${randomUUID()}`;
  // The ingress topic is shared with other tests: this group starts at its current end.
  await startGroupAtEnd(kafkaBrokers, groupId, ['scanner.ingress.v1']);
  const raw = testKafka('raw').producer();
  await raw.connect();
  const marker = randomUUID();
  const good = { eventId: `good-${marker}`, eventType: 'scan.started', occurredAt: new Date().toISOString(), slideBarcode: `S-${marker}`, scannerId: 'GT450-1' };
  await raw.send({
    topic: 'scanner.ingress.v1',
    messages: [
      { key: `S-${marker}`, value: `{not json ${marker}` },
      { key: `S-${marker}`, value: JSON.stringify({ ...good, eventId: `bad-${marker}`, eventType: 'scan.exploded' }) },
      { key: `S-${marker}`, value: JSON.stringify(good) },
    ],
  });
  await raw.disconnect();
  const consumer = await bus.consume({
    groupId,
    topics: ['scanner.ingress.v1'],
    inbox: { schema, consumer: groupId, transaction },
    handler: async (_tx, messages) => {
      for (const m of messages) if (m.value.slideBarcode === `S-${marker}`) handled.push(m.value.eventId);
      return { outgoing: [] };
    },
  });
  const letters = await reader.waitFor(
    (m) => m.topic === DEAD_LETTER_TOPIC && JSON.stringify(m.value).includes(marker),
    (list) => list.length >= 2,
  );
  const deadLetters = letters.map((m) => m.value as DeadLetter);
  expect(deadLetters.map((d) => d.reason).sort()).toEqual(['invalid-json', 'schema-violation']);
  const violation = deadLetters.find((d) => d.reason === 'schema-violation');
  expect(violation?.errors[0]?.path).toBe('eventType');
  expect(violation?.consumerGroup).toBe(groupId);
  expect(deadLetters.find((d) => d.reason === 'invalid-json')?.originalValue).toBe(`{not json ${marker}`);
  const deadline = Date.now() + 20_000;
  while (handled.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.stop();
  expect(handled).toEqual([`good-${marker}`]);
});
