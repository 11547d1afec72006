import { IncomingMessage, incomingOf, OutgoingMessage } from '@slidecharge/messaging';
import { CaseFacts } from '../src/charging/case-facts-cache';
import { BillingRepository } from '../src/charging/billing.repository';
import { BillingTopic, ChargingService } from '../src/charging/charging.service';
import { billingMetrics } from '../src/metrics/billing.metrics';
import { PrismaService } from '../src/prisma.service';
import { useBillingHarness } from './harness';
import { barcodeOf, caseEvent, newAccession, qcEvent, scanEvent, snapshot } from './support';

/**
 * The large cases' facts kept in memory between transactions (case-facts-cache.ts), against the real
 * Postgres: every case is "large" here (BILLING_CASE_CACHE_MIN_SLIDES=1). After each transaction of a
 * stream built to change facts in every way billing stores them (a verdict before its scan, a scan
 * started then completed, a failed scan, a failed verdict, a scan whose corrected report names a slide
 * of another case, a verdict naming another slide than its scan's, a new case version, repeats), the
 * facts kept for each case are exactly those a read of the database gives, and the kept facts were used.
 */
const harness = useBillingHarness({ name: 'billing-case-facts', env: { BILLING_CASE_CACHE_MIN_SLIDES: '1' } });
const asIncoming = <T extends BillingTopic>(m: OutgoingMessage<T>): IncomingMessage<T> => incomingOf(m, 'case-facts-test');

/** The case's facts as kept by the service at the case's stored revision (undefined when not kept). */
async function kept(accession: string): Promise<CaseFacts | undefined> {
  const { rows } = await harness.pool.query(`SELECT facts_revision FROM billing.billing_case WHERE accession_number = $1`, [accession]);
  return harness.app.get(ChargingService).caseFacts.at(accession, rows[0].facts_revision as number);
}

/** The case's facts as a whole read of the database gives them. */
async function stored(accession: string): Promise<Omit<CaseFacts, 'revision'>> {
  const [loaded] = await harness.app.get(BillingRepository).loadCases(harness.app.get(PrismaService), [accession]);
  if (!loaded) throw new Error(`case ${accession} not stored`);
  return { version: loaded.version, facts: loaded.facts, scans: loaded.scans, qcResults: loaded.qcResults };
}

const memoryReads = async () => (await billingMetrics.caseFactsReads.get()).values.find((v) => v.labels.source === 'memory')?.value ?? 0;

it('after every transaction of a stream that changes facts every way, the kept facts are what the database holds', async () => {
  const charging = harness.app.get(ChargingService);
  const [x, y] = [newAccession('BFX'), newAccession('BFY')];
  const caseX = snapshot(x, [{ id: 'A', cpt: '88305', slides: 3 }, { id: 'B', cpt: '88307', slides: 2 }]);
  const caseY = snapshot(y, [{ id: 'A', cpt: '88305', slides: 2 }]);
  const s1 = scanEvent(barcodeOf(x, 'A', 1));
  const s2started = scanEvent(barcodeOf(x, 'A', 2), { type: 'scan.started', scannedAt: new Date(Date.now() - 60_000).toISOString() });
  const s2 = scanEvent(barcodeOf(x, 'A', 2), { scanId: s2started.value.data.scanId });
  const s3failed = scanEvent(barcodeOf(x, 'A', 3), { type: 'scan.failed' });
  const s4onY = scanEvent(barcodeOf(y, 'A', 1), { scannedAt: new Date(Date.now() - 30_000).toISOString() });
  const s4onX = scanEvent(barcodeOf(x, 'B', 1), { scanId: s4onY.value.data.scanId });
  const s5 = scanEvent(barcodeOf(y, 'A', 2));
  const qc4namingY = { ...qcEvent(s4onX), key: barcodeOf(y, 'A', 2) };
  qc4namingY.value = { ...qc4namingY.value, data: { ...qc4namingY.value.data, slideBarcode: barcodeOf(y, 'A', 2) } };
  const caseXv2 = { ...caseX, version: 2, slides: [...caseX.slides, { barcode: barcodeOf(x, 'B', 3), specimenId: 'B' }] };
  const s6 = scanEvent(barcodeOf(x, 'B', 3));

  const transactions: OutgoingMessage[][] = [
    [caseEvent(caseX), caseEvent(caseY)],
    [qcEvent(s1)], // the verdict before its scan: not a fact of X until the scan comes
    [s1],
    [s2started, s3failed],
    [s2, qcEvent(s2, false), s4onY, s5],
    [qcEvent(s5), s4onX], // s4's corrected report names a slide of X: it leaves Y
    [qc4namingY, qcEvent(s2)], // a verdict on s4 (now X's) that names a slide of Y
    [caseEvent(caseXv2, 'case.updated'), s6, qcEvent(s6)], // a new version, then facts, in one transaction
    [s1, qcEvent(s5)], // repeats: nothing changes
  ];
  const before = await memoryReads();
  for (const [i, batch] of transactions.entries()) {
    await charging.handleBatch(batch.map((m) => asIncoming(m as OutgoingMessage<BillingTopic>)));
    for (const accession of [x, y]) {
      const facts = await kept(accession);
      expect({ transaction: i, accession, facts: facts && { ...facts, revision: undefined } }).toEqual({
        transaction: i,
        accession,
        facts: { ...(await stored(accession)), revision: undefined },
      });
    }
  }
  // The facts came from memory for most decisions (the first of each case, and the new version, read).
  expect((await memoryReads()) - before).toBeGreaterThanOrEqual(8);
  const x1 = await stored(x);
  expect(x1.scans.map((s) => s.scanId).sort()).toEqual([s1, s2, s3failed, s4onX, s6].map((s) => s.value.data.scanId).sort());
  expect((await stored(y)).scans.map((s) => s.scanId)).toEqual([s5.value.data.scanId]);
});
