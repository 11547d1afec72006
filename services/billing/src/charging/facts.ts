import type {
  BillingCaseFacts,
  ChargeDecision,
  QcFacts,
  ScanFacts,
  ScanPurpose,
  ScanStatus,
} from '@slidecharge/billing-rules';
import type { Charge, ScanEvent } from '@slidecharge/contracts';
import { chargeIdFor } from './charge-id';

/**
 * Pure mapping between what billing stores and what the billing rules read, and the small decisions
 * around it (which scan report wins, which locks to take, how a decision becomes a Charge).
 */

export function scanStatusOf(type: ScanEvent['type']): ScanStatus {
  switch (type) {
    case 'scan.started':
      return 'started';
    case 'scan.completed':
      return 'completed';
    case 'scan.failed':
      return 'failed';
  }
}

/** started < completed = failed: an end state is never overwritten by a late "started". */
export function statusRank(status: string): number {
  return status === 'started' ? 0 : 1;
}

/**
 * Whether a scan report replaces the stored one of the same scanId: a later state wins (completed or
 * failed over started); between reports of the same rank, the later scannedAt wins; a repeat or an
 * older report changes nothing. (The repository's upsert applies the same rule in SQL.)
 */
export function supersedes(incoming: { status: string; scannedAt: string }, stored: { status: string; scannedAt: string }): boolean {
  const byRank = statusRank(incoming.status) - statusRank(stored.status);
  if (byRank !== 0) return byRank > 0;
  return Date.parse(incoming.scannedAt) > Date.parse(stored.scannedAt);
}

/** Advisory-lock key of a slide: a case and a scan of the same slide serialize on it. */
export const slideLockKey = (barcode: string) => `slide:${barcode}`;
/** Advisory-lock key of a case: two versions of one case serialize on it. */
export const caseLockKey = (accessionNumber: string) => `case:${accessionNumber}`;

/** One posted charge as the drift check compares it with newer case facts. */
export interface PostedChargeFacts {
  chargeId: string;
  chargeKey: string;
  specimenId: string;
  code: string;
  primaryCode: string;
  units: number;
  dateOfService: string;
  patientId: string;
  payerId: string;
  diagnoses: string[];
  slideBarcodes: string[];
}

/** Everything billing holds about one case, loaded in one query (see BillingRepository.loadCases). */
export interface LoadedCase {
  version: number;
  facts: BillingCaseFacts;
  scans: ScanFacts[];
  qcResults: QcFacts[];
  charges: PostedChargeFacts[];
}

/** The row shape of BillingRepository.loadCases (json columns arrive parsed). */
export interface LoadedCaseRow {
  accessionNumber: string;
  version: number;
  status: string;
  patientId: string;
  payerId: string;
  collectionDate: string;
  diagnoses: string[] | null;
  specimens: { specimenId: string; primaryCpt: string; units: number }[];
  slides: { barcode: string; specimenId: string }[];
  scans: { scanId: string; slideBarcode: string; status: string; purpose: string; scannedAt: string; sourceEventId: string }[];
  qc: { scanId: string; passed: boolean; reasons: string[] | null; sourceEventId: string }[];
  charges: (Omit<PostedChargeFacts, 'diagnoses' | 'slideBarcodes'> & { diagnoses: string[] | null; slideBarcodes: string[] | null })[];
}

const iso = (timestamp: string) => new Date(timestamp).toISOString();

export function loadedCaseFromRow(row: LoadedCaseRow): LoadedCase {
  return {
    version: row.version,
    facts: {
      accessionNumber: row.accessionNumber,
      status: row.status === 'cancelled' ? 'cancelled' : 'active',
      patientId: row.patientId,
      payerId: row.payerId,
      collectionDate: row.collectionDate,
      diagnoses: row.diagnoses ?? [],
      specimens: row.specimens.map((s) => ({ specimenId: s.specimenId, primaryCpt: s.primaryCpt, units: s.units })),
      slides: row.slides.map((s) => ({ barcode: s.barcode, specimenId: s.specimenId })),
    },
    scans: row.scans.map((s) => ({
      scanId: s.scanId,
      slideBarcode: s.slideBarcode,
      status: s.status as ScanStatus,
      purpose: s.purpose as ScanPurpose,
      ...(s.status === 'completed' ? { completedAt: iso(s.scannedAt) } : {}),
      sourceEventId: s.sourceEventId,
    })),
    qcResults: row.qc.map((q) => ({ scanId: q.scanId, passed: q.passed, reasons: q.reasons ?? [], sourceEventId: q.sourceEventId })),
    charges: row.charges.map((c) => ({ ...c, diagnoses: c.diagnoses ?? [], slideBarcodes: c.slideBarcodes ?? [] })),
  };
}

/** The charge.posted payload of a decision: a CG transaction whose chargeId derives from its key. */
export function toCharge(decision: ChargeDecision, postedAt: Date): Charge {
  return {
    chargeId: chargeIdFor(decision.chargeKey),
    chargeKey: decision.chargeKey,
    transactionType: 'CG',
    accessionNumber: decision.accessionNumber,
    specimenId: decision.specimenId,
    code: decision.code,
    primaryCode: decision.primaryCode,
    units: decision.units,
    dateOfService: decision.dateOfService,
    patientId: decision.patientId,
    payerId: decision.payerId,
    diagnoses: [...decision.diagnoses],
    slideBarcodes: [...decision.slideBarcodes],
    scanIds: [...decision.scanIds],
    causedBy: [...decision.causedBy],
    postedAt: postedAt.toISOString(),
    trace: decision.trace.map((t) => ({ rule: t.rule, outcome: t.outcome, detail: t.detail })),
  };
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * What changed in the case since a charge was posted, in words (empty when the charge still
 * matches the case). Posted charges are never edited: crediting them is a later feature, so for now
 * the caller logs these changes for the billing staff.
 */
export function postedChargeChanges(charge: PostedChargeFacts, facts: BillingCaseFacts): string[] {
  const changes: string[] = [];
  if (facts.status !== 'active') changes.push(`case is now ${facts.status}`);
  const specimen = facts.specimens.find((s) => s.specimenId === charge.specimenId);
  if (!specimen) {
    changes.push(`specimen ${charge.specimenId} is no longer on the case`);
  } else {
    if (specimen.primaryCpt !== charge.primaryCode) changes.push(`primary code ${charge.primaryCode} -> ${specimen.primaryCpt}`);
    if (specimen.units !== charge.units) changes.push(`units ${charge.units} -> ${specimen.units}`);
    const slidesNow = new Set(facts.slides.filter((s) => s.specimenId === charge.specimenId).map((s) => s.barcode));
    const gone = charge.slideBarcodes.filter((b) => !slidesNow.has(b));
    if (gone.length > 0 && gone.length === charge.slideBarcodes.length) {
      changes.push(`charged slide(s) ${gone.join(', ')} no longer on specimen ${charge.specimenId}`);
    }
  }
  if (facts.collectionDate !== charge.dateOfService) changes.push(`collection date ${charge.dateOfService} -> ${facts.collectionDate}`);
  if (facts.patientId !== charge.patientId) changes.push(`patient ${charge.patientId} -> ${facts.patientId}`);
  if (facts.payerId !== charge.payerId) changes.push(`payer ${charge.payerId} -> ${facts.payerId}`);
  if (!sameList(facts.diagnoses, charge.diagnoses)) {
    changes.push(`diagnoses ${charge.diagnoses.join(',') || '(none)'} -> ${facts.diagnoses.join(',') || '(none)'}`);
  }
  return changes;
}
