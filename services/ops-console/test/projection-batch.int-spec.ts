import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Pool } from 'pg';
import { applyExactlyOnce, Inbox, IncomingMessage, incomingOf, OutgoingMessage, SqlExecutor } from '@slidecharge/messaging';
import { createServiceApp, ServiceRuntime } from '@slidecharge/service-kit';
import { identityEnv, serviceDatabaseUrl, testEnv } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { loadServiceConfig } from '../src/config';
import { OPS_CONSOLE_SERVICE } from '../src/openapi';
import { PrismaService } from '../src/prisma.service';
import { ProjectedTopic } from '../src/projection/facts';
import { ProjectionChange, ProjectionChanges } from '../src/projection/projection-changes.service';
import { ProjectionService } from '../src/projection/projection.service';
import { caseCreated, chargeCredited, chargePosted, qcVerdict, scanCompleted, scanEvent } from './events';

/**
 * The projection's batch handler against the real database, called directly (no broker, no consumer
 * started): a batch gives the same rows as its events one by one, repeated keys and out-of-order
 * sides included, and costs a fixed number of statements whatever its size.
 */
const { kafkaEnv, databaseUrl } = testEnv();
let app: INestApplication;
let service: ProjectionService;
let prisma: PrismaService;
let pool: Pool;
let statements = 0;
const changes: ProjectionChange[] = [];

beforeAll(async () => {
  const config = loadServiceConfig({ ...kafkaEnv, ...identityEnv(), DATABASE_URL: serviceDatabaseUrl('ops-console'), LOG_LEVEL: 'warn', PORT: '0' });
  // Not initialised: the projection's consumer is not started, its handler is called here.
  app = await createServiceApp(AppModule.forRoot(config), OPS_CONSOLE_SERVICE, { logger: false });
  service = app.get(ProjectionService);
  prisma = app.get(PrismaService);
  app.get(ProjectionChanges).changes.subscribe((c) => changes.push(c));
  pool = new Pool({ connectionString: databaseUrl });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

/** A transaction client that counts the statements sent through it. */
function counting(tx: SqlExecutor): SqlExecutor {
  return {
    $queryRawUnsafe: (query, ...values) => ((statements += 1), tx.$queryRawUnsafe(query, ...values)),
    $executeRawUnsafe: (query, ...values) => ((statements += 1), tx.$executeRawUnsafe(query, ...values)),
  };
}

/** Applies batches as the consumer does (applyExactlyOnce with the projection's handler), under inbox name `consumer`. */
async function apply(consumer: string, batches: readonly OutgoingMessage[][]): Promise<void> {
  const inbox: Inbox = { schema: 'ops_console', consumer, transaction: (fn) => prisma.$transaction((tx) => fn(counting(tx))) };
  for (const batch of batches) {
    const incoming = batch.map((m) => incomingOf(m as OutgoingMessage<ProjectedTopic>, `it-${consumer}`) as IncomingMessage<ProjectedTopic>);
    await applyExactlyOnce(inbox, incoming, (tx, messages) => service.project(tx, messages));
  }
}

/** The same event published again under a new event id, with some of its fields changed. */
function again<T extends OutgoingMessage>(m: T, change: { type?: string; occurredAt?: Date; data?: Record<string, unknown> }): T {
  const value = m.value as unknown as { type: string; occurredAt: string; data: Record<string, unknown> };
  return {
    ...m,
    value: {
      ...value,
      eventId: randomUUID(),
      type: change.type ?? value.type,
      occurredAt: change.occurredAt?.toISOString() ?? value.occurredAt,
      data: { ...value.data, ...change.data },
    },
  } as T;
}

const TABLES = {
  case_version_fact: `SELECT * FROM ops_console.case_version_fact WHERE accession_number LIKE $1 ORDER BY event_id`,
  case_first_seen: `SELECT * FROM ops_console.case_first_seen WHERE accession_number LIKE $1 ORDER BY accession_number`,
  scan_fact: `SELECT * FROM ops_console.scan_fact WHERE slide_barcode LIKE $1 ORDER BY scan_id, type`,
  qc_fact: `SELECT * FROM ops_console.qc_fact WHERE slide_barcode LIKE $1 ORDER BY scan_id`,
  charge_fact: `SELECT * FROM ops_console.charge_fact WHERE accession_number LIKE $1 ORDER BY charge_id`,
  credit_fact: `SELECT * FROM ops_console.credit_fact WHERE accession_number LIKE $1 ORDER BY credit_id`,
};

/** Every read-model row of the accessions and barcodes starting with `prefix`, by table. */
async function rowsOf(prefix: string): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {};
  for (const [table, sql] of Object.entries(TABLES)) rows[table] = (await pool.query(sql, [`${prefix}%`])).rows;
  return rows;
}

async function deleteRowsOf(prefix: string): Promise<void> {
  for (const [table, sql] of Object.entries(TABLES)) {
    const column = /WHERE (\w+) LIKE/.exec(sql)?.[1] as string;
    await pool.query(`DELETE FROM ops_console.${table} WHERE ${column} LIKE $1`, [`${prefix}%`]);
  }
}

describe('a batch of the projection', () => {
  it('gives the same rows as its events one by one: repeated keys keep their first fact, lags and rescans see every side', async () => {
    const run = randomUUID().slice(0, 8).toUpperCase();
    const prefix = `EQ${run}`;
    const [accA, accB] = [`${prefix}-A`, `${prefix}-B`];
    const [slideA1, slideA2, slideB1] = [`${accA}-A1-1`, `${accA}-A1-2`, `${accB}-A1-1`];
    const t = Date.now() - 3_600_000;
    const at = (seconds: number) => new Date(t + seconds * 1000);
    const [s1, s2, s3, s4] = [1, 2, 3, 4].map((i) => `scan-${prefix}-${i}`) as [string, string, string, string];
    const [c0, c1, c2] = [randomUUID(), randomUUID(), randomUUID()];

    // Stored before the batch: a charge of A whose case and scans come later.
    const earlier = [chargePosted(c0, accA, [s1], at(500), 'AETNA')];
    const caseA = caseCreated(accA, [slideA1, slideA2], at(100));
    const scan1 = scanCompleted(s1, slideA1, at(300));
    const verdict1 = qcVerdict(s1, slideA1, true, at(310));
    const charge1 = chargePosted(c1, accA, [s1, s2], at(600), 'AETNA');
    const credit = chargeCredited(c1, accA, at(900));
    const batch = [
      charge1,
      // the same charge again under a new event id, other fields changed: the first is kept
      again(charge1, { data: { payerId: 'CIGNA', postedAt: at(700).toISOString(), scanIds: [s1] } }),
      scan1,
      again(scan1, { data: { scannedAt: at(50).toISOString(), scannerId: 'GT-OTHER' } }),
      // a later scan of A1 scanned earlier (it is the first scan, s1 the rescan), a scan started, a scan of B
      scanCompleted(s2, slideA1, at(200)),
      scanEvent('scan.started', s2, slideA1, at(190)),
      scanCompleted(s4, slideA2, at(400)),
      verdict1,
      again(verdict1, { type: 'qc.failed', data: { checks: [{ rule: 'focus', passed: false, value: 0.1, threshold: '>= 0.6', reason: 'blurred' }], reasons: ['blurred'] } }),
      // A's case: created, updated, and an older version arriving last (the earliest time wins)
      caseA,
      again(caseA, { type: 'case.updated', occurredAt: at(150), data: { version: 2 } }),
      again(caseA, { type: 'case.updated', occurredAt: at(20), data: { version: 3 } }),
      chargePosted(c2, accB, [s3], at(800), 'AETNA'),
      caseCreated(accB, [slideB1], at(80)),
      credit,
      again(credit, { data: { reason: 'other-reason' } }),
      scanCompleted(s3, slideB1, at(750)),
    ];

    changes.length = 0;
    await apply(`eq-one-${run}`, [earlier, ...batch.map((m) => [m])]);
    const oneByOne = await rowsOf(prefix);
    const changesOneByOne = changes.splice(0);
    await deleteRowsOf(prefix);
    await apply(`eq-batch-${run}`, [earlier, batch]);
    const batched = await rowsOf(prefix);
    const changesBatched = changes.splice(0);

    expect(batched).toEqual(oneByOne);
    // What the rows are, so that equal is also right.
    expect(oneByOne['case_first_seen']).toEqual([
      { accession_number: accA, first_occurred_at: at(20) },
      { accession_number: accB, first_occurred_at: at(80) },
    ]);
    expect(oneByOne['case_version_fact']).toHaveLength(4);
    expect((oneByOne['charge_fact'] as Array<Record<string, unknown>>).map((c) => [c['charge_id'], c['payer_id'], c['scan_ids'], c['scan_to_charge_seconds'], c['case_to_charge_seconds']])).toEqual(
      expect.arrayContaining([
        [c0, 'AETNA', [s1], 200, 480],
        [c1, 'AETNA', [s1, s2], 300, 580],
        [c2, 'AETNA', [s3], 50, 720],
      ]),
    );
    expect((oneByOne['scan_fact'] as Array<Record<string, unknown>>).map((s) => [s['scan_id'], s['type'], s['scanner_id'], s['rescan']])).toEqual([
      [s1, 'scan.completed', 'GT450-IT', true],
      [s2, 'scan.completed', 'GT450-IT', false],
      [s2, 'scan.started', 'GT450-IT', false],
      [s3, 'scan.completed', 'GT450-IT', false],
      [s4, 'scan.completed', 'GT450-IT', false],
    ]);
    expect(oneByOne['qc_fact']).toEqual([expect.objectContaining({ scan_id: s1, passed: true, failed_rules: [] })]);
    expect(oneByOne['credit_fact']).toEqual([expect.objectContaining({ credit_for: c1, reason: 'case-cancelled' })]);

    // The live feed hears of every event, in order, with the charge or credit it was.
    const summary = (c: ProjectionChange) => [c.topic, c.activity?.kind, c.activity?.id];
    expect(changesBatched.map(summary)).toEqual(changesOneByOne.map(summary));
    expect(changesBatched).toHaveLength(1 + batch.length);
    // In the batch, a charge's lags are those after the whole batch (its scans and case came in it).
    expect(changesBatched.find((c) => c.activity?.id === c2)?.activity).toMatchObject({ lagSeconds: 50, caseToChargeSeconds: 720 });
  });

  it('costs the same number of statements for 10 events as for 200, per topic', async () => {
    const run = randomUUID().slice(0, 8).toUpperCase();
    // By topic: cases, charges (before their scans, so the scans fill their lags), scans, verdicts, credits.
    const lab = (cases: number, tag: string) => {
      const t = Date.now() - 3_600_000;
      const topics: OutgoingMessage[][] = [[], [], [], [], []];
      for (let c = 0; c < cases; c++) {
        const acc = `ST${run}${tag}-${c}`;
        const slides = [`${acc}-A1-1`, `${acc}-A1-2`];
        topics[0]?.push(caseCreated(acc, slides, new Date(t)));
        slides.forEach((b, i) => {
          topics[2]?.push(scanCompleted(`scan-${acc}-${i}`, b, new Date(t + 60_000 + i)));
          topics[3]?.push(qcVerdict(`scan-${acc}-${i}`, b, i === 0, new Date(t + 61_000)));
        });
        const chargeId = randomUUID();
        topics[1]?.push(chargePosted(chargeId, acc, [`scan-${acc}-0`, `scan-${acc}-1`], new Date(t + 62_000)));
        topics[4]?.push(chargeCredited(chargeId, acc, new Date(t + 63_000)));
      }
      return topics;
    };
    const statementsOf = async (batches: OutgoingMessage[][]) => {
      const counts: number[] = [];
      for (const b of batches) {
        statements = 0;
        await apply(`st-${run}`, [b]);
        counts.push(statements);
      }
      return counts;
    };
    const small = await statementsOf(lab(5, 'S'));
    const info = jest.spyOn(app.get(ServiceRuntime).logger, 'info');
    const large = await statementsOf(lab(100, 'L'));
    expect(large).toEqual(small);
    // One log line per batch, with its counts: no id, no accession, no patient.
    const lines = info.mock.calls.filter(([, message]) => message === 'projection: batch projected');
    info.mockRestore();
    expect(lines).toHaveLength(5);
    expect(lines[2]?.[0]).toEqual({ events: 200, counts: { 'scan.events.v1': { 'scan.completed': 200 } }, ms: expect.any(Number) });
    expect(JSON.stringify(lines)).not.toMatch(/MRN-|ST[0-9A-F]{8}L/);
    // inbox + case versions + first seen and case lags | inbox + charges with both lags + lags read |
    // inbox + scans + rescans + charges of the scans + scan lags | inbox + verdicts | inbox + credits
    expect(small).toEqual([3, 3, 5, 2, 2]);
  });
});
