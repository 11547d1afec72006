import { CaseDetails, CaseSnapshot } from '@slidecharge/contracts';
import { CaseCancelledError, CaseNotFoundError, PatientMismatchError } from './case.errors';
import { CaseDecision, decideCancel, decideCreate, decideReplace } from './case.decisions';
import { detailsOf } from './case.model';

/**
 * Orders merged per specimen (ACCESSION_HL7_ORDER_MERGE=specimen): an LIS that sends one order per
 * specimen (ORC-1 NW / XO / CA for each ORC + OBR group) adds, changes or cancels those specimens
 * only; the case's other specimens, their slides and what REST set on them (diagnosis pointers,
 * retrieval date, case flags) stay as they are.
 *
 * Case-level fields (patient, payer, collection date, ordering provider) are the latest order's.
 * Diagnoses are the stored ones followed by the order's new ones (at most 12): an order names the
 * diagnoses of its own specimen, and appending keeps the stored diagnosis pointers right.
 * Cancelling the case's last specimen cancels the case: a case has at least one specimen, and one
 * without any has nothing left to bill.
 */
export interface SpecimenOrder {
  /** The order's case details: its created or changed specimens and their slides. */
  details: CaseDetails;
  /** Specimens the order cancels. */
  cancelledSpecimenIds: string[];
}

type Specimen = CaseDetails['specimens'][number];
type Slide = CaseDetails['slides'][number];

const MAX_DIAGNOSES = 12;

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The ordered specimen, keeping what only REST sets when the order does not carry it. */
function mergeSpecimen(stored: Specimen | undefined, ordered: Specimen): Specimen {
  if (!stored) return ordered;
  return defined({
    ...ordered,
    diagnosisPointers: ordered.diagnosisPointers ?? stored.diagnosisPointers,
    retrievedFromStorageDate: ordered.retrievedFromStorageDate ?? stored.retrievedFromStorageDate,
  });
}

function mergeSpecimens(current: Specimen[], ordered: Specimen[], cancelled: Set<string>): Specimen[] {
  const byId = new Map(ordered.map((s) => [s.specimenId, s]));
  const kept = current.filter((s) => !cancelled.has(s.specimenId)).map((s) => mergeSpecimen(s, byId.get(s.specimenId) ?? s));
  const stored = new Set(current.map((s) => s.specimenId));
  return [...kept, ...ordered.filter((s) => !stored.has(s.specimenId) && !cancelled.has(s.specimenId))];
}

/** Slides of untouched specimens stay; an ordered specimen takes the order's slides, or keeps its own when the order lists none. */
function mergeSlides(current: Slide[], order: CaseDetails, specimens: Specimen[]): Slide[] {
  const alive = new Set(specimens.map((s) => s.specimenId));
  const withOrderSlides = new Set(order.slides.map((s) => s.specimenId));
  const kept = current.filter((s) => alive.has(s.specimenId) && !withOrderSlides.has(s.specimenId));
  return [...kept, ...order.slides.filter((s) => alive.has(s.specimenId))];
}

function mergeDiagnoses(current: string[], ordered: string[]): string[] {
  return [...current, ...ordered.filter((d) => !current.includes(d))].slice(0, MAX_DIAGNOSES);
}

/** The case after a per-specimen order (maybe without specimens: the caller then cancels). */
export function mergeSpecimenOrder(current: CaseDetails, order: SpecimenOrder): CaseDetails {
  const { details } = order;
  const specimens = mergeSpecimens(current.specimens, details.specimens, new Set(order.cancelledSpecimenIds));
  return defined({
    ...details,
    diagnoses: mergeDiagnoses(current.diagnoses, details.diagnoses),
    flags: current.flags,
    specimens,
    slides: mergeSlides(current.slides, details, specimens),
  });
}

/** An order (NW/XO with maybe some CA) in specimen merge mode. */
export function decideSpecimenOrder(current: CaseSnapshot | undefined, accessionNumber: string, order: SpecimenOrder): CaseDecision {
  if (!current) return decideCreate(undefined, accessionNumber, order.details);
  if (current.status === 'cancelled') return { outcome: 'refused', error: new CaseCancelledError(accessionNumber, current.version) };
  return decideReplace(current, accessionNumber, mergeSpecimenOrder(detailsOf(current), order));
}

export interface SpecimenCancel {
  /** Specimens the cancel names; none = the whole case. */
  specimenIds: string[];
  reason: string;
  patientId?: string;
}

/** A cancel (every ORC-1 CA/OC/CR) in specimen merge mode: those specimens, or the case when none or all are named. */
export function decideSpecimenCancel(current: CaseSnapshot | undefined, accessionNumber: string, cancel: SpecimenCancel): CaseDecision {
  if (!current) return { outcome: 'refused', error: new CaseNotFoundError(accessionNumber) };
  if (cancel.patientId !== undefined && cancel.patientId !== current.patientId) return { outcome: 'refused', error: new PatientMismatchError(accessionNumber) };
  const named = new Set(cancel.specimenIds);
  const remaining = current.specimens.filter((s) => !named.has(s.specimenId));
  if (current.status === 'cancelled' || named.size === 0 || remaining.length === 0) {
    return decideCancel(current, accessionNumber, cancel.reason, cancel.patientId);
  }
  const details = detailsOf(current);
  return decideReplace(current, accessionNumber, { ...details, specimens: remaining, slides: details.slides.filter((s) => !named.has(s.specimenId)) });
}
