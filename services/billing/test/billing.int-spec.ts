import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DEAD_LETTER_TOPIC, DeadLetter } from '@slidecharge/contracts';
import { IncomingMessage, incomingOf, OutgoingMessage } from '@slidecharge/messaging';
import { eventually, testKafka } from '@slidecharge/testing';
import { chargeCreditedEventIdFor, chargeIdFor, chargeIdForGeneration, chargePostedEventIdFor, creditIdFor } from '../src/charge/charge-id';
import { BillingTopic, ChargingService } from '../src/charging/charging.service';
import { barcodeOf, caseEvent, ChargeMessage, COLLECTED, CreditMessage, isChargeOf, isCreditOf, newAccession, passingScans, qcEvent, scanEvent, snapshot } from './support';
import { useBillingHarness } from './harness';

/**
 * The billing service in-process (AppModule) against the real Postgres and Kafka: events in on the
 * three input topics, charges out on billing.charges.v1, and the HTTP API billing staff use.
 */
/** Billing in-process; http() calls with a token from the identity provider (reads: an ops viewer). */
const harness = useBillingHarness({ name: 'billing-it', readTopics: ['billing.charges.v1', DEAD_LETTER_TOPIC] });
const { http, send } = harness;
/** How the audit trail names a person signed in with the development identity provider. */
const signedIn = (user: string) => expect.stringMatching(new RegExp(`^${user} \\(sub [0-9a-f-]{36}\\)$`));

/** The keys of the accession's live charges (held, posted or do-not-send). */
async function storedChargeKeys(accession: string): Promise<string[]> {
  const { rows } = await harness.pool.query(
    `SELECT charge_key FROM billing.charge WHERE accession_number = $1 AND status IN ('held', 'posted', 'do-not-send') ORDER BY charge_key`,
    [accession],
  );
  return rows.map((r) => r.charge_key as string);
}

/** Every charge of the accession, every generation: key, generation and status. */
async function storedCharges(accession: string): Promise<[string, number, string][]> {
  const { rows } = await harness.pool.query(
    `SELECT charge_key, generation, status FROM billing.charge WHERE accession_number = $1 ORDER BY charge_key, generation`,
    [accession],
  );
  return rows.map((r) => [r.charge_key as string, r.generation as number, r.status as string]);
}

/** Waits for the accession's credits on the topic (distinct creditIds). */
async function creditsOnTopic(accession: string, expected: number): Promise<CreditMessage[]> {
  await harness.reader.waitFor(isCreditOf(accession), (list) => new Set(list.map((m) => (m.value as CreditMessage).data.creditId)).size >= expected);
  const byId = new Map<string, CreditMessage>();
  for (const m of harness.reader.messages.filter(isCreditOf(accession))) byId.set((m.value as CreditMessage).data.creditId, m.value as CreditMessage);
  return [...byId.values()].sort((a, b) => a.data.chargeKey.localeCompare(b.data.chargeKey));
}

/** Waits for the accession's outbox to be relayed, then returns the distinct charges read from the topic. */
async function chargesOnTopic(accession: string, expected: number): Promise<ChargeMessage[]> {
  await harness.reader.waitFor(isChargeOf(accession), (list) => new Set(list.map((m) => (m.value as ChargeMessage).data.chargeId)).size >= expected);
  await harness.settled(accession);
  const byId = new Map<string, ChargeMessage>();
  for (const m of harness.reader.messages.filter(isChargeOf(accession))) byId.set((m.value as ChargeMessage).data.chargeId, m.value as ChargeMessage);
  return [...byId.values()].sort((a, b) => a.data.chargeKey.localeCompare(b.data.chargeKey));
}

describe('charge capture from events', () => {
  it('two 88305 specimens -> two 0753T charges, units from the primary and date of service = collection date', async () => {
    const acc = newAccession();
    const data = snapshot(acc, [
      { id: 'A', cpt: '88305', slides: 2 },
      { id: 'B', cpt: '88305', units: 2, slides: 3 },
    ]);
    await send([caseEvent(data)], passingScans(data.slides.map((s) => s.barcode)));
    const charges = await chargesOnTopic(acc, 2);
    expect(charges.map((m) => [m.data.specimenId, m.data.code, m.data.primaryCode, m.data.units, m.data.dateOfService])).toEqual([
      ['A', '0753T', '88305', 1, data.collectionDate],
      ['B', '0753T', '88305', 2, data.collectionDate],
    ]);
    for (const m of charges) {
      expect(m.type).toBe('charge.posted');
      expect(m.producer).toBe('billing');
      expect(m.data.transactionType).toBe('CG');
      expect(m.data.patientId).toBe(`MRN-${acc}`);
      expect(m.data.payerId).toBe('AETNA');
      expect(m.data).toMatchObject({ modifiers: [], diagnosisPointers: [1, 2], payerPolicyId: 'aetna', flags: [] });
      expect(m.data.diagnoses).toEqual(['C50.911', 'D37.9']);
    }
    // Posted as soon as one slide of the specimen qualifies: the slides it names are B's, never A's.
    const bSlides = charges.find((m) => m.data.specimenId === 'B')?.data.slideBarcodes ?? [];
    expect(bSlides.length).toBeGreaterThanOrEqual(1);
    expect([1, 2, 3].map((n) => barcodeOf(acc, 'B', n))).toEqual(expect.arrayContaining(bSlides));
    expect(await storedChargeKeys(acc)).toEqual([`${acc}/A/0753T`, `${acc}/B/0753T`]);
  });

  it('an 88307 specimen gets no 0753T but its own add-on, 0754T', async () => {
    const acc = newAccession();
    const data = snapshot(acc, [{ id: 'A', cpt: '88307', slides: 1 }]);
    await send([caseEvent(data)], passingScans([barcodeOf(acc, 'A', 1)]));
    const charges = await chargesOnTopic(acc, 1);
    expect(charges.map((m) => m.data.code)).toEqual(['0754T']);
    expect(await storedChargeKeys(acc)).toEqual([`${acc}/A/0754T`]);
  });

  it('a scan that arrives before its case waits on the unmatched work list and is charged when the case arrives', async () => {
    const acc = newAccession();
    const slide = barcodeOf(acc, 'A', 1);
    const scan = scanEvent(slide);
    const qc = qcEvent(scan);
    await send([scan, qc]);
    expect(await storedChargeKeys(acc)).toEqual([]);
    const unmatched = await http().get(`/unmatched-scans?barcodePrefix=${acc}`).expect(200);
    expect(unmatched.body.items.map((s: { scanId: string; state: string }) => [s.scanId, s.state])).toEqual([[scan.value.data.scanId, 'open']]);

    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))]);
    const charges = await chargesOnTopic(acc, 1);
    expect(charges.map((m) => [m.data.chargeKey, m.data.scanIds])).toEqual([[`${acc}/A/0753T`, [scan.value.data.scanId]]]);
    expect(charges[0]?.data.causedBy).toEqual([scan.value.eventId, qc.value.eventId].sort());
    const after = await http().get(`/unmatched-scans?barcodePrefix=${acc}`).expect(200);
    expect(after.body.items).toEqual([]);
  });

  it('the same scan event twice, and the same scan reported again under a new event id, make one charge', async () => {
    const acc = newAccession();
    const slide = barcodeOf(acc, 'A', 1);
    const scan = scanEvent(slide);
    const again = scanEvent(slide, { scanId: scan.value.data.scanId, scannedAt: scan.value.data.scannedAt });
    const qc = qcEvent(scan);
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))], [scan, qc], [scan], [again, qc]);
    await chargesOnTopic(acc, 1);
    expect(await storedChargeKeys(acc)).toEqual([`${acc}/A/0753T`]);
    expect(harness.reader.messages.filter(isChargeOf(acc))).toHaveLength(1);
  });

  it('a late scan.started does not undo a completed scan', async () => {
    const acc = newAccession();
    const slide = barcodeOf(acc, 'A', 1);
    const completed = scanEvent(slide, { scannedAt: '2026-03-20T10:05:00Z' });
    const started = scanEvent(slide, { scanId: completed.value.data.scanId, type: 'scan.started', scannedAt: '2026-03-20T10:00:00Z' });
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))], [completed], [started], [qcEvent(completed)]);
    expect(await storedChargeKeys(acc)).toEqual([`${acc}/A/0753T`]);
    const { rows } = await harness.pool.query(`SELECT status FROM billing.scan WHERE scan_id = $1`, [completed.value.data.scanId]);
    expect(rows[0].status).toBe('completed');
  });

  it('QC failed, then a passing rescan -> one charge, for the rescan only', async () => {
    const acc = newAccession();
    const slide = barcodeOf(acc, 'A', 1);
    const first = scanEvent(slide);
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))], [first], [qcEvent(first, false)]);
    expect(await storedChargeKeys(acc)).toEqual([]);
    const explained = await http().get(`/cases/${acc}/billing`).expect(200);
    expect(explained.body.explanations.map((e: { specimenId: string; reason: string }) => [e.specimenId, e.reason])).toEqual([['A', 'qc-failed']]);
    expect(explained.body.scans[0].qc[0]).toMatchObject({ passed: false, reasons: ['out of focus'] });

    const rescan = scanEvent(slide);
    const third = scanEvent(slide);
    await send([rescan, qcEvent(rescan, true)], [third, qcEvent(third, true)]);
    const charges = await chargesOnTopic(acc, 1);
    expect(charges).toHaveLength(1);
    expect(charges[0]?.data.scanIds).toEqual([rescan.value.data.scanId]);
    expect(await storedChargeKeys(acc)).toEqual([`${acc}/A/0753T`]);
  });

  it('an archive-only scan is not billable, and a cancelled case is never charged', async () => {
    const archiveAcc = newAccession();
    const archive = scanEvent(barcodeOf(archiveAcc, 'A', 1), { purpose: 'archive' });
    await send([caseEvent(snapshot(archiveAcc, [{ id: 'A', cpt: '88305', slides: 1 }]))], [archive, qcEvent(archive)]);
    const cancelledAcc = newAccession();
    const cancelled = snapshot(cancelledAcc, [{ id: 'A', cpt: '88305', slides: 1 }], { status: 'cancelled', version: 2, cancelReason: 'duplicate order' });
    await send([caseEvent(cancelled, 'case.cancelled')], passingScans([barcodeOf(cancelledAcc, 'A', 1)]));
    expect(await storedChargeKeys(archiveAcc)).toEqual([]);
    expect(await storedChargeKeys(cancelledAcc)).toEqual([]);
    const a = await http().get(`/cases/${archiveAcc}/billing`).expect(200);
    expect(a.body.explanations[0].reason).toBe('purpose-not-billable');
    const c = await http().get(`/cases/${cancelledAcc}/billing`).expect(200);
    expect(c.body.explanations[0].reason).toBe('case-cancelled');
    expect(c.body.case).toMatchObject({ status: 'cancelled', version: 2 });
  });

  it('an older case version is ignored (still consumed); a newer one replaces specimens and slides', async () => {
    const acc = newAccession();
    const v2 = snapshot(acc, [{ id: 'A', cpt: '88307', slides: 1 }], { version: 2 });
    const v1 = snapshot(acc, [{ id: 'A', cpt: '88305', slides: 2 }], { version: 1 });
    const v1Event = caseEvent(v1);
    await send([caseEvent(v2, 'case.updated')], [v1Event], passingScans([barcodeOf(acc, 'A', 1), barcodeOf(acc, 'A', 2)]));
    const { rows } = await harness.pool.query(`SELECT event_id FROM billing.consumed_event WHERE event_id = $1`, [v1Event.value.eventId]);
    expect(rows).toHaveLength(1);
    const view = await http().get(`/cases/${acc}/billing`).expect(200);
    expect(view.body.case.version).toBe(2);
    expect(view.body.case.specimens).toEqual([{ specimenId: 'A', primaryCpt: '88307', units: 1, modifiers: [], diagnosisPointers: [] }]);
    expect(view.body.case.slides).toEqual([{ barcode: barcodeOf(acc, 'A', 1), specimenId: 'A' }]);
    expect(await storedChargeKeys(acc)).toEqual([`${acc}/A/0754T`]);
  });

  it('a primary code change 88305 -> 88307 credits 0753T and posts 0754T; back to 88305 re-charges 0753T under a new id', async () => {
    const acc = newAccession();
    const v1 = snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]);
    await send([caseEvent(v1)], passingScans([barcodeOf(acc, 'A', 1)]));
    const [posted] = await chargesOnTopic(acc, 1);
    const before = await http().get(`/charges/${posted?.data.chargeId}`).expect(200);
    await send([caseEvent({ ...v1, version: 2, specimens: [{ specimenId: 'A', primaryCpt: '88307', units: 1 }] }, 'case.updated')]);
    const [credit] = await creditsOnTopic(acc, 1);
    expect(credit?.data).toMatchObject({
      transactionType: 'CD',
      creditFor: posted?.data.chargeId,
      creditId: creditIdFor(posted?.data.chargeId as string),
      code: '0753T',
      units: 1,
      reason: 'primary-code-changed',
    });
    expect(credit?.eventId).toBe(chargeCreditedEventIdFor(credit?.data.creditId as string));
    const charges = await chargesOnTopic(acc, 2);
    const replacement = charges.find((m) => m.data.code === '0754T');
    expect(replacement?.data.replacesChargeId).toBe(posted?.data.chargeId);
    // The sent charge is never edited: only its state and the credit that reversed it are new.
    const after = await http().get(`/charges/${posted?.data.chargeId}`).expect(200);
    const { status: _s1, statusChangedAt: _c1, credit: creditView, audit, ...unchanged } = after.body;
    const { status: _s0, statusChangedAt: _c0, audit: _a0, ...original } = before.body;
    expect(unchanged).toEqual(original);
    expect(after.body.status).toBe('credited');
    expect(creditView).toMatchObject({ creditId: credit?.data.creditId, reason: 'primary-code-changed' });
    expect(audit.map((a: { action: string; fromStatus: string | null; toStatus: string; actor: string }) => [a.action, a.fromStatus, a.toStatus, a.actor])).toEqual([
      ['created', null, 'posted', 'billing-rules'],
      ['credited', 'posted', 'credited', 'billing-rules'],
    ]);

    await send([caseEvent({ ...v1, version: 3 }, 'case.updated')]);
    await creditsOnTopic(acc, 2);
    const third = await chargesOnTopic(acc, 3);
    expect(third.map((m) => m.data.chargeId)).toContain(chargeIdForGeneration(`${acc}/A/0753T`, 2));
    expect(await storedCharges(acc)).toEqual([
      [`${acc}/A/0753T`, 1, 'credited'],
      [`${acc}/A/0753T`, 2, 'posted'],
      [`${acc}/A/0754T`, 1, 'credited'],
    ]);
  });

  it('a cancelled case credits its posted charges, once however often the cancel arrives', async () => {
    const acc = newAccession();
    const v1 = snapshot(acc, [
      { id: 'A', cpt: '88305', slides: 1 },
      { id: 'B', cpt: '88307', slides: 1 },
    ]);
    await send([caseEvent(v1)], passingScans([barcodeOf(acc, 'A', 1), barcodeOf(acc, 'B', 1)]));
    const posted = await chargesOnTopic(acc, 2);
    const cancel = caseEvent({ ...v1, version: 2, status: 'cancelled', cancelReason: 'wrong patient' }, 'case.cancelled');
    await send([cancel], [cancel]);
    const credits = await creditsOnTopic(acc, 2);
    expect(credits.map((c) => [c.data.creditFor, c.data.reason])).toEqual(posted.map((p) => [p.data.chargeId, 'case-cancelled']));
    expect(await storedChargeKeys(acc)).toEqual([]);
    await harness.settled(acc);
    expect(harness.reader.messages.filter(isCreditOf(acc))).toHaveLength(2);
  });

  it('a removed specimen and a payer change: one credited, the other credited and charged again under the new payer', async () => {
    const acc = newAccession();
    const v1 = snapshot(acc, [
      { id: 'A', cpt: '88305', slides: 1 },
      { id: 'B', cpt: '88305', slides: 1 },
    ]);
    await send([caseEvent(v1)], passingScans([barcodeOf(acc, 'A', 1), barcodeOf(acc, 'B', 1)]));
    await chargesOnTopic(acc, 2);
    await send([
      caseEvent(
        { ...v1, version: 2, payer: { payerId: 'CIGNA' }, specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }], slides: [{ barcode: barcodeOf(acc, 'A', 1), specimenId: 'A' }] },
        'case.updated',
      ),
    ]);
    const credits = await creditsOnTopic(acc, 2);
    expect(credits.map((c) => [c.data.specimenId, c.data.reason, c.data.payerId])).toEqual([
      ['A', 'payer-changed', 'AETNA'],
      ['B', 'specimen-removed', 'AETNA'],
    ]);
    const charges = await chargesOnTopic(acc, 3);
    const recharged = charges.find((m) => m.data.payerId === 'CIGNA');
    expect(recharged?.data).toMatchObject({ specimenId: 'A', code: '0753T', modifiers: ['GY'], payerPolicyId: 'cigna' });
    expect(await storedCharges(acc)).toEqual([
      [`${acc}/A/0753T`, 1, 'credited'],
      [`${acc}/A/0753T`, 2, 'posted'],
      [`${acc}/B/0753T`, 1, 'credited'],
    ]);
  });

  it('a slide reassigned to another case credits the charge it carried and charges the new case', async () => {
    const from = newAccession();
    const to = newAccession();
    const slide = barcodeOf(from, 'A', 1);
    await send([caseEvent(snapshot(from, [{ id: 'A', cpt: '88305', slides: 1 }]))], passingScans([slide]));
    const [posted] = await chargesOnTopic(from, 1);
    const target = snapshot(to, [{ id: 'A', cpt: '88305', slides: 0 }]);
    await send([caseEvent({ ...target, slides: [{ barcode: slide, specimenId: 'A' }] })]);
    const [credit] = await creditsOnTopic(from, 1);
    expect(credit?.data).toMatchObject({ creditFor: posted?.data.chargeId, reason: 'slide-reassigned' });
    const [charged] = await chargesOnTopic(to, 1);
    expect(charged?.data.slideBarcodes).toEqual([slide]);
  });

  it('requested modifiers are checked: Q1 kept on a research-study case, 51 refused on an add-on with the reason', async () => {
    const acc = newAccession();
    const data = snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }], { flags: { researchStudy: true } });
    data.specimens = [{ specimenId: 'A', primaryCpt: '88305', units: 1, modifiers: ['Q1', '51'], diagnosisPointers: [2] }];
    await send([caseEvent(data)], passingScans([barcodeOf(acc, 'A', 1)]));
    const [m] = await chargesOnTopic(acc, 1);
    expect(m?.data).toMatchObject({ modifiers: ['Q1'], diagnosisPointers: [2], diagnoses: ['D37.9'] });
    const view = await http().get(`/charges/${m?.data.chargeId}`).expect(200);
    expect(view.body.refusedModifiers).toEqual([{ modifier: '51', reason: expect.stringContaining('add-on') }]);
    expect(view.body.trace).toEqual(expect.arrayContaining([expect.objectContaining({ rule: 'modifier', outcome: 'refused:51' })]));
  });

  it('a case and a scan of the same slide handled at the same moment serialize: the later one sees the earlier', async () => {
    const charging = harness.app.get(ChargingService);
    const asIncoming = <T extends BillingTopic>(m: OutgoingMessage<T>): IncomingMessage<T> => incomingOf(m, 'concurrency-test');
    const accessions = Array.from({ length: 12 }, () => newAccession('BCC'));
    await Promise.all(
      accessions.map(async (acc) => {
        const scan = scanEvent(barcodeOf(acc, 'A', 1));
        await charging.handle(asIncoming(qcEvent(scan)));
        const results = await Promise.all([
          charging.handle(asIncoming(caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }])))),
          charging.handle(asIncoming(scan)),
        ]);
        expect(results.flatMap((r) => r.posted)).toEqual([`${acc}/A/0753T`]);
      }),
    );
    const { rows } = await harness.pool.query(`SELECT count(*)::int AS n FROM billing.charge WHERE accession_number = ANY($1)`, [accessions]);
    expect(rows[0].n).toBe(accessions.length);
  });

  it('the last two verdicts of a specimen handled at the same moment (other slides, other transactions) charge it once', async () => {
    // Two billing instances, or two partitions without group commit: the verdicts of a specimen's two
    // slides come in two transactions that take no lock in common, and each may decide the case before
    // the other commits. The first digitized slide earns the charge, so each may post it: the charge
    // key's unique index lets one in, and the other reports nothing.
    const charging = harness.app.get(ChargingService);
    const asIncoming = <T extends BillingTopic>(m: OutgoingMessage<T>): IncomingMessage<T> => incomingOf(m, 'concurrent-deciders-test');
    const accessions = Array.from({ length: 12 }, () => newAccession('BCD'));
    await Promise.all(
      accessions.map(async (acc) => {
        const scans = [scanEvent(barcodeOf(acc, 'A', 1)), scanEvent(barcodeOf(acc, 'A', 2))];
        await charging.handleBatch([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 2 }])), ...scans].map(asIncoming));
        const results = await Promise.all(scans.map((scan) => charging.handle(asIncoming(qcEvent(scan)))));
        expect(results.map((r) => r.outcome)).toEqual(['qc-applied', 'qc-applied']);
        expect(results.flatMap((r) => r.posted)).toEqual([`${acc}/A/0753T`]);
      }),
    );
    const { rows } = await harness.pool.query(`SELECT count(*)::int AS n FROM billing.charge WHERE accession_number = ANY($1)`, [accessions]);
    expect(rows[0].n).toBe(accessions.length);
  });

  it('two cases of one patient on one day decided at the same moment (other transactions) count each other for the unit limit', async () => {
    // Two billing instances, or two partitions without group commit: the verdicts of two Medicare cases
    // of one patient collected on one day come in two transactions that share no slide and no case.
    // Medicare allows one unit of the add-on per patient and day, so whichever decides second must
    // count the first's charge and hold its own for the unit limit, as one at a time would.
    const charging = harness.app.get(ChargingService);
    const asIncoming = <T extends BillingTopic>(m: OutgoingMessage<T>): IncomingMessage<T> => incomingOf(m, 'patient-day-test');
    const pairs = Array.from({ length: 10 }, () => [newAccession('BPD'), newAccession('BPD')] as [string, string]);
    await Promise.all(
      pairs.map(async (pair) => {
        const medicare = { payer: { payerId: 'MEDICARE', name: 'Medicare' }, patientId: `MRN-${pair[0]}` };
        const scans = pair.map((acc) => scanEvent(barcodeOf(acc, 'A', 1)));
        const cases = pair.map((acc) => caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }], medicare)));
        await charging.handleBatch([...cases, ...scans].map(asIncoming));
        const results = await Promise.all(scans.map((scan) => charging.handle(asIncoming(qcEvent(scan)))));
        expect(results.flatMap((r) => r.held).sort()).toEqual(pair.map((acc) => `${acc}/A/0753T`).sort());
      }),
    );
    const { rows } = await harness.pool.query(
      `SELECT accession_number, status, ARRAY(SELECT h->>'rule' FROM jsonb_array_elements(hold_reasons) h ORDER BY 1) AS hold_rules
         FROM billing.charge WHERE accession_number = ANY($1)`,
      [pairs.flat()],
    );
    for (const pair of pairs) {
      // One charge each, the second's held for the unit limit too: fewer hold rules first.
      const holds = rows.filter((r) => pair.includes(r.accession_number)).map((r): [string, string[]] => [r.status, r.hold_rules]);
      expect(holds.sort((x, y) => x[1].length - y[1].length)).toEqual([
        ['held', ['payer-policy']],
        ['held', ['payer-policy', 'unit-limit']],
      ]);
    }
  });

  it('a batch of several cases, scans and verdicts applied in one transaction decides as the same events one at a time', async () => {
    const charging = harness.app.get(ChargingService);
    const asIncoming = <T extends BillingTopic>(m: OutgoingMessage<T>): IncomingMessage<T> => incomingOf(m, 'batch-test');
    /** Three cases, two of one Medicare patient on one date (the unit limit counts the first's charge in the second's decision). */
    const world = () => {
      const [a, b, c] = [newAccession('BBA'), newAccession('BBA'), newAccession('BBA')] as [string, string, string];
      const medicare = { payer: { payerId: 'MEDICARE', name: 'Medicare' }, patientId: `MRN-${b}` };
      const started = scanEvent(barcodeOf(b, 'A', 1), { type: 'scan.started', scannedAt: new Date(Date.now() - 60_000).toISOString() });
      const completed = scanEvent(barcodeOf(b, 'A', 1), { scanId: started.value.data.scanId });
      const messages: OutgoingMessage<BillingTopic>[] = [
        ...(passingScans([barcodeOf(a, 'A', 1)]) as OutgoingMessage<BillingTopic>[]),
        caseEvent(snapshot(a, [{ id: 'A', cpt: '88305', slides: 2 }, { id: 'B', cpt: '88307', slides: 1 }])),
        caseEvent(snapshot(b, [{ id: 'A', cpt: '88305', slides: 1 }], medicare)),
        started,
        completed,
        qcEvent(completed),
        caseEvent(snapshot(c, [{ id: 'A', cpt: '88305', slides: 1 }], medicare)),
        ...(passingScans([barcodeOf(c, 'A', 1), barcodeOf(a, 'A', 2), barcodeOf(a, 'B', 1)]) as OutgoingMessage<BillingTopic>[]),
      ];
      return { accessions: [a, b, c], messages: messages.map(asIncoming) };
    };
    /** The charges of the world's cases, the accession replaced by its place: key, status, units, hold rules. */
    const chargesOf = async (accessions: string[]) => {
      const { rows } = await harness.pool.query(
        `SELECT accession_number, specimen_id, code, status, units, generation,
                ARRAY(SELECT h->>'rule' FROM jsonb_array_elements(hold_reasons) h ORDER BY 1) AS hold_rules
           FROM billing.charge WHERE accession_number = ANY($1) ORDER BY accession_number, specimen_id, generation`,
        [accessions],
      );
      return rows
        .map((r) => [accessions.indexOf(r.accession_number), r.specimen_id, r.code, r.status, r.units, r.generation, r.hold_rules])
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    };

    const batched = world();
    const results = await charging.handleBatch(batched.messages);
    const alone = world();
    for (const m of alone.messages) await charging.handle(m);

    expect(results.map((r) => r.outcome)).toEqual([
      'scan-unmatched', 'qc-unmatched', 'case-applied', 'case-applied', 'scan-superseded', 'scan-applied', 'qc-applied',
      'case-applied', 'scan-applied', 'qc-applied', 'scan-applied', 'qc-applied', 'scan-applied', 'qc-applied',
    ]);
    const charges = await chargesOf(batched.accessions);
    expect(charges).toEqual(await chargesOf(alone.accessions));
    expect(charges).toEqual([
      [0, 'A', '0753T', 'posted', 1, 1, []],
      [0, 'B', '0754T', 'posted', 1, 1, []],
      [1, 'A', '0753T', 'held', 1, 1, ['payer-policy']],
      [2, 'A', '0753T', 'held', 1, 1, ['payer-policy', 'unit-limit']],
    ]);
    // Each change is reported once, on the last event of the batch that touched its case.
    expect(results.flatMap((r) => [...r.posted, ...r.held]).sort()).toEqual(
      [`${batched.accessions[0]}/A/0753T`, `${batched.accessions[0]}/B/0754T`, `${batched.accessions[1]}/A/0753T`, `${batched.accessions[2]}/A/0753T`].sort(),
    );
    // Applied again (a redelivery), the batch changes nothing.
    expect((await charging.handleBatch(batched.messages)).map((r) => r.outcome)).toEqual(batched.messages.map(() => 'duplicate-event'));
    expect(await chargesOf(batched.accessions)).toEqual(charges);
  });
});

describe('review queue', () => {
  const medicare = { payerId: 'MEDICARE', name: 'Medicare Part B' };

  it('a Medicare charge is held with its reason, not sent; released with a justification it goes out, audited', async () => {
    const acc = newAccession();
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }], { payer: medicare }))], passingScans([barcodeOf(acc, 'A', 1)]));
    expect(await storedCharges(acc)).toEqual([[`${acc}/A/0753T`, 1, 'held']]);
    const chargeId = chargeIdFor(`${acc}/A/0753T`);
    const queue = await http().get('/review-queue?payer=medicare&limit=500').expect(200);
    const held = queue.body.items.find((c: { chargeId: string }) => c.chargeId === chargeId);
    expect(held).toMatchObject({ status: 'held', payerPolicyId: 'medicare', holdReasons: [{ rule: 'payer-policy', detail: expect.stringContaining('Medicare') }] });
    expect(queue.body.total).toBeGreaterThanOrEqual(1);

    await http('billing-reviewer').post(`/charges/${chargeId}/release`).send({}).expect(400);
    // Who releases is the signed-in reviewer: a name in the body is refused, not believed.
    const named = await http('billing-reviewer')
      .post(`/charges/${chargeId}/release`)
      .send({ actor: 'j.doe (billing)', justification: 'Novitas: medical necessity documented in the sign-out note' })
      .expect(400);
    expect(named.body.message).toContain('not accepted: actor (who acts is taken from the sign-in');
    await http('ops-viewer').post(`/charges/${chargeId}/release`).send({ justification: 'Novitas: medical necessity documented' }).expect(403);
    const released = await http('billing-reviewer')
      .post(`/charges/${chargeId}/release`)
      .send({ justification: 'Novitas: medical necessity documented in the sign-out note' })
      .expect(200);
    expect(released.body).toMatchObject({ status: 'posted', release: { by: signedIn('reviewer'), justification: expect.stringContaining('Novitas') } });
    expect(released.body.audit.map((a: { action: string; toStatus: string; actor: string }) => [a.action, a.toStatus, a.actor])).toEqual([
      ['created', 'held', 'billing-rules'],
      ['released', 'posted', signedIn('reviewer')],
    ]);
    const [m] = await chargesOnTopic(acc, 1);
    expect(m?.data).toMatchObject({ chargeId, release: { by: signedIn('reviewer') } });
    const again = await http('billing-reviewer').post(`/charges/${chargeId}/release`).send({ justification: 'second click on the button' }).expect(409);
    expect(again.body.message).toContain('is posted');
  });

  it('a held charge can be voided (never sent); a held charge of a cancelled case is voided, not credited', async () => {
    const acc = newAccession();
    const v1 = snapshot(acc, [
      { id: 'A', cpt: '88305', slides: 1 },
      { id: 'B', cpt: '88305', slides: 1 },
    ], { payer: { payerId: 'BCBS' } });
    await send([caseEvent(v1)], passingScans([barcodeOf(acc, 'A', 1), barcodeOf(acc, 'B', 1)]));
    const a = chargeIdFor(`${acc}/A/0753T`);
    await http('billing-reviewer').post(`/charges/${a}/void`).send({ reason: 'plan excludes digitization' }).expect(200);
    await http('billing-reviewer').post(`/charges/${a}/release`).send({ justification: 'changed my mind about it' }).expect(409);
    await http('billing-reviewer').post(`/charges/${randomUUID()}/void`).send({ reason: 'no such charge' }).expect(404);
    // A reviewer's void sticks: another qualifying scan of the specimen does not bring the charge back.
    await send(passingScans([barcodeOf(acc, 'A', 1)]));
    expect((await storedCharges(acc)).filter(([key]) => key === `${acc}/A/0753T`)).toEqual([[`${acc}/A/0753T`, 1, 'voided']]);
    await send([caseEvent({ ...v1, version: 2, status: 'cancelled', cancelReason: 'duplicate' }, 'case.cancelled')]);
    expect(await storedCharges(acc)).toEqual([
      [`${acc}/A/0753T`, 1, 'voided'],
      [`${acc}/B/0753T`, 1, 'voided'],
    ]);
    const b = await http().get(`/charges/${chargeIdFor(`${acc}/B/0753T`)}`).expect(200);
    expect(b.body.audit.at(-1)).toMatchObject({ action: 'voided', fromStatus: 'held', actor: 'billing-rules', reason: expect.stringContaining('case-cancelled') });
    await harness.settled(acc);
    expect(harness.reader.messages.filter((m) => isChargeOf(acc)(m) || isCreditOf(acc)(m))).toEqual([]);
  });
});

describe('payer policy sets', () => {
  const by = signedIn('billing-admin');
  const admin = () => http('billing-admin');
  let activeBefore: string;

  beforeAll(async () => {
    const list = await http().get('/policy-sets').expect(200);
    activeBefore = list.body.items.find((i: { active: boolean }) => i.active).policyVersion;
  });

  afterAll(async () => {
    await admin().post(`/policy-sets/${activeBefore}/activate`).send({ comment: 'restore after the test' });
  });

  it('serves the set in force with its document', async () => {
    const res = await http().get(`/policy-sets/${activeBefore}`).expect(200);
    expect(res.body).toMatchObject({ policyVersion: activeBefore, active: true });
    expect(res.body.policySet.payers.map((p: { policyId: string }) => p.policyId)).toEqual(expect.arrayContaining(['default', 'medicare', 'cigna']));
    await http().get('/policy-sets/no-such-version').expect(404);
  });

  it('refuses an invalid set with every problem in words', async () => {
    const res = await admin()
      .post('/policy-sets')
      .send({ comment: 'broken on purpose', policySet: { policyVersion: 'bad-1', requireQcPass: 'yes', billablePurposes: ['teaching'], payers: [] } })
      .expect(400);
    const messages = res.body.issues.map((i: { message: string }) => i.message).join('\n');
    expect(messages).toContain('requireQcPass must be true or false');
    expect(messages).toContain('"teaching" is not a scan purpose');
    expect(messages).toContain('exactly one payer policy with policyId "default"');
  });

  it('a charge held for digital sign-out is decided again when the LIS reports the sign-out: voided and replaced by a posted one', async () => {
    const current = (await http().get(`/policy-sets/${activeBefore}`).expect(200)).body.policySet;
    const version = `it-signout-${randomUUID().slice(0, 8)}`;
    await admin()
      .post('/policy-sets')
      .send({ policySet: { ...current, policyVersion: version, requireDigitalSignOut: true }, comment: 'sign-out required', activate: true })
      .expect(201);
    try {
      const acc = newAccession();
      const v1 = snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]);
      await send([caseEvent(v1)], passingScans([barcodeOf(acc, 'A', 1)]));
      const held = await http().get(`/charges/${chargeIdFor(`${acc}/A/0753T`)}`).expect(200);
      expect(held.body).toMatchObject({ status: 'held', holdReasons: [{ rule: 'digital-sign-out' }] });
      await send([caseEvent({ ...v1, version: 2, flags: { digitalSignOut: true } }, 'case.updated')]);
      const [m] = await chargesOnTopic(acc, 1);
      expect(m?.data).toMatchObject({ chargeId: chargeIdForGeneration(`${acc}/A/0753T`, 2), replacesChargeId: held.body.chargeId });
      expect(await storedCharges(acc)).toEqual([
        [`${acc}/A/0753T`, 1, 'voided'],
        [`${acc}/A/0753T`, 2, 'posted'],
      ]);
      const voided = await http().get(`/charges/${held.body.chargeId}`).expect(200);
      expect(voided.body.audit.at(-1)).toMatchObject({ action: 'voided', actor: 'billing-rules', reason: expect.stringContaining('redecided') });
    } finally {
      await admin().post(`/policy-sets/${activeBefore}/activate`).send({ comment: 'restore' }).expect(200);
    }
  });

  it('a new version applies to the next event without a restart; charges record the version; a version is never edited', async () => {
    const current = (await http().get(`/policy-sets/${activeBefore}`).expect(200)).body.policySet;
    const version = `it-${randomUUID().slice(0, 8)}`;
    // Aetna now limited to 1 unit of any digitization code per date of service.
    const next = {
      ...current,
      policyVersion: version,
      // A pairing of the 2024 family added as data: frozen section 88331 -> 0841T.
      addOnCodeChanges: { add: [{ addOnCode: '0841T', primaryCode: '88331', effectiveFrom: '2024-01-01', confirmed: true, source: 'integration test' }] },
      payers: current.payers.map((p: { policyId: string }) =>
        p.policyId === 'aetna' ? { ...p, unitLimits: [{ code: '*', maxUnitsPerDateOfService: 1, effectiveFrom: '2023-01-01', source: 'integration test' }] } : p,
      ),
    };
    await http('billing-reviewer').post('/policy-sets').send({ policySet: next, comment: 'not mine to change', activate: true }).expect(403);
    const created = await admin().post('/policy-sets').send({ policySet: next, comment: 'Aetna unit limit', activate: true }).expect(201);
    expect(created.body).toMatchObject({ policyVersion: version, active: true, createdBy: by });
    await admin().post('/policy-sets').send({ policySet: next, comment: 'retry', activate: true }).expect(200);
    await admin()
      .post('/policy-sets')
      .send({ policySet: { ...next, requireQcPass: !next.requireQcPass }, comment: 'edit in place' })
      .expect(409);

    const acc = newAccession();
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', units: 2, slides: 1 }]))], passingScans([barcodeOf(acc, 'A', 1)]));
    const held = await http().get(`/charges/${chargeIdFor(`${acc}/A/0753T`)}`).expect(200);
    expect(held.body).toMatchObject({ status: 'held', units: 2, policyVersion: version, holdReasons: [{ rule: 'unit-limit' }] });
    const frozen = newAccession();
    await send([caseEvent(snapshot(frozen, [{ id: 'A', cpt: '88331', slides: 1 }]))], passingScans([barcodeOf(frozen, 'A', 1)]));
    const [added] = await chargesOnTopic(frozen, 1);
    expect(added?.data).toMatchObject({ code: '0841T', primaryCode: '88331', policyVersion: version });

    await admin().post(`/policy-sets/${activeBefore}/activate`).send({ comment: 'roll back' }).expect(200);
    const acc2 = newAccession();
    await send([caseEvent(snapshot(acc2, [{ id: 'A', cpt: '88305', units: 2, slides: 1 }]))], passingScans([barcodeOf(acc2, 'A', 1)]));
    const [m] = await chargesOnTopic(acc2, 1);
    expect(m?.data).toMatchObject({ units: 2, policyVersion: activeBefore });
    const list = await http().get('/policy-sets').expect(200);
    const mine = list.body.items.find((i: { policyVersion: string }) => i.policyVersion === version);
    expect(mine).toMatchObject({ active: false, activations: [{ activatedBy: by, comment: 'Aetna unit limit' }] });
  });
});

describe('stable charge ids', () => {
  it('a charge id is the deterministic UUID of its key, and so is its event id', async () => {
    const acc = newAccession();
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))], passingScans([barcodeOf(acc, 'A', 1)]));
    const [m] = await chargesOnTopic(acc, 1);
    expect(m?.data.chargeId).toBe(chargeIdFor(`${acc}/A/0753T`));
    expect(m?.eventId).toBe(chargePostedEventIdFor(chargeIdFor(`${acc}/A/0753T`)));
    const { rows } = await harness.pool.query(`SELECT charge_id::text AS id FROM billing.charge WHERE charge_key = $1`, [`${acc}/A/0753T`]);
    expect(rows[0].id).toBe(m?.data.chargeId);
  });
});

describe('HTTP API', () => {
  let acc: string;
  let chargeIds: string[];

  beforeAll(async () => {
    acc = newAccession();
    const data = snapshot(acc, [
      { id: 'A', cpt: '88305', slides: 1 },
      { id: 'B', cpt: '88305', slides: 1 },
      { id: 'C', cpt: '88342', slides: 1 },
      { id: 'D', cpt: '88305', slides: 1 },
    ]);
    const pendingScan = scanEvent(barcodeOf(acc, 'D', 1));
    await send([caseEvent(data)], [...passingScans([barcodeOf(acc, 'A', 1), barcodeOf(acc, 'B', 1), barcodeOf(acc, 'C', 1)]), pendingScan]);
    chargeIds = (await chargesOnTopic(acc, 3)).map((m) => m.data.chargeId);
  });

  it('GET /charges?accession= lists the accession charges without trace, pages with a cursor', async () => {
    const all = await http().get(`/charges?accession=${acc}`).expect(200);
    expect(all.body.items.map((c: { chargeId: string }) => c.chargeId).sort()).toEqual([...chargeIds].sort());
    expect(all.body.items.map((c: { code: string }) => c.code).sort()).toEqual(['0753T', '0753T', '0760T']);
    expect(all.body.items[0]).not.toHaveProperty('trace');
    expect(all.body.items[0]).toMatchObject({ status: 'posted', transactionType: 'CG', accessionNumber: acc });
    expect(all.body.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await http()
        .get('/charges')
        .query({ accession: acc, limit: 2, ...(cursor ? { cursor } : {}) })
        .expect(200);
      seen.push(...page.body.items.map((c: { chargeId: string }) => c.chargeId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((c: { chargeId: string }) => c.chargeId));
  });

  it('GET /charges?since= filters by posting time', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const res = await http().get('/charges').query({ accession: acc, since: future }).expect(200);
    expect(res.body.items).toEqual([]);
    const past = await http().get('/charges').query({ accession: acc, since: '2020-01-01' }).expect(200);
    expect(past.body.items).toHaveLength(3);
  });

  it('GET /charges answers 400 naming the bad parameter', async () => {
    const res = await http().get('/charges?limit=lots').expect(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual(['limit']);
    const bad = await http().get('/charges?cursor=not-a-cursor').expect(400);
    expect(bad.body.issues[0].path).toBe('cursor');
  });

  it('GET /charges/:chargeId returns the charge with its decision trace; 404 unknown; 400 not a UUID', async () => {
    const id = chargeIdFor(`${acc}/C/0760T`);
    const res = await http().get(`/charges/${id}`).expect(200);
    expect(res.body).toMatchObject({ chargeId: id, chargeKey: `${acc}/C/0760T`, code: '0760T', primaryCode: '88342', status: 'posted' });
    expect(res.body.trace.map((t: { rule: string }) => t.rule)).toEqual(expect.arrayContaining(['case-status', 'add-on-pairing', 'units', 'decision']));
    await http().get(`/charges/${randomUUID()}`).expect(404);
    const bad = await http().get('/charges/12345').expect(400);
    expect(bad.body.message).toContain('chargeId');
  });

  it('GET /cases/:accessionNumber/billing shows facts, scans, charges and why a specimen is not charged yet', async () => {
    const res = await http().get(`/cases/${acc}/billing`).expect(200);
    expect(res.body.case).toMatchObject({ accessionNumber: acc, version: 1, status: 'active', collectionDate: COLLECTED, payerId: 'AETNA' });
    expect(res.body.case.specimens).toHaveLength(4);
    expect(res.body.scans).toHaveLength(4);
    expect(res.body.charges).toHaveLength(3);
    expect(res.body.explanations.map((e: { specimenId: string; reason: string }) => [e.specimenId, e.reason])).toEqual([
      ['A', 'already-charged'],
      ['B', 'already-charged'],
      ['C', 'already-charged'],
      ['D', 'qc-pending'],
    ]);
    expect(res.body.policy).toMatchObject({ requireQcPass: true, billablePurposes: ['diagnostic', 'consult'], requireDigitalSignOut: false });
    expect(typeof res.body.policy.policyVersion).toBe('string');
  });

  it('GET /cases/:accessionNumber/billing: 404 for a case billing does not know, 400 for a malformed accession', async () => {
    const missing = await http().get(`/cases/${newAccession()}/billing`).expect(404);
    expect(missing.body.message).toContain('billing has no case');
    const bad = await http().get('/cases/%20bad%20acc/billing').expect(400);
    expect(bad.body.message).toContain('accessionNumber');
  });

  it('GET /unmatched-scans validates its limit', async () => {
    const res = await http().get('/unmatched-scans?limit=0').expect(400);
    expect(res.body.issues[0].path).toBe('limit');
  });

  it('answers with the caller correlation id', async () => {
    const res = await http().get('/unmatched-scans?limit=1').set('x-correlation-id', 'billing-it-corr').expect(200);
    expect(res.headers['x-correlation-id']).toBe('billing-it-corr');
  });
});

describe('operations', () => {
  it('readiness reports Postgres, Kafka, the consumer group, the outbox relay, the identity provider and the DFT delivery (disabled here) up', async () => {
    const res = await eventually(async () => {
      const r = await http().get('/health/ready');
      return r.status === 200 ? r : undefined;
    }, 30_000, 'readiness');
    expect(res.body.status).toBe('up');
    expect(res.body.checks.map((c: { name: string }) => c.name)).toEqual(['postgres', 'kafka', 'consumers', 'outbox-relay', 'identity-provider', 'billing-system-delivery']);
    expect(res.body.checks.find((c: { name: string }) => c.name === 'consumers').groups).toEqual([harness.groupId, harness.groupId, harness.groupId]); // BILLING_CONSUMERS=3 members of one group
    await http().get('/health/live').expect(200);
  });

  it('serves its OpenAPI document', async () => {
    const res = await http().get('/openapi.json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/charges', '/charges/{chargeId}', '/cases/{accessionNumber}/billing', '/unmatched-scans']));
  });

  it('records who read patient data, what and when, answered or not, in the access audit', async () => {
    const acc = newAccession();
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))], passingScans([barcodeOf(acc, 'A', 1)]));
    const chargeId = chargeIdFor(`${acc}/A/0753T`);
    const correlationId = `audit-${randomUUID()}`;
    await http('ops-viewer').get(`/charges/${chargeId}`).set('x-correlation-id', correlationId).expect(200);
    await http('ops-viewer').get(`/cases/${acc}-NONE/billing`).set('x-correlation-id', correlationId).expect(404);
    await http('ops-viewer').get(`/charges?accession=${acc}`).set('x-correlation-id', correlationId).expect(200);
    await http('billing-reviewer').get('/unmatched-scans').set('x-correlation-id', correlationId).expect(200);
    const { rows } = await harness.pool.query(
      `SELECT subject, username, client_id, roles, method, route, params, status, records FROM billing.access_audit WHERE correlation_id = $1 ORDER BY id`,
      [correlationId],
    );
    const viewer = { subject: expect.stringMatching(/^[0-9a-f-]{36}$/), username: 'ops-viewer', client_id: 'slidecharge-cli', roles: ['ops-viewer'], method: 'GET' };
    expect(rows).toEqual([
      { ...viewer, route: 'GET /charges/:chargeId', params: { chargeId }, status: 200, records: 1 },
      { ...viewer, route: 'GET /cases/:accessionNumber/billing', params: { accessionNumber: `${acc}-NONE` }, status: 404, records: 0 },
      { ...viewer, route: 'GET /charges', params: { accession: acc }, status: 200, records: 1 },
    ]); // GET /unmatched-scans holds no patient data: not audited
  });

  it('an invalid message on an input topic goes to the dead-letter topic with the reason, and the partition moves on', async () => {
    const acc = newAccession();
    const raw = testKafka('billing-it-raw').producer();
    await raw.connect();
    const bad = { ...caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }])).value, data: { accessionNumber: acc, version: 0 } };
    await raw.send({ topic: 'lis.case-events.v1', messages: [{ key: acc, value: JSON.stringify(bad) }] });
    await raw.disconnect();
    const [letter] = await harness.reader.waitFor(
      (m) => m.topic === DEAD_LETTER_TOPIC && (m.value as DeadLetter).consumerGroup === harness.groupId && (m.value as DeadLetter).originalValue?.includes(acc) === true,
      (list) => list.length >= 1,
    );
    const record = letter?.value as DeadLetter;
    expect(record.reason).toBe('schema-violation');
    expect(record.service).toBe('billing');
    expect(record.source.topic).toBe('lis.case-events.v1');
    expect(record.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['data.version', 'data.specimens']));
    // A good case on the same key behind it is still taken.
    await send([caseEvent(snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }]))]);
    await http().get(`/cases/${acc}/billing`).expect(200);
  });
});
