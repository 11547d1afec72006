import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { TopicReader, testEnv } from '@slidecharge/testing';
import { KafkaBus, OutboxRelay, SqlDeadLetterStore } from '../src';
import { capturingLogger, createServiceLikeSchema, executor, transactionOn } from './support';

/**
 * The relay woken by the outbox table's insert trigger (NOTIFY outbox_<schema>, migration
 * "outbox_notify") through its LISTEN connection, against the real Postgres and broker. Both polls are
 * set to ten minutes, so a record that arrives within the test's time came by a notification.
 */
const TOPIC = 'billing.charges.v1';
const schema = 'messaging_notify';
const NEVER_MS = 600_000;
const { databaseUrl, kafkaBrokers, kafka } = testEnv();
const pool = new Pool({ connectionString: databaseUrl });
const transaction = transactionOn(pool);
const { logger } = capturingLogger('info');

let bus: KafkaBus;
let reader: TopicReader;
let relay: OutboxRelay;

beforeAll(async () => {
  await createServiceLikeSchema(pool, schema);
  bus = new KafkaBus({ connection: kafka, clientId: 'messaging-notify', service: 'messaging-test', logger, deadLetters: { store: new SqlDeadLetterStore(executor(pool), schema) } });
  await bus.connect();
  reader = await new TopicReader(kafkaBrokers, [TOPIC]).start();
  relay = new OutboxRelay({ schema, bus, transaction, logger, listen: { connection: databaseUrl }, pollIntervalMs: NEVER_MS, safetyPollMs: NEVER_MS });
  const idle = relay.idleListening();
  relay.start();
  await idle;
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  await reader?.stop();
  await bus?.disconnect();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

/** Inserts outbox records on a connection of its own, in one transaction (one multi-row statement). */
async function writeElsewhere(marker: string, count: number): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const ids = Array.from({ length: count }, () => randomUUID());
    await client.query(
      `INSERT INTO "${schema}".outbox (id, topic, key, payload, headers)
       SELECT id, $2, $3, jsonb_build_object('marker', $3::text, 'n', n), '{}'::jsonb FROM unnest($1::uuid[]) WITH ORDINALITY AS r(id, n) ORDER BY n`,
      [ids, TOPIC, marker],
    );
    return ids;
  } finally {
    await client.end();
  }
}

const arrived = (marker: string, count: number) =>
  reader.waitFor((m) => (m.value as { marker?: string }).marker === marker, (list) => list.length >= count, 30_000);

/** How many of these records the relay has published (and so deleted from the outbox). */
const published = async (ids: string[]) =>
  ids.length - ((await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".outbox WHERE id = ANY($1::uuid[])`, [ids])).rows[0]?.n ?? 0);

it('publishes a record another connection commits, woken by its notification (no poll could have run)', async () => {
  expect(relay.listening()).toBe(true);
  const marker = randomUUID();
  const ids = await writeElsewhere(marker, 3);
  const got = await arrived(marker, 3);
  expect(got.map((m) => (m.value as { n: number }).n)).toEqual([1, 2, 3]);
  expect(await published(ids)).toBe(3);
});

it('after losing its LISTEN connection, publishes what was written meanwhile and is woken by notifications again', async () => {
  // Drop the relay's LISTEN connection (as a restart of Postgres or a network cut would).
  const listeners = await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'slidecharge-listener' AND datname = current_database()`);
  expect(listeners.rows.length).toBeGreaterThanOrEqual(1);
  const backAgain = relay.idleListening();
  for (const { pid } of listeners.rows) await pool.query('SELECT pg_terminate_backend($1)', [pid]);
  const marker = randomUUID();
  const ids = await writeElsewhere(marker, 2);
  // The relay connects again (backoff from 250 ms), LISTENs, and makes a pass for what it may have missed.
  await backAgain;
  await arrived(marker, 2);
  expect(await published(ids)).toBe(2);
  const later = randomUUID();
  const laterIds = await writeElsewhere(later, 1);
  await arrived(later, 1);
  expect(await published(laterIds)).toBe(1);
  expect(relay.listening()).toBe(true);
});
