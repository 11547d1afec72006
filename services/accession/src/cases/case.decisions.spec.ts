import { CaseDetails } from '@slidecharge/contracts';
import { decideCancel, decideCreate, decideReplace, withStoredSlides } from './case.decisions';
import { CaseCancelledError, CaseExistsError, CaseNotFoundError, PatientMismatchError } from './case.errors';
import { buildSnapshot } from './case.model';

const details = CaseDetails.parse({
  patientId: 'MRN-1',
  payer: { payerId: 'MEDICARE' },
  collectionDate: '2026-11-20',
  specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
  slides: [{ barcode: 'S-A1-1', specimenId: 'A' }],
});
const active = (version: number) => buildSnapshot('S26-1', 'active', version, details);

describe('case decisions', () => {
  it('creates at version 1 and refuses a second create, pointing to PUT', () => {
    const created = decideCreate(undefined, 'S26-1', details);
    expect(created).toMatchObject({ outcome: 'created', event: 'case.created', snapshot: { version: 1, status: 'active' } });
    const again = decideCreate(active(4), 'S26-1', details);
    expect(again.outcome).toBe('refused');
    if (again.outcome === 'refused') {
      expect(again.error).toBeInstanceOf(CaseExistsError);
      expect(again.error.message).toContain('PUT /cases/S26-1');
    }
  });

  it('replaces with the next version, and does nothing for identical details', () => {
    const changed = { ...details, specimens: [{ specimenId: 'A', primaryCpt: '88307', units: 1 }] };
    expect(decideReplace(active(2), 'S26-1', changed)).toMatchObject({ outcome: 'updated', event: 'case.updated', snapshot: { version: 3 } });
    const same = decideReplace(active(2), 'S26-1', details);
    expect(same).toMatchObject({ outcome: 'unchanged', snapshot: { version: 2 } });
    expect(same.outcome !== 'refused' && same.event).toBeFalsy();
    expect(decideReplace(undefined, 'S26-1', details)).toMatchObject({ outcome: 'created', snapshot: { version: 1 } });
  });

  it('treats a change of flags, modifiers or pointers as an update and the same ones again as no change', () => {
    const flagged = { ...details, flags: { digitalSignOut: true } };
    const first = decideReplace(active(2), 'S26-1', flagged);
    expect(first).toMatchObject({ outcome: 'updated', event: 'case.updated', snapshot: { version: 3, flags: { digitalSignOut: true } } });
    if (first.outcome !== 'updated') throw new Error('expected an update');
    expect(decideReplace(first.snapshot, 'S26-1', { ...flagged, flags: { digitalSignOut: true, abnOnFile: false } })).toMatchObject({ outcome: 'unchanged', snapshot: { version: 3 } });
    // Clearing the flag is a change too; the case then carries no flags at all.
    const cleared = decideReplace(first.snapshot, 'S26-1', { ...details, flags: { digitalSignOut: false } });
    expect(cleared).toMatchObject({ outcome: 'updated', snapshot: { version: 4 } });
    expect(cleared.outcome === 'updated' && cleared.snapshot).not.toHaveProperty('flags');
    // Flags that say nothing, on a case that has none, change nothing.
    expect(decideReplace(active(2), 'S26-1', { ...details, flags: {} })).toMatchObject({ outcome: 'unchanged', snapshot: { version: 2 } });

    const withDx = { ...details, diagnoses: ['C50.911', 'C61'] };
    const coded = (over: object) => ({ ...withDx, specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1, ...over }] });
    const stored = buildSnapshot('S26-1', 'active', 5, coded({ modifiers: ['59'], diagnosisPointers: [1] }));
    expect(decideReplace(stored, 'S26-1', coded({ modifiers: ['59'], diagnosisPointers: [1] })).outcome).toBe('unchanged');
    expect(decideReplace(stored, 'S26-1', coded({ modifiers: ['59', 'Q1'], diagnosisPointers: [1] }))).toMatchObject({ outcome: 'updated', snapshot: { version: 6 } });
    expect(decideReplace(stored, 'S26-1', coded({ modifiers: ['59'], diagnosisPointers: [2, 1] }))).toMatchObject({ outcome: 'updated', snapshot: { version: 6 } });
    expect(decideReplace(stored, 'S26-1', coded({ modifiers: ['59'] }))).toMatchObject({ outcome: 'updated', snapshot: { version: 6 } });
  });

  it('refuses to change a cancelled case', () => {
    const cancelled = buildSnapshot('S26-1', 'cancelled', 3, details, 'wrong patient');
    const result = decideReplace(cancelled, 'S26-1', details);
    expect(result.outcome === 'refused' && result.error).toBeInstanceOf(CaseCancelledError);
  });

  it('cancels once, keeping the details, and treats a repeat as done', () => {
    const result = decideCancel(active(2), 'S26-1', 'wrong patient');
    expect(result).toMatchObject({ outcome: 'cancelled', event: 'case.cancelled', snapshot: { version: 3, status: 'cancelled', cancelReason: 'wrong patient' } });
    if (result.outcome === 'cancelled') {
      expect(result.snapshot.slides).toEqual(details.slides);
      expect(result.snapshot).not.toHaveProperty('flags');
      expect(decideCancel(result.snapshot, 'S26-1', 'again')).toMatchObject({ outcome: 'already-cancelled', snapshot: { version: 3, cancelReason: 'wrong patient' } });
    }
    const flagged = buildSnapshot('S26-2', 'active', 1, { ...details, flags: { researchStudy: true } });
    expect(decideCancel(flagged, 'S26-2', 'duplicate')).toMatchObject({ outcome: 'cancelled', snapshot: { version: 2, flags: { researchStudy: true } } });
    const missing = decideCancel(undefined, 'S26-404', 'x');
    expect(missing.outcome === 'refused' && missing.error).toBeInstanceOf(CaseNotFoundError);
  });
});

describe('HL7 additions', () => {
  it('a cancel naming the case patient cancels; naming another patient is refused and cancels nothing', () => {
    expect(decideCancel(active(2), 'S26-1', 'LIS cancel', 'MRN-1')).toMatchObject({ outcome: 'cancelled', snapshot: { version: 3 } });
    const other = decideCancel(active(2), 'S26-1', 'LIS cancel', 'MRN-9');
    expect(other.outcome).toBe('refused');
    if (other.outcome === 'refused') {
      expect(other.error).toBeInstanceOf(PatientMismatchError);
      // Neither patient id is in the error (it goes back to the sender and into logs): no echo of the case's MRN.
      expect(other.error.message).toBe('the patient id sent does not match the patient of case S26-1; check the accession number and the patient id (nothing was cancelled)');
      expect(JSON.stringify(other.error)).not.toMatch(/MRN-1|MRN-9/);
    }
  });

  it('withStoredSlides: details without slides keep the stored slides of the specimens still there', () => {
    const two = CaseDetails.parse({
      ...details,
      specimens: [...details.specimens, { specimenId: 'B', primaryCpt: '88307', units: 1 }],
      slides: [{ barcode: 'S-A1-1', specimenId: 'A' }, { barcode: 'S-B1-1', specimenId: 'B', block: 'B1' }],
    });
    const stored = buildSnapshot('S26-1', 'active', 2, two);
    const onlyA = { ...details, slides: [] };
    expect(withStoredSlides(onlyA, stored).slides).toEqual([{ barcode: 'S-A1-1', specimenId: 'A' }]);
    expect(withStoredSlides({ ...two, slides: [] }, stored).slides).toEqual(stored.slides);
    // Slides sent replace the stored ones; nothing stored, nothing kept.
    const sent = { ...details, slides: [{ barcode: 'NEW-1', specimenId: 'A' }] };
    expect(withStoredSlides(sent, stored)).toBe(sent);
    expect(withStoredSlides(onlyA, undefined)).toBe(onlyA);
    // A stored slide of a specimen the order no longer has goes.
    const onlyC = { ...details, specimens: [{ specimenId: 'C', primaryCpt: '88305', units: 1 }], slides: [] };
    expect(withStoredSlides(onlyC, stored).slides).toEqual([]);
  });
});
