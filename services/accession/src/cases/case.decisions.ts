import { CaseDetails, CaseSnapshot } from '@slidecharge/contracts';
import { buildSnapshot, detailsOf, sameDetails } from './case.model';
import { CaseCancelledError, CaseError, CaseExistsError, CaseNotFoundError, PatientMismatchError } from './case.errors';

/**
 * What a request does to a case, decided from the case as stored (locked) and the request alone.
 * `event` is the case event to publish, if any; `snapshot` is the case after the request.
 */
export type CaseDecision =
  | { outcome: 'created'; snapshot: CaseSnapshot; event: 'case.created' }
  | { outcome: 'updated'; snapshot: CaseSnapshot; event: 'case.updated' }
  | { outcome: 'cancelled'; snapshot: CaseSnapshot; event: 'case.cancelled' }
  | { outcome: 'unchanged' | 'already-cancelled'; snapshot: CaseSnapshot; event?: undefined }
  | { outcome: 'refused'; error: CaseError };

/** POST /cases: create, or refuse when the accession number is taken (whatever the details). */
export function decideCreate(current: CaseSnapshot | undefined, accessionNumber: string, details: CaseDetails): CaseDecision {
  if (current) return { outcome: 'refused', error: new CaseExistsError(accessionNumber, current.status, current.version) };
  return { outcome: 'created', snapshot: buildSnapshot(accessionNumber, 'active', 1, details), event: 'case.created' };
}

/**
 * PUT /cases/:accessionNumber: create, replace the details (version + 1), or nothing at all when the
 * details are what is stored already (an LIS retry). A cancelled case is final.
 */
export function decideReplace(current: CaseSnapshot | undefined, accessionNumber: string, details: CaseDetails): CaseDecision {
  if (!current) return decideCreate(undefined, accessionNumber, details);
  if (current.status === 'cancelled') return { outcome: 'refused', error: new CaseCancelledError(accessionNumber, current.version) };
  if (sameDetails(detailsOf(current), details)) return { outcome: 'unchanged', snapshot: current };
  return { outcome: 'updated', snapshot: buildSnapshot(accessionNumber, 'active', current.version + 1, details), event: 'case.updated' };
}

/**
 * POST /cases/:accessionNumber/cancel (and an HL7 cancel): cancel once (version + 1); cancelling
 * again changes nothing. With `patientId` (PID-3 of an HL7 cancel, `patientId` of a REST cancel) a
 * case of another patient is refused: the accession number is then more likely wrong than the patient.
 */
export function decideCancel(current: CaseSnapshot | undefined, accessionNumber: string, reason: string, patientId?: string): CaseDecision {
  if (!current) return { outcome: 'refused', error: new CaseNotFoundError(accessionNumber) };
  if (patientId !== undefined && patientId !== current.patientId) {
    return { outcome: 'refused', error: new PatientMismatchError(accessionNumber) };
  }
  if (current.status === 'cancelled') return { outcome: 'already-cancelled', snapshot: current };
  return {
    outcome: 'cancelled',
    snapshot: buildSnapshot(accessionNumber, 'cancelled', current.version + 1, detailsOf(current), reason),
    event: 'case.cancelled',
  };
}

/**
 * Details without slides keep the stored case's slides of the specimens they still have (an HL7 order
 * usually comes before histology cuts the slides, and a later change of the order may not list them).
 * Details that carry slides, or a case not stored yet, are returned as they are.
 */
export function withStoredSlides(details: CaseDetails, current: CaseSnapshot | undefined): CaseDetails {
  if (details.slides.length > 0 || !current?.slides.length) return details;
  const specimens = new Set(details.specimens.map((s) => s.specimenId));
  const kept = current.slides.filter((s) => specimens.has(s.specimenId));
  return kept.length ? { ...details, slides: kept } : details;
}
