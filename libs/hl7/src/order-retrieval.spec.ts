import { Hl7Message } from '@medplum/core';
import { DEFAULT_ORDER_MAPPING, type OrderMapping } from './order-mapping';
import { indexSegments, newFindings } from './order-reading';
import { readRetrievedFromStorageDate } from './order-retrieval';
import { parseOrder } from './order';

const m = DEFAULT_ORDER_MAPPING;
const atSpm18: OrderMapping = { ...m, specimenRetrievedFromStorageDate: [{ segment: 'SPM', field: 18 }] };
const atObr14: OrderMapping = { ...m, specimenRetrievedFromStorageDate: [{ segment: 'OBR', field: 14 }] };
/** A segment from its fields by position: seg('OBR', { 1: '1', 14: '20261120' }). */
const seg = (name: string, fields: Record<number, string>) => {
  const last = Math.max(...Object.keys(fields).map(Number));
  return [name, ...Array.from({ length: last }, (_, i) => fields[i + 1] ?? '')].join('|');
};
const MSH = 'MSH|^~\\&|LIS|LAB|SC|PATH|20261120||OML^O21^OML_O21|C1|P|2.5.1';
const PID = 'PID|1||E1^^^^MR||DOE^JO';
const specimenSpm = (id: string, retrieved: string) => seg('SPM', { 1: '1', 2: id, 4: 'TISS', 17: '20260901', 18: retrieved });

function readAt(mapping: OrderMapping, line: string) {
  const segments = indexSegments(Hl7Message.parse([MSH, line].join('\r')));
  const name = line.slice(0, 3);
  const f = newFindings();
  const value = readRetrievedFromStorageDate({ [name]: segments.all(name)[0] }, 'specimens.0', 'A', mapping, f);
  return { value, f };
}

describe('order-retrieval: the date an archived specimen was obtained from storage', () => {
  it('reads the configured field (DTM: the date part) and notes where it came from', () => {
    const { value, f } = readAt(atSpm18, specimenSpm('A', '202611201030-0500'));
    expect(value).toBe('2026-11-20');
    expect(f.errors).toEqual([]);
    expect(f.locs.get('specimens.0.retrievedFromStorageDate')).toMatchObject({ segment: 'SPM', sequence: 1, field: 18 });
  });

  it('reads a DT (YYYYMMDD) from an OBR field as well', () => {
    expect(readAt(atObr14, seg('OBR', { 1: '1', 3: 'S26-1', 14: '20261119' })).value).toBe('2026-11-19');
  });

  it('none by default: the default mapping reads nothing, whatever SPM-18 holds', () => {
    const { value, f } = readAt(m, specimenSpm('A', '20261120'));
    expect(value).toBeUndefined();
    expect(f.locs.has('specimens.0.retrievedFromStorageDate')).toBe(false);
  });

  it('an empty field gives no date and no error', () => {
    const { value, f } = readAt(atSpm18, seg('SPM', { 1: '1', 2: 'A', 4: 'TISS' }));
    expect(value).toBeUndefined();
    expect(f.errors).toEqual([]);
  });

  it('a value that is not an HL7 date is 102 at the field, naming the specimen', () => {
    for (const bad of ['20261131', '2026-11-20', 'YESTERDAY']) {
      const { value, f } = readAt(atSpm18, specimenSpm('A', bad));
      expect(value).toBeUndefined();
      expect(f.errors).toEqual([expect.objectContaining({ segment: 'SPM', sequence: 1, field: 18, code: '102', message: expect.stringMatching(/specimen A: retrieved-from-storage date .* is not an HL7 date/) })]);
    }
  });
});

describe('parseOrder with a retrieval-date field', () => {
  const order = (...specimens: string[]) => [MSH, PID, 'ORC|NW||S26-1', 'OBR|1||S26-1|88305^^C4', ...specimens].join('\r');

  it('puts each specimen its own retrieval date; a specimen without one has none', () => {
    const r = parseOrder(order(specimenSpm('A', '20261120'), seg('SPM', { 1: '2', 2: 'B', 4: 'TISS', 17: '20260901' })), atSpm18);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.order.action).toBe('upsert');
    if (r.order.action !== 'upsert') return;
    expect(r.order.case.specimens).toEqual([
      expect.objectContaining({ specimenId: 'A', retrievedFromStorageDate: '2026-11-20' }),
      expect.not.objectContaining({ retrievedFromStorageDate: expect.anything() }),
    ]);
    expect(r.order.locations['specimens.0.retrievedFromStorageDate']).toMatchObject({ segment: 'SPM', field: 18 });
  });

  it('an invalid retrieval date refuses the order with AE 102 at that field (once)', () => {
    const r = parseOrder(order(specimenSpm('A', '20261399')), atSpm18);
    expect(r).toMatchObject({ ok: false, ackCode: 'AE' });
    if (r.ok) return;
    expect(r.errors).toEqual([expect.objectContaining({ segment: 'SPM', sequence: 1, field: 18, code: '102' })]);
  });

  it('a retrieval date before the collection date is accepted: billing holds the charge (retrieval-before-collection)', () => {
    const r = parseOrder(order(specimenSpm('A', '20260801')), atSpm18);
    expect(r.ok).toBe(true);
    if (r.ok && r.order.action === 'upsert') expect(r.order.case.specimens[0]?.retrievedFromStorageDate).toBe('2026-08-01');
  });
});
