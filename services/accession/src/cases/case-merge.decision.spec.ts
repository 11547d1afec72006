import { CaseDetails } from '@slidecharge/contracts';
import { decideSpecimenCancel, decideSpecimenOrder, mergeSpecimenOrder } from './case-merge.decision';
import { CaseCancelledError, PatientMismatchError } from './case.errors';
import { buildSnapshot } from './case.model';

/** The case as stored: specimens A and B, REST set flags and A's diagnosis pointer. */
const stored = CaseDetails.parse({
  patientId: 'MRN-1',
  payer: { payerId: 'MEDICARE' },
  collectionDate: '2026-11-20',
  diagnoses: ['C50.911', 'N63.10'],
  flags: { digitalSignOut: true },
  specimens: [
    { specimenId: 'A', primaryCpt: '88305', units: 1, diagnosisPointers: [2] },
    { specimenId: 'B', primaryCpt: '88307', units: 1 },
  ],
  slides: [
    { barcode: 'S-A1-1', specimenId: 'A' },
    { barcode: 'S-B1-1', specimenId: 'B' },
  ],
});
const active = (version = 3) => buildSnapshot('S26-1', 'active', version, stored);

/** An order for one specimen as an LIS sends it (no flags, no pointers, its own diagnosis). */
const orderFor = (specimens: CaseDetails['specimens'], slides: CaseDetails['slides'] = [], diagnoses = ['C50.911']) =>
  CaseDetails.parse({ patientId: 'MRN-1', payer: { payerId: 'MEDICARE' }, collectionDate: '2026-11-20', diagnoses, specimens, slides });

describe('per-specimen order merge', () => {
  it('a new specimen (NW) is added; the others, their slides, pointers and the case flags stay', () => {
    const merged = mergeSpecimenOrder(stored, { details: orderFor([{ specimenId: 'C', primaryCpt: '88307', units: 2 }], [{ barcode: 'S-C1-1', specimenId: 'C' }], ['D12.2']), cancelledSpecimenIds: [] });
    expect(merged.specimens.map((s) => s.specimenId)).toEqual(['A', 'B', 'C']);
    expect(merged.specimens[0]).toEqual({ specimenId: 'A', primaryCpt: '88305', units: 1, diagnosisPointers: [2] });
    expect(merged.slides.map((s) => s.barcode)).toEqual(['S-A1-1', 'S-B1-1', 'S-C1-1']);
    expect(merged.flags).toEqual({ digitalSignOut: true });
    // Appended, so the stored pointers still point at the same codes.
    expect(merged.diagnoses).toEqual(['C50.911', 'N63.10', 'D12.2']);
  });

  it('a changed specimen (XO) takes the order\'s code and units but keeps its REST pointers and, when the order lists none, its slides', () => {
    const d = decideSpecimenOrder(active(), 'S26-1', { details: orderFor([{ specimenId: 'A', primaryCpt: '88307', units: 3 }]), cancelledSpecimenIds: [] });
    expect(d).toMatchObject({ outcome: 'updated', snapshot: { version: 4, flags: { digitalSignOut: true } } });
    if (d.outcome !== 'updated') throw new Error('expected an update');
    expect(d.snapshot.specimens).toEqual([
      { specimenId: 'A', primaryCpt: '88307', units: 3, diagnosisPointers: [2] },
      { specimenId: 'B', primaryCpt: '88307', units: 1 },
    ]);
    expect(d.snapshot.slides).toHaveLength(2);
  });

  it('the same order again changes nothing', () => {
    const again = decideSpecimenOrder(active(), 'S26-1', { details: orderFor([{ specimenId: 'B', primaryCpt: '88307', units: 1 }]), cancelledSpecimenIds: [] });
    expect(again.outcome).toBe('unchanged');
  });

  it('a cancel (CA) of one specimen removes it and its slides; of the last specimen cancels the case', () => {
    const one = decideSpecimenCancel(active(), 'S26-1', { specimenIds: ['B'], reason: 'ordered in error' });
    expect(one).toMatchObject({ outcome: 'updated', snapshot: { version: 4, status: 'active' } });
    if (one.outcome !== 'updated') throw new Error('expected an update');
    expect(one.snapshot.specimens.map((s) => s.specimenId)).toEqual(['A']);
    expect(one.snapshot.slides.map((s) => s.barcode)).toEqual(['S-A1-1']);
    const last = decideSpecimenCancel(one.snapshot, 'S26-1', { specimenIds: ['A'], reason: 'ordered in error' });
    expect(last).toMatchObject({ outcome: 'cancelled', snapshot: { status: 'cancelled', version: 5 } });
  });

  it('a cancel naming no specimen cancels the case; a cancel of another patient is refused', () => {
    expect(decideSpecimenCancel(active(), 'S26-1', { specimenIds: [], reason: 'x' }).outcome).toBe('cancelled');
    const other = decideSpecimenCancel(active(), 'S26-1', { specimenIds: ['A'], reason: 'x', patientId: 'MRN-2' });
    expect(other.outcome === 'refused' && other.error).toBeInstanceOf(PatientMismatchError);
  });

  it('a cancelling ORC among creating ones removes its specimen in the same change; a cancelled case refuses orders', () => {
    const d = decideSpecimenOrder(active(), 'S26-1', { details: orderFor([{ specimenId: 'C', primaryCpt: '88305', units: 1 }]), cancelledSpecimenIds: ['A'] });
    if (d.outcome !== 'updated') throw new Error('expected an update');
    expect(d.snapshot.specimens.map((s) => s.specimenId)).toEqual(['B', 'C']);
    const cancelled = buildSnapshot('S26-1', 'cancelled', 5, stored, 'gone');
    const refused = decideSpecimenOrder(cancelled, 'S26-1', { details: orderFor([{ specimenId: 'C', primaryCpt: '88305', units: 1 }]), cancelledSpecimenIds: [] });
    expect(refused.outcome === 'refused' && refused.error).toBeInstanceOf(CaseCancelledError);
  });

  it('a case not stored yet is created from the order', () => {
    expect(decideSpecimenOrder(undefined, 'S26-1', { details: orderFor([{ specimenId: 'A', primaryCpt: '88305', units: 1 }]), cancelledSpecimenIds: [] })).toMatchObject({ outcome: 'created' });
  });
});
