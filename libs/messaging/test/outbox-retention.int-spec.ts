import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { eventually, testEnv } from '@slidecharge/testing';
import { OutboxRetention } from '../src';
import { capturingLogger, createServiceLikeSchema, executor } from './support';

/**
 * The outbox retention purge against the real Postgres, on a scratch schema built from qc's migrations:
 * records published longer ago than the retention go, in batches and at most maxPerRun a run; records
 * not yet published and parked ones stay, however old.
 */
const schema = 'messaging_outbox_retention';
const { databaseUrl } = testEnv();
const pool = new Pool({ connectionString: databaseUrl });

beforeAll(async () => {
  await createServiceLikeSchema(pool, schema);
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

type Row = 'published' | 'unpublished' | 'parked';

/** Inserts `count` outbox records created `daysAgo` days ago, published then (or not, or parked); returns their ids. */
async function insert(kind: Row, daysAgo: number, count = 1): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await pool.query(
    `INSERT INTO "${schema}".outbox (id, topic, key, payload, headers, created_at, published_at, parked_at)
     SELECT id, 'qc.results.v1', 'k', '{}', '{}', now() - make_interval(days => $2),
            CASE WHEN $3 = 'published' THEN now() - make_interval(days => $2) END,
            CASE WHEN $3 = 'parked' THEN now() - make_interval(days => $2) END
       FROM unnest($1::uuid[]) AS id`,
    [ids, daysAgo, kind],
  );
  return ids;
}

const remaining = async (ids: string[]) => (await pool.query(`SELECT count(*)::int AS n FROM "${schema}".outbox WHERE id = ANY($1)`, [ids])).rows[0].n as number;

it('deletes records published before the retention, in batches up to maxPerRun a run; keeps recent, unpublished and parked ones', async () => {
  const old = await insert('published', 8, 25);
  const recent = await insert('published', 6, 3);
  const unpublished = await insert('unpublished', 30, 2);
  const parked = await insert('parked', 30, 2);
  const { logger, lines } = capturingLogger('info');
  const retention = new OutboxRetention({ schema, database: executor(pool), retentionDays: 7, batchSize: 4, maxPerRun: 10, logger });

  expect(await retention.purgeOnce()).toBe(10);
  expect(await remaining(old)).toBe(15);
  expect(await retention.purgeOnce()).toBe(10);
  expect(await retention.purgeOnce()).toBe(5);
  expect(await retention.purgeOnce()).toBe(0);
  expect(await remaining(old)).toBe(0);
  expect(await remaining(recent)).toBe(3);
  expect(await remaining(unpublished)).toBe(2);
  expect(await remaining(parked)).toBe(2);
  expect(lines).toContainEqual(expect.objectContaining({ purged: 5, retentionDays: 7, msg: 'purged 5 outbox records published more than 7 days ago' }));
});

it('runs after firstRunAfterMs and then periodically', async () => {
  const first = await insert('published', 10, 2);
  const { logger } = capturingLogger('info');
  const retention = new OutboxRetention({ schema, database: executor(pool), retentionDays: 7, intervalMs: 200, firstRunAfterMs: 50, logger });
  retention.start();
  try {
    await eventually(async () => ((await remaining(first)) === 0 ? true : undefined), 10_000, 'the first purge');
    const later = await insert('published', 9, 2);
    await eventually(async () => ((await remaining(later)) === 0 ? true : undefined), 10_000, 'a later purge');
  } finally {
    await retention.stop();
  }
});
