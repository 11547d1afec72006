import { barcodeOf, caseEvent, ChargeMessage, isChargeOf, newAccession, passingScans, snapshot } from './support';
import { useBillingHarness } from './harness';

/**
 * Date of service of an archived specimen (42 CFR 414.510(b)(2)(ii)) through the public interfaces:
 * case and scan events in over Kafka, the charge out on billing.charges.v1, the case's billing view over HTTP.
 */
const harness = useBillingHarness({ name: 'billing-dos-it', readTopics: ['billing.charges.v1'] });
const { http, send } = harness;

async function charges(accession: string): Promise<{ charge_key: string; generation: number; status: string; date_of_service: string }[]> {
  const { rows } = await harness.pool.query(
    `SELECT charge_key, generation, status, to_char(date_of_service, 'YYYY-MM-DD') AS date_of_service FROM billing.charge WHERE accession_number = $1 ORDER BY generation`,
    [accession],
  );
  return rows;
}

describe('date of service of an archived specimen (42 CFR 414.510(b))', () => {
  it('a block stored 40 days and recut: charged with the date it was obtained from storage', async () => {
    const acc = newAccession('DOS');
    const data = snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }], { collectionDate: '2026-02-01' });
    const archived = { ...data, specimens: data.specimens.map((s) => ({ ...s, retrievedFromStorageDate: '2026-03-10' })) };
    await send([caseEvent(archived)], passingScans([barcodeOf(acc, 'A', 1)], '2026-03-13T09:00:00.000Z'));
    await harness.reader.waitFor(isChargeOf(acc), (list) => list.length >= 1);
    const posted = harness.reader.messages.filter(isChargeOf(acc)).map((m) => (m.value as ChargeMessage).data);
    expect(posted.map((c) => [c.code, c.dateOfService])).toEqual([['0753T', '2026-03-10']]);
    expect(posted[0]?.trace).toContainEqual(expect.objectContaining({ rule: 'date-of-service', outcome: 'retrieved-from-storage' }));
    const view = await http().get(`/cases/${acc}/billing`).expect(200);
    expect(view.body.case.specimens).toEqual([expect.objectContaining({ specimenId: 'A', retrievedFromStorageDate: '2026-03-10' })]);
    expect(view.body.charges.map((c: { dateOfService: string }) => c.dateOfService)).toEqual(['2026-03-10']);
  });

  it('archived with no retrieval date: held with the reason; the retrieval date from a case update releases it on that date', async () => {
    const acc = newAccession('DOS');
    const data = snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }], { collectionDate: '2026-02-01' });
    await send([caseEvent(data)], passingScans([barcodeOf(acc, 'A', 1)], '2026-03-13T09:00:00.000Z'));
    expect((await charges(acc)).map((c) => [c.generation, c.status, c.date_of_service])).toEqual([[1, 'held', '2026-02-01']]);
    const { rows } = await harness.pool.query(`SELECT hold_reasons FROM billing.charge WHERE accession_number = $1`, [acc]);
    expect(JSON.stringify(rows[0].hold_reasons)).toContain("held until the LIS sends the specimen's retrieval date");

    const updated = { ...data, version: 2, specimens: data.specimens.map((s) => ({ ...s, retrievedFromStorageDate: '2026-03-12' })) };
    await send([caseEvent(updated, 'case.updated')]);
    expect((await charges(acc)).map((c) => [c.generation, c.status, c.date_of_service])).toEqual([
      [1, 'voided', '2026-02-01'],
      [2, 'posted', '2026-03-12'],
    ]);
  });

  it('stored 30 days: not archived, the collection date stays the date of service', async () => {
    const acc = newAccession('DOS');
    const data = snapshot(acc, [{ id: 'A', cpt: '88305', slides: 1 }], { collectionDate: '2026-02-01' });
    const withRetrieval = { ...data, specimens: data.specimens.map((s) => ({ ...s, retrievedFromStorageDate: '2026-03-01' })) };
    await send([caseEvent(withRetrieval)], passingScans([barcodeOf(acc, 'A', 1)], '2026-03-03T09:00:00.000Z'));
    expect((await charges(acc)).map((c) => [c.status, c.date_of_service])).toEqual([['posted', '2026-02-01']]);
  });
});
