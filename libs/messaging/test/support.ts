import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Producer } from 'kafkajs';
import { Pool } from 'pg';
import pino from 'pino';
import { testKafka, WORKSPACE_ROOT } from '@slidecharge/testing';
import { buildEvent, Logger, RunInTransaction, SqlExecutor } from '../src';

/** A SqlExecutor over one pg client or pool, as a Prisma (transaction) client would be. */
export const executor = (client: { query: Pool['query'] }): SqlExecutor => ({
  $queryRawUnsafe: async <T>(q: string, ...v: unknown[]) => (await client.query(q, v)).rows as T,
  $executeRawUnsafe: async (q: string, ...v: unknown[]) => (await client.query(q, v)).rowCount ?? 0,
});

export const transactionOn =
  (pool: Pool): RunInTransaction =>
  async (fn) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK');
      throw e;
    } finally {
      client.release();
    }
  };

/**
 * A scratch schema with the tables of a real service schema (outbox with parked_at, consumed_event,
 * dead_letter...): qc's committed migrations applied under another name, so the tests run against the
 * DDL production has.
 */
export async function createServiceLikeSchema(pool: Pool, schema: string): Promise<void> {
  const dir = join(WORKSPACE_ROOT, 'prisma/qc/migrations');
  const migrations = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  for (const name of migrations) {
    await pool.query(readFileSync(join(dir, name, 'migration.sql'), 'utf8').replaceAll('"qc"', `"${schema}"`));
  }
}

/** A logger whose JSON lines the test can read. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level, base: { service: 'messaging-test' } }, stream), lines };
}

/** A plain producer that plays an outside sender: no contract check, any bytes and headers. */
export async function rawProducer(): Promise<Producer> {
  const producer = testKafka('raw-sender').producer();
  await producer.connect();
  return producer;
}

/**
 * A valid event of billing.charges.v1, the topic these tests consume in consumer groups of their own:
 * a credit with the given key, payer and detail (where a test puts its marker).
 */
export const testCredit = (key: string, payerId: string, detail: string, patientId = 'MRN-1') =>
  buildEvent(
    'billing.charges.v1',
    'charge.credited',
    key,
    {
      creditId: randomUUID(),
      transactionType: 'CD',
      creditFor: randomUUID(),
      chargeKey: 'S26-1/A/0753T',
      accessionNumber: 'S26-1',
      specimenId: 'A',
      code: '0753T',
      primaryCode: '88305',
      units: 1,
      dateOfService: '2026-03-01',
      patientId,
      payerId,
      modifiers: [],
      diagnoses: [],
      reason: 'case-cancelled',
      detail,
      causedBy: [],
      creditedAt: new Date().toISOString(),
      trace: [],
    },
    { producer: 'messaging-test' },
  );
