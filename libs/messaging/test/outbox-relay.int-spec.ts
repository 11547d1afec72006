import { randomUUID } from 'node:crypto';
import { Partitioners, PartitionMetadata } from 'kafkajs';
import { Pool } from 'pg';
import { TopicReader, testEnv, testKafka } from '@slidecharge/testing';
import { KafkaBus, metricsRegistry, OUTBOX_RELAY_LOCK_CLASS, OutboxRelay, SqlDeadLetterStore } from '../src';
import { capturingLogger, createServiceLikeSchema, executor, transactionOn } from './support';

/**
 * The outbox relay against the real broker (message.max.bytes 1 MiB) with the exact inputs of issue
 * #7: two ~884 KB events in one batch, and one record over the broker's limit. Records go to
 * billing.charges.v1 (no service consumes it; test readers filter by their own marker).
 */
const TOPIC = 'billing.charges.v1';
const schema = 'messaging_outbox';
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const pool = new Pool({ connectionString: databaseUrl });
const transaction = transactionOn(pool);
const { logger, lines } = capturingLogger('info');

let bus: KafkaBus;
let reader: TopicReader;
let partitionMetadata: PartitionMetadata[];

beforeAll(async () => {
  await createServiceLikeSchema(pool, schema);
  bus = new KafkaBus({
    connection: kafka,
    clientId: 'messaging-outbox',
    service: 'messaging-test',
    logger,
    deadLetters: { store: new SqlDeadLetterStore(executor(pool), schema) },
  });
  await bus.connect();
  reader = await new TopicReader(kafkaBrokers, [TOPIC]).start();
  const admin = testKafka('messaging-outbox-admin').admin();
  await admin.connect();
  partitionMetadata = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]?.partitions ?? [];
  await admin.disconnect();
}, 60_000);

afterAll(async () => {
  await reader?.stop();
  await bus?.disconnect();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

const KB884 = 884 * 1024;
const OVER_BROKER_LIMIT = 1_100_000;

/** Writes an outbox record whose payload is about `bytes` long; returns its id. */
async function outboxRecord(marker: string, n: number, key: string, bytes = 200): Promise<string> {
  const id = randomUUID();
  const payload = { marker, n, pad: 'x'.repeat(Math.max(0, bytes - 100)) };
  await pool.query(`INSERT INTO "${schema}".outbox (id, topic, key, payload, headers) VALUES ($1, $2, $3, $4, $5)`, [
    id,
    TOPIC,
    key,
    JSON.stringify(payload),
    JSON.stringify({ 'x-correlation-id': `c-${marker}` }),
  ]);
  return id;
}

/** Runs relay passes until one finds nothing to do. */
async function drain(relay: OutboxRelay): Promise<void> {
  for (let i = 0; i < 30; i++) {
    const pass = await relay.relayPass();
    if (pass.published + pass.parked === 0 && !pass.more) return;
  }
  throw new Error('the relay did not drain the outbox in 30 passes');
}

/**
 * The state of each record, in the order given: published when the relay deleted it (what it does with
 * a published record by default) or marked it (keepPublished).
 */
const rowsOf = async (ids: string[]) => {
  const { rows } = await pool.query<{ id: string; published: boolean; parked: boolean; last_error: string | null }>(
    `SELECT id::text, published_at IS NOT NULL AS published, parked_at IS NOT NULL AS parked, last_error FROM "${schema}".outbox WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return ids.map((id) => rows.find((r) => r.id === id) ?? { id, published: true, parked: false, last_error: null });
};

/** What arrived on the topic for `marker`, in offset order: the n of each record. */
/** The records of a marker once `count` distinct ones (by n) have arrived: repeats (at least once) do not count. */
const arrived = async (marker: string, count: number) => {
  const distinctN = (list: { value: unknown }[]) => new Set(list.map((m) => (m.value as { n: number }).n)).size;
  const messages = await reader.waitFor((m) => (m.value as { marker?: string }).marker === marker, (list) => distinctN(list) >= count, 60_000);
  return messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset))).map((m) => (m.value as { n: number }).n);
};

const partitionOf = (key: string) => Partitioners.DefaultPartitioner()({ topic: TOPIC, partitionMetadata, message: { key, value: null } });

const metricValue = async (name: string, labels: Record<string, string>) => {
  const metric = await metricsRegistry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value ?? 0;
};

describe('a relay pass', () => {
  it('takes, in one read, the oldest records whose bytes fit the budget (the first always), and says more are waiting', async () => {
    const marker = randomUUID();
    const key = `S26-${marker}`;
    const KB300 = 300 * 1024;
    const ids = [await outboxRecord(marker, 1, key, KB300), await outboxRecord(marker, 2, key, KB300), await outboxRecord(marker, 3, key, KB300)];
    const relay = new OutboxRelay({ schema, bus, transaction, logger, maxBatchBytes: 700 * 1024 });
    expect(await relay.relayPass()).toEqual({ published: 2, parked: 0, more: true });
    expect((await rowsOf(ids)).map((r) => r.published)).toEqual([true, true, false]);
    expect(await relay.relayPass()).toEqual({ published: 1, parked: 0, more: false });
    expect(await arrived(marker, 3)).toEqual([1, 2, 3]);
  });
});

describe('two relays of one schema', () => {
  it('take turns: while another pass holds the relay lock a pass publishes nothing, and publishes once it is free', async () => {
    const marker = randomUUID();
    const ids = [await outboxRecord(marker, 1, `S26-${marker}`), await outboxRecord(marker, 2, `S26-${marker}`)];
    const relay = new OutboxRelay({ schema, bus, transaction, logger });
    // The other instance's pass, in the middle of its transaction.
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [OUTBOX_RELAY_LOCK_CLASS, schema]);
      expect(await relay.relayPass()).toEqual({ published: 0, parked: 0, more: false });
      expect((await rowsOf(ids)).map((r) => r.published)).toEqual([false, false]);
      await other.query('COMMIT');
    } finally {
      other.release();
    }
    await drain(relay);
    expect((await rowsOf(ids)).map((r) => r.published)).toEqual([true, true]);
    expect(await arrived(marker, 2)).toEqual([1, 2]);
  });

  it('is one lock per service schema: their keys differ', async () => {
    const { rows } = await pool.query(`SELECT count(DISTINCT hashtext(s))::int AS n FROM unnest($1::text[]) AS s`, [['accession', 'scanner', 'qc', 'billing']]);
    expect(rows[0].n).toBe(4);
  });
});

describe('two ~884 KB events of one case in one outbox batch', () => {
  it('go out in separate batches by default, in order, and what follows goes out too', async () => {
    const marker = randomUUID();
    const key = `S26-${marker}`;
    const ids = [await outboxRecord(marker, 1, key, KB884), await outboxRecord(marker, 2, key, KB884), await outboxRecord(marker, 3, key)];
    const relay = new OutboxRelay({ schema, bus, transaction, logger });
    await drain(relay);
    expect((await rowsOf(ids)).map((r) => [r.published, r.parked])).toEqual([
      [true, false],
      [true, false],
      [true, false],
    ]);
    expect(await arrived(marker, 3)).toEqual([1, 2, 3]);
  });

  it('are split and sent when a budget larger than the broker limit put them together', async () => {
    const marker = randomUUID();
    const key = `S26-${marker}`;
    const ids = [await outboxRecord(marker, 1, key, KB884), await outboxRecord(marker, 2, key, KB884), await outboxRecord(marker, 3, key)];
    const relay = new OutboxRelay({ schema, bus, transaction, logger, maxBatchBytes: 4 * 1024 * 1024 });
    await drain(relay);
    expect((await rowsOf(ids)).every((r) => r.published && !r.parked)).toBe(true);
    expect(await arrived(marker, 3)).toEqual([1, 2, 3]);
  });
});

describe('a record over the broker limit', () => {
  it('is parked with the refusal and an alert, the records after it (same key) go out, and it can be re-queued', async () => {
    const marker = randomUUID();
    const key = `S26-${marker}`;
    const before = await metricValue('slidecharge_outbox_parked_total', { schema, topic: TOPIC });
    const [first, big, after] = [await outboxRecord(marker, 1, key), await outboxRecord(marker, 2, key, OVER_BROKER_LIMIT), await outboxRecord(marker, 3, key)];
    const relay = new OutboxRelay({ schema, bus, transaction, logger });
    await drain(relay);

    const rows = await rowsOf([first, big, after]);
    expect(rows.map((r) => [r.published, r.parked])).toEqual([
      [true, false],
      [false, true],
      [true, false],
    ]);
    expect(rows[1]?.last_error).toMatch(/^MESSAGE_TOO_LARGE: /);
    expect(await arrived(marker, 2)).toEqual([1, 3]);
    expect(relay.healthy()).toBe(false); // not started: healthy() is about the running loop
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, alert: 'outbox-record-parked', outboxId: big, topic: TOPIC }));
    expect(await metricValue('slidecharge_outbox_parked_total', { schema, topic: TOPIC })).toBe(before + 1);
    expect(await relay.parkedCount()).toBeGreaterThanOrEqual(1);
    expect(await metricValue('slidecharge_outbox_parked', { schema })).toBe(await relay.parkedCount());

    // The runbook's fix: make the payload smaller (here: drop the padding), then re-queue.
    await pool.query(
      `UPDATE "${schema}".outbox SET payload = payload - 'pad', parked_at = NULL, attempts = 0, last_error = NULL WHERE id = $1 AND parked_at IS NOT NULL`,
      [big],
    );
    await drain(relay);
    expect((await rowsOf([big]))[0]).toMatchObject({ published: true, parked: false, last_error: null });
    expect(await arrived(marker, 3)).toEqual([1, 3, 2]);
  });

  it('refused inside a batch spanning partitions, is found by splitting; every other record arrives', async () => {
    const marker = randomUUID();
    const bigKey = `S26-${marker}`;
    // Two small records share a partition other than the big one's, so the refused request wrote some
    // partitions and not others: what is sent after it must still arrive (a fresh producer id).
    const others = Array.from({ length: 40 }, (_, i) => `S26-${marker}-${i}`).filter((k) => partitionOf(k) !== partitionOf(bigKey));
    const sameOther = others.filter((k) => partitionOf(k) === partitionOf(others[0] as string)).slice(0, 2);
    expect(sameOther).toHaveLength(2);
    const ids = [
      await outboxRecord(marker, 1, sameOther[0] as string),
      await outboxRecord(marker, 2, bigKey),
      await outboxRecord(marker, 3, bigKey, OVER_BROKER_LIMIT),
      await outboxRecord(marker, 4, sameOther[1] as string),
      await outboxRecord(marker, 5, bigKey),
    ];
    const relay = new OutboxRelay({ schema, bus, transaction, logger, maxBatchBytes: 4 * 1024 * 1024 });
    await drain(relay);
    expect((await rowsOf(ids)).map((r) => (r.published ? 'published' : r.parked ? 'parked' : 'pending'))).toEqual([
      'published',
      'published',
      'parked',
      'published',
      'published',
    ]);
    // Records the refused request had written are sent again after the split: at least once, as always.
    const got = await arrived(marker, 4);
    expect([...new Set(got)].sort()).toEqual([1, 2, 4, 5]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'producer replaced after a failed send' }));
    // After all that, the bus still publishes normally (the canary).
    await outboxRecord(marker, 6, bigKey);
    await drain(relay);
    await reader.waitFor((m) => (m.value as { marker?: string; n?: number }).marker === marker && (m.value as { n?: number }).n === 6, (list) => list.length === 1);
  });
});
