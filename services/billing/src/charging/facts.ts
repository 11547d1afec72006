import type {
  BillingCaseFacts,
  CaseFlags,
  ChargeCredit,
  ChargeStatus,
  DecidedChargeField,
  EngineCase,
  EngineCharge,
  ExistingCharge,
  ExistingChargeState,
  QcFacts,
  ScanFacts,
  ScanPurpose,
  ScanStatus,
  TraceLine,
} from '@slidecharge/billing-rules';
import type { Charge, Credit, ScanEvent } from '@slidecharge/contracts';
import type { StoredChargeStatus } from '../charge/charge-status';

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


/**
 * The contract's Charge fields that the rules and the drift check compare with newer case facts: its id,
 * what the digitization rule decided of it but the accession (the case's), its scans, causes and trace,
 * and the modifiers and pointers the payer rules added.
 */
type StoredChargeField = 'chargeId' | Exclude<DecidedChargeField, 'accessionNumber' | 'scanIds' | 'causedBy' | 'trace'> | 'modifiers' | 'diagnosisPointers';

/** A charge as stored, as the rules and the drift check compare it with newer case facts. */
export type StoredCharge = Pick<Charge, StoredChargeField> & {
  generation: number;
  status: StoredChargeStatus;
  /** The rules of its hold reasons (empty unless held). */
  holdRules: string[];
  /** Voided by a person in the review queue (not by the rules). */
  voidedByReviewer: boolean;
};

/** The list fields of a stored charge that loadCases may answer as null (an empty aggregate). */
type NullableListField = 'diagnoses' | 'slideBarcodes' | 'modifiers' | 'diagnosisPointers' | 'holdRules';

/** Everything billing holds about one case, loaded in one query (see BillingRepository.loadCases). */
export interface LoadedCase {
  version: number;
  facts: EngineCase;
  scans: readonly ScanFacts[];
  qcResults: readonly QcFacts[];
  /** Every charge of the case, every generation and state. */
  charges: StoredCharge[];
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
  flags: CaseFlags | null;
  specimens: { specimenId: string; primaryCpt: string; units: number; modifiers: string[] | null; diagnosisPointers: number[] | null; retrievedFromStorageDate?: string | null }[];
  slides: { barcode: string; specimenId: string }[];
  scans: { scanId: string; slideBarcode: string; status: string; purpose: string; scannedAt: string; sourceEventId: string }[];
  qc: { scanId: string; passed: boolean; reasons: string[] | null; sourceEventId: string }[];
  charges: (Omit<StoredCharge, NullableListField> & { [K in NullableListField]: StoredCharge[K] | null })[];
}

const iso = (timestamp: string) => new Date(timestamp).toISOString();

/** A scan as billing's SQL reads it (facts-json.sql.ts). */
export type ScanJson = LoadedCaseRow['scans'][number];
/** A QC verdict as billing's SQL reads it (facts-json.sql.ts). */
export type QcJson = LoadedCaseRow['qc'][number];

/** A scan as the rules read it. */
export function scanFactsOf(s: ScanJson): ScanFacts {
  return {
    scanId: s.scanId,
    slideBarcode: s.slideBarcode,
    status: s.status as ScanStatus,
    purpose: s.purpose as ScanPurpose,
    ...(s.status === 'completed' ? { completedAt: iso(s.scannedAt) } : {}),
    sourceEventId: s.sourceEventId,
  };
}

/** A QC verdict as the rules read it. */
export function qcFactsOf(q: QcJson): QcFacts {
  return { scanId: q.scanId, passed: q.passed, reasons: q.reasons ?? [], sourceEventId: q.sourceEventId };
}

/** A stored charge as the rules and the drift check read it (its empty lists may come as null). */
export function storedChargeOf(c: LoadedCaseRow['charges'][number]): StoredCharge {
  return {
    ...c,
    diagnoses: c.diagnoses ?? [],
    slideBarcodes: c.slideBarcodes ?? [],
    modifiers: c.modifiers ?? [],
    diagnosisPointers: c.diagnosisPointers ?? [],
    holdRules: c.holdRules ?? [],
  };
}

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
      flags: row.flags ?? {},
      specimens: row.specimens.map((s) => ({
        specimenId: s.specimenId,
        primaryCpt: s.primaryCpt,
        units: s.units,
        ...(s.modifiers && s.modifiers.length > 0 ? { requestedModifiers: s.modifiers } : {}),
        ...(s.diagnosisPointers && s.diagnosisPointers.length > 0 ? { diagnosisPointers: s.diagnosisPointers } : {}),
        ...(s.retrievedFromStorageDate ? { retrievedFromStorageDate: s.retrievedFromStorageDate } : {}),
      })),
      slides: row.slides.map((s) => ({ barcode: s.barcode, specimenId: s.specimenId })),
    },
    scans: row.scans.map(scanFactsOf),
    qcResults: row.qc.map(qcFactsOf),
    charges: row.charges.map(storedChargeOf),
  };
}

/**
 * How the rules see a stored charge. A posted charge is on billing.charges.v1, so it has left
 * slidecharge ("sent": only a credit reverses it); a do-not-send charge never left ("posted" in the
 * rules' words: a reversal voids it); held, voided and credited mean the same on both sides.
 */
export function engineStateOf(status: StoredChargeStatus): ExistingChargeState {
  switch (status) {
    case 'posted':
      return 'sent';
    case 'do-not-send':
      return 'posted';
    case 'held':
    case 'voided':
    case 'credited':
      return status;
  }
}

export function toExistingCharge(charge: StoredCharge, accessionNumber: string): ExistingCharge {
  return {
    chargeId: charge.chargeId,
    accessionNumber,
    specimenId: charge.specimenId,
    code: charge.code,
    primaryCode: charge.primaryCode,
    units: charge.units,
    payerId: charge.payerId,
    dateOfService: charge.dateOfService,
    state: engineStateOf(charge.status),
    slideBarcodes: charge.slideBarcodes,
    // Held charges are decided again on every evaluation (and replaced when the outcome changed).
    ...(charge.status === 'held'
      ? { heldDecision: { modifiers: charge.modifiers, diagnosisPointers: charge.diagnosisPointers, holdRules: charge.holdRules } }
      : {}),
    ...(charge.status === 'voided' && charge.voidedByReviewer ? { voidedByReviewer: true } : {}),
  };
}

/** The stored state of a newly decided charge: billable ones go out at once (posted). */
export function storedStatusOf(status: ChargeStatus): 'posted' | 'held' | 'do-not-send' {
  return status === 'billable' ? 'posted' : status === 'hold' ? 'held' : 'do-not-send';
}

/** The next generation of a charge key: 1 for a new key, one more than the latest reversed charge otherwise. */
export function nextGeneration(charges: readonly StoredCharge[], chargeKey: string): number {
  return charges.filter((c) => c.chargeKey === chargeKey).reduce((max, c) => Math.max(max, c.generation), 0) + 1;
}

/** The charge.posted payload of a charge the rules decided. */
export function toCharge(
  decided: EngineCharge,
  ids: { chargeId: string; replacesChargeId?: string },
  postedAt: Date,
  release?: { by: string; justification: string; at: string },
): Charge {
  return {
    chargeId: ids.chargeId,
    chargeKey: decided.chargeKey,
    transactionType: 'CG',
    accessionNumber: decided.accessionNumber,
    specimenId: decided.specimenId,
    code: decided.code,
    primaryCode: decided.primaryCode,
    units: decided.units,
    dateOfService: decided.dateOfService,
    patientId: decided.patientId,
    payerId: decided.payerId,
    diagnoses: [...decided.diagnoses],
    slideBarcodes: [...decided.slideBarcodes],
    scanIds: [...decided.scanIds],
    causedBy: [...decided.causedBy],
    postedAt: postedAt.toISOString(),
    modifiers: [...decided.modifiers],
    diagnosisPointers: [...decided.diagnosisPointers],
    performer: { step: 'scanning', taxonomy: decided.performer.taxonomy, description: decided.performer.description },
    policyVersion: decided.policyVersion,
    payerPolicyId: decided.payerPolicyId,
    flags: [...decided.flags],
    ...(ids.replacesChargeId ? { replacesChargeId: ids.replacesChargeId } : {}),
    ...(release ? { release } : {}),
    trace: decided.trace.map((t) => ({ rule: t.rule, outcome: t.outcome, detail: t.detail })),
  };
}

/** The charge.credited payload that reverses a posted charge. */
export function toCredit(
  credit: ChargeCredit,
  original: StoredCharge,
  ids: { creditId: string },
  creditedAt: Date,
  causedBy: readonly string[],
  trace: readonly TraceLine[],
): Credit {
  return {
    creditId: ids.creditId,
    transactionType: 'CD',
    creditFor: credit.creditFor,
    chargeKey: original.chargeKey,
    accessionNumber: credit.accessionNumber,
    specimenId: credit.specimenId,
    code: credit.code,
    primaryCode: original.primaryCode,
    units: credit.units,
    dateOfService: credit.dateOfService,
    patientId: original.patientId,
    payerId: credit.payerId,
    modifiers: [...original.modifiers],
    diagnoses: [...original.diagnoses],
    reason: credit.reason,
    detail: credit.detail,
    causedBy: [...causedBy],
    creditedAt: creditedAt.toISOString(),
    trace: trace.map((t) => ({ rule: t.rule, outcome: t.outcome, detail: t.detail })),
  };
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * What changed in the case since a charge was decided, in words (empty when the charge still matches
 * the case). The rules reverse a charge for the changes that alter what is billed (cancel, specimen,
 * code, units, date, payer, slides); the caller logs what remains (a new patient id or diagnoses) for
 * the billing staff, since a sent charge is never edited.
 */
export function postedChargeChanges(charge: StoredCharge, facts: BillingCaseFacts): string[] {
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
  // An archived specimen's charge carries the date it was obtained from storage (42 CFR 414.510(b)).
  const retrieved = specimen?.retrievedFromStorageDate;
  if (charge.dateOfService !== facts.collectionDate && charge.dateOfService !== retrieved) {
    changes.push(
      retrieved === undefined
        ? `collection date ${charge.dateOfService} -> ${facts.collectionDate}`
        : `date of service ${charge.dateOfService} -> collection date ${facts.collectionDate} or retrieval from storage ${retrieved}`,
    );
  }
  if (facts.patientId !== charge.patientId) changes.push(`patient ${charge.patientId} -> ${facts.patientId}`);
  if (facts.payerId.trim().toUpperCase() !== charge.payerId.trim().toUpperCase()) changes.push(`payer ${charge.payerId} -> ${facts.payerId}`);
  if (!sameList(facts.diagnoses, charge.diagnoses)) {
    changes.push(`diagnoses ${charge.diagnoses.join(',') || '(none)'} -> ${facts.diagnoses.join(',') || '(none)'}`);
  }
  return changes;
}
