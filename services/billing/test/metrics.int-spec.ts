import { join } from 'node:path';
import { estimateCents, parseFeeSchedule } from '@slidecharge/billing-rules';
import { eventually } from '@slidecharge/testing';
import { readFileSync } from 'node:fs';
import { chargeIdFor } from '../src/charge/charge-id';
import { barcodeOf, caseEvent, newAccession, passingScans, snapshot } from './support';
import { useBillingHarness } from './harness';

/**
 * Billing's business metrics on GET /metrics and the outbox backlog in readiness, against the real
 * Postgres and Kafka, with the example fee schedule. The registry is one per process (shared by the
 * tests of this file), so counters are compared before and after.
 */
const FEE_SCHEDULE = join(__dirname, '../../../ops/fee-schedule.example.json');
const harness = useBillingHarness({ name: 'billing-metrics-it', readTopics: ['billing.charges.v1'], env: { SLIDECHARGE_FEE_SCHEDULE_FILE: FEE_SCHEDULE } });
const { http, send } = harness;

type Samples = Map<string, number>;

/** GET /metrics as `name{labels}` -> value (labels as printed by prom-client, in their order). */
async function scrape(): Promise<Samples> {
  const res = await http('ops-viewer').get('/metrics').expect(200);
  const samples: Samples = new Map();
  for (const line of res.text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const value = (samples: Samples, series: string) => samples.get(series) ?? 0;

/** Waits until the scrape satisfies `ready`; returns that scrape. */
const scrapeUntil = (ready: (s: Samples) => boolean, what: string) =>
  eventually(async () => {
    const s = await scrape();
    return ready(s) ? s : undefined;
  }, 20_000, what);

describe('billing metrics', () => {
  it('a posted charge moves the lag histograms (scan completed -> posted) and charges_posted_total of its code and payer', async () => {
    const before = await scrape();
    const acc = newAccession('MET');
    const scannedAt = new Date(Date.now() - 120_000).toISOString();
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))], passingScans([barcodeOf(acc, 'A', 1)], scannedAt));
    const lagCount = 'slidecharge_charge_lag_seconds_count{code="0753T"}';
    const after = await scrapeUntil((s) => value(s, lagCount) > value(before, lagCount), 'the charge lag to be observed');

    expect(value(after, lagCount) - value(before, lagCount)).toBe(1);
    expect(value(after, 'slidecharge_charges_posted_total{code="0753T",payer="AETNA"}') - value(before, 'slidecharge_charges_posted_total{code="0753T",payer="AETNA"}')).toBe(1);
    // Scanned two minutes before the charge: in the 300 s bucket, not in the 60 s one.
    const bucket = (le: string) => `slidecharge_charge_lag_seconds_bucket{le="${le}",code="0753T"}`;
    expect(value(after, bucket('60')) - value(before, bucket('60'))).toBe(0);
    expect(value(after, bucket('300')) - value(before, bucket('300'))).toBe(1);
    const lagSum = 'slidecharge_charge_lag_seconds_sum{code="0753T"}';
    expect(value(after, lagSum) - value(before, lagSum)).toBeGreaterThanOrEqual(120);
    // The case reached billing in the same test: case to charge is seconds.
    expect(value(after, 'slidecharge_case_to_charge_seconds_count') - value(before, 'slidecharge_case_to_charge_seconds_count')).toBe(1);
    expect(value(after, 'slidecharge_case_to_charge_seconds_bucket{le="60"}') - value(before, 'slidecharge_case_to_charge_seconds_bucket{le="60"}')).toBe(1);
    // No accession, barcode or patient in any label.
    expect([...after.keys()].filter((series) => series.includes(acc) || series.includes(`MRN-${acc}`))).toEqual([]);
  });

  it('a held charge shows in the held gauges (count, and value by the fee schedule); released, it is counted as posted with its lag', async () => {
    const acc = newAccession('MET');
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', units: 2, slides: 1 }], { payer: { payerId: 'MEDICARE', name: 'Medicare Part B' } }))], passingScans([barcodeOf(acc, 'A', 1)]));
    const chargeId = chargeIdFor(`${acc}/A/0753T`);
    const { rows } = await harness.pool.query(`SELECT status FROM billing.charge WHERE charge_id = $1`, [chargeId]);
    expect(rows).toEqual([{ status: 'held' }]);

    // What the database holds now (other files' held charges included), priced by the same schedule.
    const schedule = parseFeeSchedule(JSON.parse(readFileSync(FEE_SCHEDULE, 'utf8')));
    if (!schedule.ok) throw new Error('the example fee schedule is invalid');
    const held = await harness.pool.query(`SELECT payer_id, count(*)::int AS n, sum(units)::int AS units FROM billing.charge WHERE status = 'held' AND code = '0753T' GROUP BY payer_id`);
    const heldCount = held.rows.reduce((sum, r) => sum + (r.n as number), 0);
    const heldCents = held.rows.reduce((sum, r) => sum + (estimateCents(schedule.schedule, '0753T', r.payer_id as string, r.units as number) ?? 0), 0);
    expect(heldCount).toBeGreaterThanOrEqual(1);
    expect(heldCents).toBeGreaterThanOrEqual(2 * 2210); // this charge: 2 units x the Medicare amount

    const whileHeld = await scrape();
    expect(whileHeld.get('slidecharge_charges_held{code="0753T"}')).toBe(heldCount);
    expect(whileHeld.get('slidecharge_charges_held_value_cents{code="0753T"}')).toBe(heldCents);

    const posted = 'slidecharge_charges_posted_total{code="0753T",payer="MEDICARE"}';
    const lagCount = 'slidecharge_charge_lag_seconds_count{code="0753T"}';
    await http('billing-reviewer').post(`/charges/${chargeId}/release`).send({ justification: 'medical necessity documented in the sign-out note' }).expect(200);
    const released = await scrapeUntil((s) => value(s, posted) > value(whileHeld, posted), 'the released charge to be counted');
    expect(value(released, posted) - value(whileHeld, posted)).toBe(1);
    expect(value(released, lagCount) - value(whileHeld, lagCount)).toBe(1);
    expect(released.get('slidecharge_charges_held{code="0753T"}')).toBe(heldCount - 1);
    expect(released.get('slidecharge_charges_held_value_cents{code="0753T"}')).toBe(heldCents - 2 * 2210);
  });

  it('shows unmatched scans and DFT deliveries by state, the outbox backlog, and the consumer lag of its own group', async () => {
    const groupId = harness.groupId;
    const s = await scrapeUntil((m) => [...m.keys()].some((k) => k.startsWith(`slidecharge_consumer_lag{group="${groupId}"`)), 'the consumer lag to be read');
    for (const state of ['open', 'matched', 'dismissed']) expect(s.get(`slidecharge_unmatched_scans{state="${state}"}`)).toEqual(expect.any(Number));
    for (const state of ['pending', 'in-flight', 'failed', 'not-sendable']) expect(s.get(`slidecharge_deliveries{state="${state}"}`)).toEqual(expect.any(Number));
    expect(s.get('slidecharge_outbox_backlog{schema="billing"}')).toEqual(expect.any(Number));
    for (const topic of ['lis.case-events.v1', 'scan.events.v1', 'qc.results.v1']) {
      expect(s.get(`slidecharge_consumer_lag{group="${groupId}",topic="${topic}"}`)).toBeGreaterThanOrEqual(0);
    }
    const { rows } = await harness.pool.query(`SELECT count(*)::int AS n FROM billing.scan s LEFT JOIN billing.billing_slide sl ON sl.barcode = s.slide_barcode WHERE s.status = 'completed' AND sl.barcode IS NULL AND s.dismissed_at IS NULL`);
    expect(s.get('slidecharge_unmatched_scans{state="open"}')).toBe(rows[0].n);
  });

  it('readiness reports the outbox backlog as `backlog` in the outbox-relay check', async () => {
    const res = await eventually(async () => {
      const r = await http().get('/health/ready');
      return r.status === 200 ? r : undefined;
    }, 30_000, 'readiness');
    const outbox = res.body.checks.find((c: { name: string }) => c.name === 'outbox-relay');
    expect(outbox).toMatchObject({ name: 'outbox-relay', status: 'up', backlog: expect.any(Number), oldestPendingSeconds: expect.any(Number), parked: expect.any(Number) });
    expect(outbox.backlog).toBeGreaterThanOrEqual(0);
  });
});
