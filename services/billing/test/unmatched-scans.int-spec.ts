import { OutgoingMessage } from '@slidecharge/messaging';
import { barcodeOf, caseEvent, newAccession, qcEvent, scanEvent, snapshot } from './support';
import { useBillingHarness } from './harness';

/**
 * The unmatched-scans work list through the public HTTP interface, with tokens from the identity
 * provider, fed by scan and case events over Kafka: newest first, cursor pages, filters, a scan matched
 * later by a case, and dismissing a scan with a reason.
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
