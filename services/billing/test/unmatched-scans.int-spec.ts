import { IncomingMessage, incomingOf, OutgoingMessage } from '@slidecharge/messaging';
import { BillingTopic, ChargingService } from '../src/charging/charging.service';
import { barcodeOf, caseEvent, newAccession, qcEvent, scanEvent, snapshot } from './support';
import { useBillingHarness } from './harness';

/**
 * The unmatched-scans work list through the public HTTP interface, with tokens from the identity
 * provider, fed by scan and case events over Kafka: newest first, cursor pages, filters, a scan matched
 * later by a case, and dismissing a scan with a reason. The state is kept on the scan on write
 * (scan.worklist_state); the last tests walk one slide through every state and check the stored state
 * against the definition the list used to compute at read time.
 */
const harness = useBillingHarness({ name: 'billing-unmatched-it' });
const { http, send } = harness;
const signedIn = (user: string) => expect.stringMatching(new RegExp(`^${user} \\(sub [0-9a-f-]{36}\\)$`));

/** A completed scan of `barcode` from `scannerId`, with its QC pass. */
function scanFrom(barcode: string, scannerId: string): OutgoingMessage[] {
  const scan = scanEvent(barcode);
  const fromScanner = { ...scan, value: { ...scan.value, data: { ...scan.value.data, scannerId } } };
  return [fromScanner, qcEvent(fromScanner)];
}

const scanIdOf = (batch: OutgoingMessage[]) => (batch[0]?.value as { data: { scanId: string } }).data.scanId;
const ids = (body: { items: { scanId: string }[] }) => body.items.map((s) => s.scanId);

describe('GET /unmatched-scans', () => {
  const acc = newAccession('UNM');
  const batches = [1, 2, 3].map((n) => scanFrom(barcodeOf(acc, 'A', n), n === 2 ? 'NZ-02' : 'GT450-01'));
  let between: string;

  beforeAll(async () => {
    await send(batches[0] as OutgoingMessage[]);
    // Taken after billing handled the first scan and before the next ones are published.
    between = new Date().toISOString();
    await send(batches[1] as OutgoingMessage[], batches[2] as OutgoingMessage[]);
  }, 60_000);

  it('lists open scans newest first, two pages with an opaque cursor', async () => {
    const first = await http().get(`/unmatched-scans?barcodePrefix=${acc}&limit=2`).expect(200);
    expect(ids(first.body)).toEqual([scanIdOf(batches[2] as OutgoingMessage[]), scanIdOf(batches[1] as OutgoingMessage[])]);
    expect(first.body.items[0]).toMatchObject({ state: 'open', status: 'completed', waitingHours: 0 });
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await http().get(`/unmatched-scans?barcodePrefix=${acc}&limit=2&cursor=${first.body.nextCursor}`).expect(200);
    expect(ids(second.body)).toEqual([scanIdOf(batches[0] as OutgoingMessage[])]);
    expect(second.body.nextCursor).toBeUndefined();
  });

  it('filters by scanner, receipt time and age', async () => {
    const byScanner = await http().get(`/unmatched-scans?barcodePrefix=${acc}&scannerId=NZ-02`).expect(200);
    expect(ids(byScanner.body)).toEqual([scanIdOf(batches[1] as OutgoingMessage[])]);
    const older = await http().get(`/unmatched-scans?barcodePrefix=${acc}&receivedBefore=${encodeURIComponent(between)}`).expect(200);
    expect(ids(older.body)).toEqual([scanIdOf(batches[0] as OutgoingMessage[])]);
    const newer = await http().get(`/unmatched-scans?barcodePrefix=${acc}&receivedAfter=${encodeURIComponent(between)}`).expect(200);
    expect(ids(newer.body)).toHaveLength(2);
    const waitingADay = await http().get(`/unmatched-scans?barcodePrefix=${acc}&olderThanHours=24`).expect(200);
    expect(waitingADay.body.items).toEqual([]);
    const other = await http().get(`/unmatched-scans?barcodePrefix=${acc}X`).expect(200);
    expect(other.body.items).toEqual([]);
  });

  it('answers 400 saying what is wrong', async () => {
    const bad = await http().get(`/unmatched-scans?state=closed&olderThanHours=-2&receivedAfter=yesterday`).expect(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['olderThanHours', 'receivedAfter', 'state']);
    const range = await http().get(`/unmatched-scans?receivedAfter=2026-03-02&receivedBefore=2026-03-01`).expect(400);
    expect(range.body.issues).toEqual([{ path: 'receivedBefore', message: 'must be later than receivedAfter' }]);
    const cursor = await http().get('/unmatched-scans?cursor=not-a-cursor').expect(400);
    expect(cursor.body.issues[0]).toMatchObject({ path: 'cursor', message: expect.stringContaining('nextCursor') });
  });
});

describe('resolution: matched later by a case, or dismissed with a reason', () => {
  it('a case that takes the slide later moves the scan from open to matched, and it is charged', async () => {
    const acc = newAccession('UNM');
    const batch = scanFrom(barcodeOf(acc, 'A', 1), 'GT450-01');
    await send(batch);
    expect((await http().get(`/unmatched-scans?barcodePrefix=${acc}`).expect(200)).body.items.map((s: { state: string }) => s.state)).toEqual(['open']);
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))]);
    expect((await http().get(`/unmatched-scans?barcodePrefix=${acc}`).expect(200)).body.items).toEqual([]);
    const matched = await http().get(`/unmatched-scans?barcodePrefix=${acc}&state=matched`).expect(200);
    expect(matched.body.items).toEqual([expect.objectContaining({ scanId: scanIdOf(batch), state: 'matched', matchedAccession: acc })]);
    const { rows } = await harness.pool.query(`SELECT status FROM billing.charge WHERE accession_number = $1`, [acc]);
    expect(rows.map((r) => r.status)).toEqual(['posted']);
    // A scan whose case was there first never was on the work list.
    const onTime = scanFrom(barcodeOf(acc, 'A', 1), 'GT450-01');
    await send(onTime);
    const after = await http().get(`/unmatched-scans?barcodePrefix=${acc}&state=matched`).expect(200);
    expect(ids(after.body)).toEqual([scanIdOf(batch)]);
    const refused = await http('billing-reviewer').post(`/unmatched-scans/${scanIdOf(batch)}/dismiss`).send({ reason: 'test slide, never accessioned' }).expect(409);
    expect(refused.body.message).toContain(`case ${acc} has slide`);
  });

  it('matched means taken after the scan arrived: a later update of the case that already had the slide matches nothing', async () => {
    const acc = newAccession('UNM');
    const [onTimeSlide, lateSlide] = [barcodeOf(acc, 'A', 1), barcodeOf(acc, 'B', 1)];
    const assignedAt = async () => {
      const { rows } = await harness.pool.query(`SELECT barcode, accession_number, assigned_at FROM billing.billing_slide WHERE barcode = ANY($1) ORDER BY barcode`, [[onTimeSlide, lateSlide]]);
      return rows.map((r) => ({ barcode: r.barcode, accession: r.accession_number, at: new Date(r.assigned_at).toISOString() }));
    };
    const listed = async (state: string) =>
      (await http().get(`/unmatched-scans?barcodePrefix=${acc}&state=${state}`).expect(200)).body.items.map((s: { scanId: string; matchedAccession?: string }) => [s.scanId, s.matchedAccession]);

    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))]);
    const onTime = scanFrom(onTimeSlide, 'GT450-01');
    const late = scanFrom(lateSlide, 'GT450-01');
    await send(onTime, late);
    expect(await listed('open')).toEqual([[scanIdOf(late), undefined]]);

    // Version 2 adds specimen B with the waiting slide; version 3 changes only the payer's name.
    const specimens = [{ id: 'A', cpt: '88305', slides: 1 }, { id: 'B', cpt: '88305', slides: 1 }];
    await send([caseEvent(snapshot(acc, specimens, { version: 2 }), 'case.updated')]);
    const afterTaking = await assignedAt();
    await send([caseEvent(snapshot(acc, specimens, { version: 3, payer: { payerId: 'AETNA', name: 'Aetna Health' } }), 'case.updated')]);
    expect(await assignedAt()).toEqual(afterTaking);
    expect(await listed('matched')).toEqual([[scanIdOf(late), acc]]);
    expect(await listed('open')).toEqual([]);
    expect(await listed('dismissed')).toEqual([]);

    // A slide that moves to another case is taken anew by that case.
    const other = newAccession('UNM');
    await send([caseEvent(snapshot(other, [{ id: 'A', cpt: '88305', slides: 0 }], { slides: [{ barcode: lateSlide, specimenId: 'A' }] }))]);
    const moved = (await assignedAt()).find((s) => s.barcode === lateSlide);
    expect(moved).toMatchObject({ accession: other });
    expect(moved?.at).not.toBe(afterTaking.find((s) => s.barcode === lateSlide)?.at);
    expect(await listed('matched')).toEqual([[scanIdOf(late), other]]);
  });

  it('a billing reviewer dismisses an open scan with a reason: who, when and why are kept; once only', async () => {
    const acc = newAccession('UNM');
    const batch = scanFrom(barcodeOf(acc, 'A', 1), 'GT450-01');
    await send(batch);
    const scanId = scanIdOf(batch);
    await http('ops-viewer').post(`/unmatched-scans/${scanId}/dismiss`).send({ reason: 'test slide, never accessioned' }).expect(403);
    const noReason = await http('billing-reviewer').post(`/unmatched-scans/${scanId}/dismiss`).send({ reason: 'no' }).expect(400);
    expect(noReason.body.issues[0].path).toBe('reason');
    const actorInBody = await http('billing-reviewer').post(`/unmatched-scans/${scanId}/dismiss`).send({ reason: 'test slide, never accessioned', by: 'someone else' }).expect(400);
    expect(actorInBody.body.message).toContain('by');
    await http('billing-reviewer').post(`/unmatched-scans/no-such-scan/dismiss`).send({ reason: 'test slide, never accessioned' }).expect(404);

    const dismissed = await http('billing-reviewer').post(`/unmatched-scans/${scanId}/dismiss`).send({ reason: 'test slide, never accessioned' }).expect(200);
    expect(dismissed.body).toMatchObject({ scanId, state: 'dismissed', dismissal: { by: signedIn('reviewer'), reason: 'test slide, never accessioned' } });
    expect((await http().get(`/unmatched-scans?barcodePrefix=${acc}`).expect(200)).body.items).toEqual([]);
    const list = await http().get(`/unmatched-scans?barcodePrefix=${acc}&state=dismissed`).expect(200);
    expect(list.body.items).toEqual([expect.objectContaining({ scanId, state: 'dismissed', dismissal: dismissed.body.dismissal })]);
    const again = await http('billing-reviewer').post(`/unmatched-scans/${scanId}/dismiss`).send({ reason: 'second thoughts' }).expect(409);
    expect(again.body.message).toContain('dismissed already');
  });
});

/** Where the scan is listed (GET /unmatched-scans of each state, barcodes starting with `prefix`): its state and matched accession. */
async function listedAs(prefix: string, scanId: string): Promise<[string, string | undefined][]> {
  const found: [string, string | undefined][] = [];
  for (const state of ['open', 'matched', 'dismissed']) {
    const page = await http().get(`/unmatched-scans?barcodePrefix=${prefix}&state=${state}`).expect(200);
    for (const item of page.body.items as { scanId: string; state: string; matchedAccession?: string }[]) {
      if (item.scanId === scanId) found.push([item.state, item.matchedAccession]);
    }
  }
  return found;
}

describe('the work-list state kept on the scan', () => {
  it('walks one slide: open, matched when its case comes, open again when the case drops it, dismissed, matched again', async () => {
    const acc = newAccession('UNW');
    const batch = scanFrom(barcodeOf(acc, 'A', 1), 'GT450-01');
    const scanId = scanIdOf(batch);
    const withSlide = (version: number) => caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }], { version }), version === 1 ? 'case.created' : 'case.updated');

    await send(batch);
    expect(await listedAs(acc, scanId)).toEqual([['open', undefined]]);
    await send([withSlide(1)]);
    expect(await listedAs(acc, scanId)).toEqual([['matched', acc]]);
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 0 }], { version: 2 }), 'case.updated')]);
    expect(await listedAs(acc, scanId)).toEqual([['open', undefined]]);
    await http('billing-reviewer').post(`/unmatched-scans/${scanId}/dismiss`).send({ reason: 'slide relabelled, scanned again' }).expect(200);
    expect(await listedAs(acc, scanId)).toEqual([['dismissed', undefined]]);
    // A case that takes the slide after the dismissal still takes the scan.
    await send([withSlide(3)]);
    expect(await listedAs(acc, scanId)).toEqual([['matched', acc]]);
  });

  it('after a mixed batch every scan has the state the list computed at read time (the join of scan and slide)', async () => {
    const charging = harness.app.get(ChargingService);
    const asIncoming = (m: OutgoingMessage): IncomingMessage<BillingTopic> => incomingOf(m as OutgoingMessage<BillingTopic>, 'worklist-test');
    const handle = (...messages: OutgoingMessage[]) => charging.handleBatch(messages.map(asIncoming));
    const dismiss = (scanId: string) => http('billing-reviewer').post(`/unmatched-scans/${scanId}/dismiss`).send({ reason: 'set aside by the test' }).expect(200);
    const [p, q, m, lone] = [newAccession('UNX'), newAccession('UNX'), newAccession('UNX'), newAccession('UNX')];
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    const idOf = (e: OutgoingMessage) => (e.value as { data: { scanId: string } }).data.scanId;

    // Before the batch: case P holds PA1, PA2 and PB1; scans of P's slides (not listed), of Q's slides
    // before Q exists (open, one dismissed), a started scan, and scans of slides no case will have.
    await handle(caseEvent(snapshot(p, [{ id: 'A', cpt: '88305', slides: 2 }, { id: 'B', cpt: '88307', slides: 1 }])));
    const s1 = scanEvent(barcodeOf(p, 'A', 1));
    const s2 = scanEvent(barcodeOf(p, 'A', 2));
    const s3 = scanEvent(barcodeOf(q, 'A', 1));
    const s4 = scanEvent(barcodeOf(q, 'A', 2));
    const s5started = scanEvent(barcodeOf(q, 'B', 1), { type: 'scan.started', scannedAt: minuteAgo });
    const s6 = scanEvent(barcodeOf(lone, 'A', 1));
    const s7 = scanEvent(barcodeOf(lone, 'A', 2), { scannedAt: minuteAgo });
    await handle(s1, s2, s3, s4, s5started, s6, s7);
    await dismiss(idOf(s4));
    await dismiss(idOf(s6));

    // The batch: facts, three case events (Q takes its slides, P drops PA2 and specimen B, M takes PA1
    // from P), facts again; reports that complete or fail stored scans, and a late started report.
    const s5 = scanEvent(barcodeOf(q, 'B', 1), { scanId: idOf(s5started) });
    const s8 = scanEvent(barcodeOf(p, 'B', 1));
    const s9 = scanEvent(barcodeOf(q, 'A', 1));
    const s7failed = scanEvent(barcodeOf(lone, 'A', 2), { scanId: idOf(s7), type: 'scan.failed' });
    const s10started = scanEvent(barcodeOf(lone, 'B', 1), { type: 'scan.started', scannedAt: minuteAgo });
    const s10 = scanEvent(barcodeOf(lone, 'B', 1), { scanId: idOf(s10started) });
    const s11 = scanEvent(barcodeOf(p, 'A', 2));
    const results = await handle(
      s5,
      s8,
      qcEvent(s8),
      caseEvent(snapshot(q, [{ id: 'A', cpt: '88305', slides: 2 }, { id: 'B', cpt: '88305', slides: 1 }])),
      caseEvent(snapshot(p, [{ id: 'A', cpt: '88305', slides: 0 }], { version: 2 }), 'case.updated'),
      caseEvent(snapshot(m, [{ id: 'A', cpt: '88305', slides: 0 }], { slides: [{ barcode: barcodeOf(p, 'A', 1), specimenId: 'A' }] })),
      s9,
      s7failed,
      s10,
      s10started,
      s11,
    );
    expect(results.map((r) => r.outcome)).toEqual([
      'scan-unmatched', 'scan-applied', 'qc-applied', 'case-applied', 'case-applied', 'case-applied',
      'scan-applied', 'scan-unmatched', 'scan-unmatched', 'scan-superseded', 'scan-unmatched',
    ]);

    const { rows: differing } = await harness.pool.query(
      `SELECT s.scan_id, s.status, s.worklist_state, listed.state AS computed
         FROM billing.scan s
         JOIN (SELECT c.scan_id,
                      CASE WHEN c.status <> 'completed' THEN NULL
                           WHEN sl.barcode IS NULL AND c.dismissed_at IS NULL THEN 'open'
                           WHEN sl.barcode IS NULL THEN 'dismissed'
                           WHEN c.received_at < sl.assigned_at THEN 'matched' END AS state
                 FROM billing.scan c LEFT JOIN billing.billing_slide sl ON sl.barcode = c.slide_barcode) listed ON listed.scan_id = s.scan_id
        WHERE s.worklist_state IS DISTINCT FROM listed.state`,
    );
    expect(differing).toEqual([]);

    const { rows } = await harness.pool.query(`SELECT scan_id, worklist_state FROM billing.scan WHERE scan_id = ANY($1)`, [
      [s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11].map(idOf),
    ]);
    const stateOf = new Map(rows.map((r) => [r.scan_id as string, r.worklist_state as string | null]));
    expect([s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11].map((e) => stateOf.get(idOf(e)))).toEqual([
      'matched', // PA1: moved from P to M, which took it after the scan came
      'open', // PA2: dropped by P
      'matched', // QA1: Q came after the scan
      'matched', // QA2: dismissed, then Q took it
      'matched', // QB1: started before the batch, completed in it, then Q took it
      'dismissed', // no case
      null, // failed after it completed
      'open', // PB1: scanned while P held it, then P dropped specimen B
      null, // QA1 again, after Q took it
      'open', // completed in the batch (a late started of it changes nothing), no case
      'open', // PA2 again, after P dropped it
    ]);
    expect(await listedAs(p, idOf(s1))).toEqual([['matched', m]]);
    expect(await listedAs(p, idOf(s8))).toEqual([['open', undefined]]);
  });
});
