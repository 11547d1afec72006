import { CaseSnapshot } from '@slidecharge/contracts';
import { OutgoingMessage } from '@slidecharge/messaging';
import { barcodeOf, caseEvent, ChargeMessage, CreditMessage, isChargeOf, isCreditOf, newAccession, passingScans, snapshot } from './support';
import { useBillingHarness } from './harness';

/**
 * A slide moved between cases by accession (issue #8): accession publishes the two case.updated events
 * of one move together, the gaining case's first. Billing, over real Kafka and Postgres, must credit the
 * charge the slide earned on the old case's specimen and charge the new case's specimen, whichever of
 * the two events it handles first (they are keyed by different accession numbers, so Kafka may deliver
 * them in either order).
 */
const harness = useBillingHarness({ name: 'billing-move-it', readTopics: ['billing.charges.v1'] });
const { send } = harness;

async function chargeRows(accession: string): Promise<[string, string][]> {
  const { rows } = await harness.pool.query(`SELECT charge_key, status FROM billing.charge WHERE accession_number = $1 ORDER BY charge_key, generation`, [accession]);
  return rows.map((r) => [r.charge_key as string, r.status as string]);
}

/** Which event decided each change of the accession's charges (charge_audit). */
async function auditEvents(accession: string): Promise<{ action: string; event_id: string }[]> {
  const { rows } = await harness.pool.query(
    `SELECT a.action, a.event_id FROM billing.charge_audit a JOIN billing.charge c ON c.charge_id = a.charge_id WHERE c.accession_number = $1 ORDER BY a.id`,
    [accession],
  );
  return rows as { action: string; event_id: string }[];
}

/** Two cases, the old one with a scanned (QC passed) and charged slide on specimen A; the new one without slides. */
async function chargedSlide(): Promise<{ from: CaseSnapshot; to: CaseSnapshot; slide: string; charge: ChargeMessage }> {
  const fromAccession = newAccession('MOV');
  const toAccession = newAccession('MOV');
  const from = snapshot(fromAccession, [{ id: 'A', cpt: '88305', slides: 1 }]);
  const to = snapshot(toAccession, [{ id: 'A', cpt: '88305', slides: 0 }, { id: 'B', cpt: '88305', slides: 0 }]);
  const slide = barcodeOf(fromAccession, 'A', 1);
  await send([caseEvent(from), caseEvent(to)], passingScans([slide]));
  const [charge] = (await harness.reader.waitFor(isChargeOf(fromAccession), (l) => l.length >= 1)).map((m) => m.value as ChargeMessage);
  if (!charge) throw new Error('no charge for the scanned slide');
  return { from, to, slide, charge };
}

/** The two case events of a move of `slide` to specimen B of `to`, as accession publishes them. */
function moveEvents(from: CaseSnapshot, to: CaseSnapshot, slide: string) {
  const lost = caseEvent({ ...from, version: from.version + 1, slides: from.slides.filter((s) => s.barcode !== slide) }, 'case.updated');
  const gained = caseEvent({ ...to, version: to.version + 1, slides: [...to.slides, { barcode: slide, specimenId: 'B' }] }, 'case.updated');
  return { lost, gained };
}

const eventIdOf = (m: OutgoingMessage) => (m.value as { eventId: string }).eventId;

describe('billing after a slide moves to another case', () => {
  it('gaining case first (the order accession writes them): one decision credits the old specimen and charges the new one', async () => {
    const { from, to, slide, charge } = await chargedSlide();
    const { lost, gained } = moveEvents(from, to, slide);
    await send([gained]);

    const [credit] = (await harness.reader.waitFor(isCreditOf(from.accessionNumber), (l) => l.length >= 1)).map((m) => m.value as CreditMessage);
    expect(credit?.data).toMatchObject({ creditFor: charge.data.chargeId, reason: 'slide-reassigned' });
    const [moved] = (await harness.reader.waitFor(isChargeOf(to.accessionNumber), (l) => l.length >= 1)).map((m) => m.value as ChargeMessage);
    expect(moved?.data).toMatchObject({ specimenId: 'B', code: '0753T', units: 1, slideBarcodes: [slide] });
    // The same billing transaction (the gaining case's event) credited the old case and charged the new one.
    expect(await auditEvents(from.accessionNumber)).toContainEqual({ action: 'credited', event_id: eventIdOf(gained) });
    expect(await auditEvents(to.accessionNumber)).toContainEqual({ action: 'created', event_id: eventIdOf(gained) });

    // The old case's own event afterwards changes nothing more.
    await send([lost]);
    expect(await chargeRows(from.accessionNumber)).toEqual([[`${from.accessionNumber}/A/0753T`, 'credited']]);
    expect(await chargeRows(to.accessionNumber)).toEqual([[`${to.accessionNumber}/B/0753T`, 'posted']]);
  });

  it('losing case first: the old specimen is credited at once, the scan waits unmatched, and the new case is charged when its event comes', async () => {
    const { from, to, slide, charge } = await chargedSlide();
    const { lost, gained } = moveEvents(from, to, slide);
    await send([lost]);

    const [credit] = (await harness.reader.waitFor(isCreditOf(from.accessionNumber), (l) => l.length >= 1)).map((m) => m.value as CreditMessage);
    expect(credit?.data).toMatchObject({ creditFor: charge.data.chargeId, reason: 'slide-reassigned' });
    expect(await auditEvents(from.accessionNumber)).toContainEqual({ action: 'credited', event_id: eventIdOf(lost) });
    expect(await chargeRows(to.accessionNumber)).toEqual([]);
    // Until the gaining case's event comes, no case holds the slide: its scan is on the unmatched work list.
    const { rows } = await harness.pool.query('SELECT count(*)::int AS n FROM billing.billing_slide WHERE barcode = $1', [slide]);
    expect(rows[0].n).toBe(0);

    await send([gained]);
    const [moved] = (await harness.reader.waitFor(isChargeOf(to.accessionNumber), (l) => l.length >= 1)).map((m) => m.value as ChargeMessage);
    expect(moved?.data).toMatchObject({ specimenId: 'B', code: '0753T', slideBarcodes: [slide] });
    expect(await chargeRows(from.accessionNumber)).toEqual([[`${from.accessionNumber}/A/0753T`, 'credited']]);
    expect(await chargeRows(to.accessionNumber)).toEqual([[`${to.accessionNumber}/B/0753T`, 'posted']]);
  });

  it('a specimen that keeps another digitized slide is not credited: 0753T is per specimen, not per slide', async () => {
    const fromAccession = newAccession('MOV');
    const toAccession = newAccession('MOV');
    const from = snapshot(fromAccession, [{ id: 'A', cpt: '88305', slides: 2 }]);
    const to = snapshot(toAccession, [{ id: 'B', cpt: '88305', slides: 0 }]);
    const slide = barcodeOf(fromAccession, 'A', 1);
    await send([caseEvent(from), caseEvent(to)], passingScans([slide, barcodeOf(fromAccession, 'A', 2)]));
    await harness.reader.waitFor(isChargeOf(fromAccession), (l) => l.length >= 1);
    const { lost, gained } = moveEvents(from, to, slide);
    await send([gained], [lost]);
    await harness.reader.waitFor(isChargeOf(toAccession), (l) => l.length >= 1);
    expect(await chargeRows(fromAccession)).toEqual([[`${fromAccession}/A/0753T`, 'posted']]);
    expect(await chargeRows(toAccession)).toEqual([[`${toAccession}/B/0753T`, 'posted']]);
  });
});
