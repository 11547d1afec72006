import type { Charge } from '@slidecharge/contracts';
import { AddOnCodeRow, DIGITIZATION_ADD_ON_CODES, findAddOnCode } from './add-on-codes';
import { compareStrings, sortedUnique } from './dates';
import { DateOfServiceBasis, decideDateOfService } from './date-of-service';

export type CaseStatus = 'active' | 'cancelled';
export type ScanStatus = 'started' | 'completed' | 'failed';
export type ScanPurpose = 'diagnostic' | 'consult' | 'archive' | 'education' | 'conference';

export interface BillingSpecimen {
  specimenId: string;
  primaryCpt: string;
  units: number;
  /** When the specimen was obtained from storage for this service (`YYYY-MM-DD`), if it was stored. */
  retrievedFromStorageDate?: string;
}

export interface BillingSlide {
  barcode: string;
  specimenId: string;
}

/** What the LIS told us about one accession (case). */
export interface BillingCaseFacts {
  accessionNumber: string;
  status: CaseStatus;
  patientId: string;
  payerId: string;
  /** Specimen collection date, `YYYY-MM-DD`: the date of service of the technical component. */
  collectionDate: string;
  /** ICD-10-CM codes, in diagnosis-pointer order. */
  diagnoses: readonly string[];
  specimens: readonly BillingSpecimen[];
  slides: readonly BillingSlide[];
}

/** One scan attempt of one slide, as last reported by the scanner middleware. */
export interface ScanFacts {
  scanId: string;
  slideBarcode: string;
  status: ScanStatus;
  purpose: ScanPurpose;
  completedAt?: string;
  sourceEventId: string;
}

/** One QC verdict on one scan. */
export interface QcFacts {
  scanId: string;
  passed: boolean;
  reasons: readonly string[];
  sourceEventId: string;
}

export interface DigitizationPolicy {
  requireQcPass: boolean;
  billablePurposes: readonly ScanPurpose[];
  addOnCodes: readonly AddOnCodeRow[];
}

export interface DigitizationChargeInput {
  case: BillingCaseFacts;
  scans: readonly ScanFacts[];
  qcResults: readonly QcFacts[];
  /** chargeKey of every digitization charge already stored for this accession. */
  existingChargeKeys: readonly string[];
  policy: DigitizationPolicy;
}

/** One step of the reasoning behind a decision, for the audit trail and for ops (the contract's trace line). */
export type TraceLine = Charge['trace'][number];

/** The contract's Charge fields that the digitization rule decides. */
export type DecidedChargeField =
  | 'chargeKey'
  | 'accessionNumber'
  | 'specimenId'
  | 'code'
  | 'primaryCode'
  | 'units'
  | 'dateOfService'
  | 'patientId'
  | 'payerId'
  | 'diagnoses'
  | 'slideBarcodes'
  | 'scanIds'
  | 'causedBy'
  | 'trace';

/**
 * What the digitization rule decides of a charge: the contract's Charge fields it fills (see
 * libs/contracts charge-events.ts for what each means: one charge per chargeKey and generation, the
 * units one-to-one with the primary code's, the date of service the collection date or, for an archived
 * specimen, the date it was obtained from storage), and how the date of service was decided.
 */
export interface ChargeDecision extends Pick<Charge, DecidedChargeField> {
  dateOfServiceBasis: DateOfServiceBasis;
  /** Set when the date of service cannot be trusted (e.g. archived, retrieval date unknown): the charge is held with this reason. */
  dateOfServiceHold?: string;
}

export type NoChargeReason =
  | 'case-cancelled'
  | 'invalid-date-of-service'
  | 'no-add-on-code'
  | 'invalid-units'
  | 'already-charged'
  | 'no-slides'
  | 'no-completed-scan'
  | 'purpose-not-billable'
  | 'qc-failed'
  | 'qc-pending';

export interface NoChargeExplanation {
  accessionNumber: string;
  specimenId: string;
  primaryCode: string;
  reason: NoChargeReason;
  detail: string;
  /** The add-on code the specimen would carry, when one is in force. */
  code?: string;
  chargeKey?: string;
  trace: TraceLine[];
}

/** requireQcPass, diagnostic and consult scans only, and the 0751T-0763T table. */
export const DEFAULT_DIGITIZATION_POLICY: DigitizationPolicy = Object.freeze({
  requireQcPass: true,
  billablePurposes: Object.freeze(['diagnostic', 'consult'] as ScanPurpose[]),
  addOnCodes: DIGITIZATION_ADD_ON_CODES,
});

export function chargeKeyFor(accessionNumber: string, specimenId: string, code: string): string {
  return `${accessionNumber}/${specimenId}/${code}`;
}

/** Every charge the case's scans earn now: one per specimen, sorted by specimenId. */
export function decideDigitizationCharges(input: DigitizationChargeInput): ChargeDecision[] {
  return evaluateDigitization(input).charges;
}

/** Both answers of one evaluation of the case: the charges (decideDigitizationCharges) and why the other specimens earn none (explainNoCharge). */
export function evaluateDigitization(input: DigitizationChargeInput): { charges: ChargeDecision[]; noCharges: NoChargeExplanation[] } {
  const outcomes = evaluateCase(input);
  return {
    charges: outcomes.flatMap((o) => (o.kind === 'charge' ? [o.decision] : [])),
    noCharges: outcomes.flatMap((o) => (o.kind === 'no-charge' ? [o.explanation] : [])),
  };
}

/** Why each specimen that earns no charge earns none, sorted by specimenId. */
export function explainNoCharge(input: DigitizationChargeInput): NoChargeExplanation[] {
  return evaluateCase(input).flatMap((o) => (o.kind === 'no-charge' ? [o.explanation] : []));
}

// ---------------------------------------------------------------------------------------------

type SpecimenOutcome =
  | { kind: 'charge'; decision: ChargeDecision }
  | { kind: 'no-charge'; explanation: NoChargeExplanation };

type ScanVerdict =
  | { qualifies: true; scan: ScanFacts; qc: QcFacts[] }
  | { qualifies: false; scan: ScanFacts; blockedBy: 'no-completed-scan' | 'purpose-not-billable' | 'qc-failed' | 'qc-pending'; why: string };

/** How far a non-qualifying scan got: the furthest one names the specimen's reason. */
const BLOCK_RANK: Record<Exclude<ScanVerdict, { qualifies: true }>['blockedBy'], number> = {
  'no-completed-scan': 0,
  'purpose-not-billable': 1,
  'qc-pending': 2,
  'qc-failed': 3,
};

/**
 * What every specimen's evaluation looks up, built once per case: who owns each barcode, the QC
 * verdicts and the scans of each slide, and each scan's verdict under the policy (judged once).
 */
interface CaseIndex {
  ownersByBarcode: ReadonlyMap<string, ReadonlySet<string>>;
  scansBySlide: ReadonlyMap<string, readonly ScanFacts[]>;
  verdictOf(scan: ScanFacts): ScanVerdict;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function indexCase(input: DigitizationChargeInput): CaseIndex {
  // A barcode must belong to exactly one specimen of this case; a barcode listed under two
  // specimens is a data error and earns nothing for either.
  const ownersByBarcode = new Map<string, Set<string>>();
  for (const slide of input.case.slides) {
    const owners = ownersByBarcode.get(slide.barcode) ?? new Set<string>();
    owners.add(slide.specimenId);
    ownersByBarcode.set(slide.barcode, owners);
  }
  const qcByScan = groupBy(input.qcResults, (qc) => qc.scanId);
  const verdicts = new Map<ScanFacts, ScanVerdict>();
  return {
    ownersByBarcode,
    scansBySlide: groupBy(input.scans, (scan) => scan.slideBarcode),
    verdictOf(scan) {
      let verdict = verdicts.get(scan);
      if (!verdict) verdicts.set(scan, (verdict = judgeScan(scan, input.policy, qcByScan.get(scan.scanId) ?? [])));
      return verdict;
    },
  };
}

function evaluateCase(input: DigitizationChargeInput): SpecimenOutcome[] {
  const specimens = [...input.case.specimens].sort((a, b) => compareStrings(a.specimenId, b.specimenId));
  const index = indexCase(input);
  const existing = new Set(input.existingChargeKeys);
  const decidedHere = new Set<string>();

  return specimens.map((specimen) => {
    const outcome = evaluateSpecimen(input, specimen, index, existing, decidedHere);
    if (outcome.kind === 'charge') decidedHere.add(outcome.decision.chargeKey);
    return outcome;
  });
}

/** The scans of these slides, in scanId then sourceEventId order. */
function scansOfSlides(index: CaseIndex, barcodes: Iterable<string>): ScanFacts[] {
  const scans: ScanFacts[] = [];
  for (const barcode of barcodes) scans.push(...(index.scansBySlide.get(barcode) ?? []));
  return scans.sort((a, b) => compareStrings(a.scanId, b.scanId) || compareStrings(a.sourceEventId, b.sourceEventId));
}

function evaluateSpecimen(
  input: DigitizationChargeInput,
  specimen: BillingSpecimen,
  index: CaseIndex,
  existing: ReadonlySet<string>,
  decidedHere: ReadonlySet<string>,
): SpecimenOutcome {
  const facts = input.case;
  const policy = input.policy;
  const trace: TraceLine[] = [];
  const noCharge = (reason: NoChargeReason, detail: string, extra: { code?: string; chargeKey?: string } = {}): SpecimenOutcome => {
    trace.push({ rule: 'decision', outcome: 'no-charge', detail: `${reason}: ${detail}` });
    return {
      kind: 'no-charge',
      explanation: {
        accessionNumber: facts.accessionNumber,
        specimenId: specimen.specimenId,
        primaryCode: specimen.primaryCpt,
        reason,
        detail,
        ...extra,
        trace,
      },
    };
  };

  // 1. Case status.
  if (facts.status !== 'active') {
    trace.push({ rule: 'case-status', outcome: facts.status, detail: `accession ${facts.accessionNumber} is ${facts.status}` });
    return noCharge('case-cancelled', `accession ${facts.accessionNumber} is cancelled; nothing is charged`);
  }
  trace.push({ rule: 'case-status', outcome: 'active', detail: `accession ${facts.accessionNumber} is active` });

  // 2. Date of service: collection date, or for an archived specimen the retrieval date (42 CFR 414.510).
  const dos = decideDateOfService({
    collectionDate: facts.collectionDate,
    ...(specimen.retrievedFromStorageDate !== undefined ? { retrievedFromStorageDate: specimen.retrievedFromStorageDate } : {}),
    ...serviceDateOf(input, specimen, index),
  });
  if (dos.kind === 'invalid') {
    trace.push({ rule: 'date-of-service', outcome: 'invalid', detail: dos.detail });
    return noCharge('invalid-date-of-service', dos.detail);
  }
  const dateOfService = dos.dateOfService;
  const dateOfServiceBasis: DateOfServiceBasis = dos.kind === 'decided' ? dos.basis : 'collection-date';
  trace.push({ rule: 'date-of-service', outcome: dos.kind === 'decided' ? dos.basis : `hold:${dos.problem}`, detail: dos.detail });

  // 3. Add-on pairing in force on the date of service.
  const addOn = findAddOnCode(policy.addOnCodes, specimen.primaryCpt, dateOfService);
  if (!addOn) {
    const anyPairing = policy.addOnCodes.filter((r) => r.primaryCode === specimen.primaryCpt);
    const detail =
      anyPairing.length === 0
        ? `primary code ${specimen.primaryCpt} has no digitization add-on code`
        : `no add-on code for ${specimen.primaryCpt} in force on ${dateOfService} (${anyPairing
            .map((r) => `${r.addOnCode} ${r.effectiveFrom}..${r.effectiveTo ?? 'open'}`)
            .join(', ')})`;
    trace.push({ rule: 'add-on-pairing', outcome: 'none', detail });
    return noCharge('no-add-on-code', detail);
  }
  const code = addOn.addOnCode;
  const chargeKey = chargeKeyFor(facts.accessionNumber, specimen.specimenId, code);
  trace.push({
    rule: 'add-on-pairing',
    outcome: addOn.confirmed ? 'matched' : 'matched-unconfirmed',
    detail: `${specimen.primaryCpt} -> ${code} (${addOn.source})`,
  });

  // 4. Units: one-to-one with the primary code's units.
  if (!Number.isInteger(specimen.units) || specimen.units < 1) {
    trace.push({ rule: 'units', outcome: 'invalid', detail: `primary ${specimen.primaryCpt} units ${specimen.units} is not a whole number >= 1` });
    return noCharge('invalid-units', `primary ${specimen.primaryCpt} units ${specimen.units} is not a whole number >= 1`, { code, chargeKey });
  }

  // 5. Already charged: a rescan or a repeated event never adds a charge.
  if (existing.has(chargeKey) || decidedHere.has(chargeKey)) {
    const detail = existing.has(chargeKey)
      ? `${chargeKey} is already stored`
      : `${chargeKey} already decided for an earlier specimen with the same id in these facts`;
    trace.push({ rule: 'duplicate-check', outcome: 'already-charged', detail });
    return noCharge('already-charged', detail, { code, chargeKey });
  }
  trace.push({ rule: 'duplicate-check', outcome: 'new', detail: `${chargeKey} not charged yet` });

  // 6. The specimen's own slides.
  const ownSlides: string[] = [];
  for (const slide of input.case.slides) {
    if (slide.specimenId !== specimen.specimenId) continue;
    const owners = index.ownersByBarcode.get(slide.barcode);
    if (owners && owners.size > 1) {
      trace.push({
        rule: 'slide-ownership',
        outcome: 'ambiguous',
        detail: `slide ${slide.barcode} is listed under specimens ${sortedUnique([...owners]).join(', ')}; ignored`,
      });
      continue;
    }
    ownSlides.push(slide.barcode);
  }
  const slideSet = new Set(ownSlides);
  if (slideSet.size === 0) {
    return noCharge('no-slides', `specimen ${specimen.specimenId} has no slide that belongs to it alone`, { code, chargeKey });
  }

  // 7. Scans of those slides: completed, billable purpose, QC pass when required.
  const verdicts = scansOfSlides(index, slideSet).map((scan) => index.verdictOf(scan));
  for (const v of verdicts) {
    trace.push({
      rule: 'scan',
      outcome: v.qualifies ? 'qualifies' : v.blockedBy,
      detail: v.qualifies
        ? `scan ${v.scan.scanId} of slide ${v.scan.slideBarcode}: completed, purpose ${v.scan.purpose}${
            policy.requireQcPass ? ', QC passed' : ', QC not required'
          }`
        : `scan ${v.scan.scanId} of slide ${v.scan.slideBarcode}: ${v.why}`,
    });
  }

  const qualifying = verdicts.filter((v): v is Extract<ScanVerdict, { qualifies: true }> => v.qualifies);
  if (qualifying.length === 0) {
    const blocked = verdicts.filter((v): v is Extract<ScanVerdict, { qualifies: false }> => !v.qualifies);
    if (blocked.length === 0) {
      return noCharge('no-completed-scan', `no scan reported for slides ${sortedUnique(ownSlides).join(', ')}`, { code, chargeKey });
    }
    const furthest = blocked.reduce((best, v) => (BLOCK_RANK[v.blockedBy] > BLOCK_RANK[best.blockedBy] ? v : best));
    const detail = blocked
      .filter((v) => v.blockedBy === furthest.blockedBy)
      .map((v) => `scan ${v.scan.scanId}: ${v.why}`)
      .join('; ');
    return noCharge(furthest.blockedBy, detail, { code, chargeKey });
  }

  trace.push({
    rule: 'units',
    outcome: String(specimen.units),
    detail: `one-to-one with primary units (${specimen.primaryCpt} x ${specimen.units} -> ${code} x ${specimen.units}), not per slide or scan`,
  });
  trace.push({ rule: 'decision', outcome: 'charge', detail: `${chargeKey} x ${specimen.units} on ${dateOfService}` });

  return {
    kind: 'charge',
    decision: {
      chargeKey,
      accessionNumber: facts.accessionNumber,
      specimenId: specimen.specimenId,
      code,
      primaryCode: specimen.primaryCpt,
      units: specimen.units,
      dateOfService,
      dateOfServiceBasis,
      ...(dos.kind === 'hold' ? { dateOfServiceHold: dos.detail } : {}),
      patientId: facts.patientId,
      payerId: facts.payerId,
      diagnoses: [...facts.diagnoses],
      slideBarcodes: sortedUnique(qualifying.map((v) => v.scan.slideBarcode)),
      scanIds: sortedUnique(qualifying.map((v) => v.scan.scanId)),
      causedBy: sortedUnique(qualifying.flatMap((v) => [v.scan.sourceEventId, ...v.qc.map((q) => q.sourceEventId)])),
      trace,
    },
  };
}

/**
 * The day the specimen was digitized: the earliest completion (UTC day) of a scan of its own slides
 * that qualifies for a charge. None known yet: no service date (the rule keeps the collection date).
 */
function serviceDateOf(input: DigitizationChargeInput, specimen: BillingSpecimen, index: CaseIndex): { serviceDate?: string } {
  const own = new Set(
    input.case.slides.filter((s) => s.specimenId === specimen.specimenId && (index.ownersByBarcode.get(s.barcode)?.size ?? 0) === 1).map((s) => s.barcode),
  );
  // The earliest instant has the earliest UTC day: only that one is turned into a date.
  let earliest: number | undefined;
  for (const barcode of own) {
    for (const scan of index.scansBySlide.get(barcode) ?? []) {
      const completed = scan.completedAt === undefined ? Number.NaN : Date.parse(scan.completedAt);
      if (Number.isNaN(completed) || !index.verdictOf(scan).qualifies) continue;
      if (earliest === undefined || completed < earliest) earliest = completed;
    }
  }
  return earliest !== undefined ? { serviceDate: new Date(earliest).toISOString().slice(0, 10) } : {};
}

/**
 * A scan qualifies when it completed, for a billable purpose, and (when the policy requires it) QC
 * passed it. With several QC verdicts on the same scan, any failure wins: a rejected image is
 * rescanned under a new scan id, so a pass never overrides a rejection of the same scan.
 */
function judgeScan(scan: ScanFacts, policy: DigitizationPolicy, qc: readonly QcFacts[]): ScanVerdict {
  if (scan.status !== 'completed') {
    return { qualifies: false, scan, blockedBy: 'no-completed-scan', why: `scan ${scan.status}, not completed` };
  }
  if (!policy.billablePurposes.includes(scan.purpose)) {
    return {
      qualifies: false,
      scan,
      blockedBy: 'purpose-not-billable',
      why: `purpose ${scan.purpose} is not billable (billable: ${policy.billablePurposes.join(', ') || 'none'})`,
    };
  }
  if (!policy.requireQcPass) return { qualifies: true, scan, qc: [] };

  const sorted = [...qc].sort((a, b) => compareStrings(a.sourceEventId, b.sourceEventId));
  if (sorted.length === 0) {
    return { qualifies: false, scan, blockedBy: 'qc-pending', why: 'completed, waiting for a QC result' };
  }
  const failures = sorted.filter((q) => !q.passed);
  if (failures.length > 0) {
    const reasons = sortedUnique(failures.flatMap((q) => q.reasons));
    return {
      qualifies: false,
      scan,
      blockedBy: 'qc-failed',
      why: `QC failed${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`,
    };
  }
  return { qualifies: true, scan, qc: sorted };
}
