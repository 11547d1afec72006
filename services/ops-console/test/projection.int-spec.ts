import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Pool } from 'pg';
import type { OpsOverview } from '@slidecharge/contracts';
import { createLogger, KafkaBus, OutgoingMessage } from '@slidecharge/messaging';
import { createServiceApp } from '@slidecharge/service-kit';
import { asCaller, deleteGroup, identityEnv, serviceDatabaseUrl, startGroupAtEnd, testEnv, waitForGroupCaughtUp } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { loadServiceConfig } from '../src/config';
import { PROJECTED_TOPICS } from '../src/projection/facts';
import { OPS_CONSOLE_SERVICE } from '../src/openapi';
import { caseCreated, chargeCredited, chargePosted, qcVerdict, scanCompleted } from './events';

/**
 * The read model against the real broker and database: contract-valid events on the four topics, as
 * the owning services publish them, become facts (lags filled whatever the arrival order), the
 * overview's projection numbers move by exactly them, and replays change nothing.
 * Its own consumer group starts at the end of the shared topics. Other suites publish on the same
 * topics at the same time, so the numbers are checked through this run's own payer, scanner and QC
 * rule (breakdown entries no one else writes).
 */
const { kafkaBrokers, kafka, kafkaEnv, databaseUrl } = testEnv();
const group = `ops-console-it-${randomUUID().slice(0, 8)}`;
const run = randomUUID().slice(0, 8).toUpperCase();
const payer = `PAYER-${run}`;
const scanner = `GT-${run}`;
const rule = `focus-${run}`;
let app: INestApplication;
let bus: KafkaBus;
let pool: Pool;

beforeAll(async () => {
  await startGroupAtEnd(kafkaBrokers, group, PROJECTED_TOPICS);
  const config = loadServiceConfig({
    ...kafkaEnv,
    ...identityEnv(),
    DATABASE_URL: serviceDatabaseUrl('ops-console'),
    LOG_LEVEL: 'warn',
    PORT: '0',
    OPS_CONSOLE_CONSUMER_GROUP: group,
    OPS_CONSOLE_FEE_SCHEDULE_FILE: 'ops/fee-schedule.example.json',
  });
  app = await createServiceApp(AppModule.forRoot(config), OPS_CONSOLE_SERVICE, { logger: false });
  await app.init();
  bus = new KafkaBus({ connection: kafka, clientId: 'ops-console-it', service: 'ops-console-it', logger: createLogger('ops-console-it', 'warn') });
  await bus.connect();
  pool = new Pool({ connectionString: databaseUrl });
}, 60_000);

afterAll(async () => {
  await bus?.disconnect();
  await app?.close();
  await pool?.end();
  await deleteGroup(kafkaBrokers, group);
});

/** Publishes and waits until the projection's group has committed past them. */
async function publish(messages: OutgoingMessage[]): Promise<void> {
  await bus.publish(messages);
  await waitForGroupCaughtUp(kafkaBrokers, group, PROJECTED_TOPICS);
}

async function overview(): Promise<OpsOverview> {
  const res = await asCaller(app.getHttpServer(), 'ops-viewer').get('/api/overview').expect(200);
  return res.body as OpsOverview;
}

const secondsAgo = (s: number, from = Date.now()) => new Date(from - s * 1000);

/** The breakdown entry of this run's key (0 when there is none). */
function entry(o: OpsOverview, id: keyof OpsOverview['metrics'], by: 'payer' | 'scanner' | 'reason' | 'code', key: string): number {
  return o.metrics[id].breakdowns?.[by]?.find((b) => b.key === key)?.value ?? 0;
}

async function chargeRow(chargeId: string) {
  const { rows } = await pool.query(`SELECT scan_to_charge_seconds AS scan, case_to_charge_seconds AS "case" FROM ops_console.charge_fact WHERE charge_id = $1`, [chargeId]);
  return rows[0] as { scan: number | null; case: number | null } | undefined;
}

describe('the read model', () => {
  const accession = `IT${run}-1`;
  const barcode = `${accession}-A1-1`;
  const now = Date.now();
  const chargeId = randomUUID();
  const postedAt = secondsAgo(20, now);
  const events = {
    caseEvent: caseCreated(accession, [barcode], secondsAgo(600, now)),
    scan: scanCompleted(`scan-${run}-1`, barcode, secondsAgo(30, now), scanner),
    verdict: qcVerdict(`scan-${run}-1`, barcode, true, secondsAgo(29, now)),
    charge: chargePosted(chargeId, accession, [`scan-${run}-1`], postedAt, payer),
  };

  it('projects a case, its scan, its verdict and its charge with both lags', async () => {
    const before = await overview();
    await publish([events.caseEvent, events.scan, events.verdict, events.charge]);
    const row = await chargeRow(chargeId);
    expect(row).toEqual({ scan: 10, case: 580 });
    const after = await overview();
    expect(entry(after, 'charges.today', 'payer', payer)).toBe(1);
    expect(entry(after, 'charges.week', 'payer', payer)).toBe(1);
    expect(entry(after, 'charges.amount.today', 'payer', payer)).toBe(2400);
    expect(entry(after, 'scans.last-hour', 'scanner', scanner)).toBe(1);
    expect(after.metrics['charges.today'].value).toBeGreaterThanOrEqual((before.metrics['charges.today'].value ?? 0) + 1);
  });

  it('fills the lag of a charge that came before its scans, from the latest of them', async () => {
    const lateCharge = randomUUID();
    const [s1, s2] = [`scan-${run}-2a`, `scan-${run}-2b`];
    const base = Date.now();
    await publish([chargePosted(lateCharge, `IT${run}-2`, [s1, s2], secondsAgo(5, base))]);
    expect((await chargeRow(lateCharge))?.scan).toBeNull();
    await publish([scanCompleted(s2, `IT${run}-2-A1-2`, secondsAgo(15, base)), scanCompleted(s1, `IT${run}-2-A1-1`, secondsAgo(45, base))]);
    expect((await chargeRow(lateCharge))?.scan).toBe(10);
  });

  it('flags a later scan of a barcode seen before as a rescan, whatever the arrival order', async () => {
    const slide = `IT${run}-3-A1-1`;
    await publish([scanCompleted(`scan-${run}-3b`, slide, secondsAgo(60), scanner), scanCompleted(`scan-${run}-3a`, slide, secondsAgo(120), scanner)]);
    const { rows } = await pool.query(`SELECT scan_id, rescan FROM ops_console.scan_fact WHERE slide_barcode = $1 ORDER BY scanned_at`, [slide]);
    expect(rows).toEqual([
      { scan_id: `scan-${run}-3a`, rescan: false },
      { scan_id: `scan-${run}-3b`, rescan: true },
    ]);
    expect(entry(await overview(), 'qc.rescans.24h', 'scanner', scanner)).toBe(1);
  });

  it('counts a QC failure and a credit in the overview', async () => {
    const start = await overview();
    const slide = `IT${run}-4-A1-1`;
    await publish([
      scanCompleted(`scan-${run}-4`, slide, secondsAgo(10), scanner),
      qcVerdict(`scan-${run}-4`, slide, false, secondsAgo(9), rule),
      chargeCredited(chargeId, accession, secondsAgo(1)),
    ]);
    const after = await overview();
    expect(after.metrics['credits.today'].value).toBeGreaterThanOrEqual((start.metrics['credits.today'].value ?? 0) + 1);
    // This run's scanner had one verdict judged in the window (scan 1 passed) and now one failure: 1 / 2.
    expect(entry(after, 'qc.failure-rate.24h', 'scanner', scanner)).toBe(0.5);
    expect(entry(after, 'qc.failure-rate.24h', 'reason', rule)).toBeGreaterThan(0);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ops_console.credit_fact WHERE credit_for = $1`, [chargeId]);
    expect(rows[0].n).toBe(1);
  });

  it('changes nothing when the same events come again (redelivery) or a charge is republished under a new event id', async () => {
    const start = await overview();
    const republished = chargePosted(chargeId, accession, [`scan-${run}-1`], postedAt, payer);
    await publish([events.caseEvent, events.scan, events.verdict, events.charge, republished]);
    const after = await overview();
    expect(entry(after, 'charges.today', 'payer', payer)).toBe(entry(start, 'charges.today', 'payer', payer));
    expect(entry(after, 'scans.last-hour', 'scanner', scanner)).toBe(entry(start, 'scans.last-hour', 'scanner', scanner));
    expect(entry(after, 'qc.rescans.24h', 'scanner', scanner)).toBe(entry(start, 'qc.rescans.24h', 'scanner', scanner));
    expect(entry(after, 'qc.failure-rate.24h', 'scanner', scanner)).toBe(entry(start, 'qc.failure-rate.24h', 'scanner', scanner));
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ops_console.charge_fact WHERE charge_id = $1`, [chargeId]);
    expect(rows[0].n).toBe(1);
  });

  it('gives the lag chart of the last hour from the projection', async () => {
    const res = await asCaller(app.getHttpServer(), 'ops-viewer').get('/api/charge-lag?measure=scan-to-charge&window=1h').expect(200);
    expect(res.body).toMatchObject({ measure: 'scan-to-charge', window: '1h', bucketSeconds: 60 });
    expect(res.body.points.length).toBeGreaterThanOrEqual(1);
  });
});
