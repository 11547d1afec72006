import type { Charge, Credit } from '@slidecharge/contracts';
import { AddOnCodeRow, findAddOnCode } from './add-on-codes';
import { compareStrings, sortedUnique } from './dates';
import {
  BillingCaseFacts,
  BillingSpecimen,
  ChargeDecision,
  DigitizationChargeInput,
  QcFacts,
  ScanFacts,
  TraceLine,
  chargeKeyFor,
  evaluateDigitization,
} from './digitization-charge';
import { checkModifier, ModifierContext } from './modifiers';
import { addOnCodeTableFor, decidePayerOutcome, findPayerPolicy, PolicySet, requiresDigitalSignOut } from './payer-policy';

/** Facts about the case that change how it is billed (from the LIS). */
export interface CaseFlags {
  /** Routine service in an approved clinical research study (modifier Q1). */
  researchStudy?: boolean;
  /** The pathologist signed out the case from the digital slides. */
  digitalSignOut?: boolean;
  /** An ABN (advance beneficiary notice) is on file (modifier GA). */
  abnOnFile?: boolean;
  /** Performed in a physician's office (modifier SU). */
  physicianOffice?: boolean;
  /** The physician documented a reduced service (modifier 52). */
  reducedService?: boolean;
}

export interface EngineSpecimen extends BillingSpecimen {
  /** Modifiers requested for this specimen's digitization charge; each is checked, refused ones are reported. */
  requestedModifiers?: readonly string[];
  /** 1-based pointers into the case's diagnoses (at most 4); default: the first four. */
  diagnosisPointers?: readonly number[];
}

export interface EngineCase extends Omit<BillingCaseFacts, 'specimens'> {
  specimens: readonly EngineSpecimen[];
  flags?: CaseFlags;
}

/** posted = stored and billable, not yet sent out; sent = transmitted to the billing system. */
export type ExistingChargeState = 'posted' | 'sent' | 'held' | 'voided' | 'credited';

/** How a held charge was decided: what a re-decision is compared with. */
export interface HeldDecision {
  modifiers: readonly string[];
  diagnosisPointers: readonly number[];
  /** The rules of its hold reasons (payer-policy, unit-limit, digital-sign-out...). */
  holdRules: readonly string[];
}

/** A stored charge as the rules read it: the contract's Charge fields that identify and bill it, and its state. */
export interface ExistingCharge
  extends Pick<Charge, 'chargeId' | 'accessionNumber' | 'specimenId' | 'code' | 'primaryCode' | 'units' | 'payerId' | 'dateOfService'> {
  state: ExistingChargeState;
  slideBarcodes?: readonly string[];
  /**
   * For a held charge: how it was decided. Given, the charge is decided again on every evaluation and
   * replaced (voided, reason `redecided`) when the outcome changed, e.g. the digital sign-out arrived.
   * Absent, a held charge stands until a reversal.
   */
  heldDecision?: HeldDecision;
  /** A voided charge that a person voided (review queue): its key is not charged again while nothing billed changed. */
  voidedByReviewer?: boolean;
}

export interface EvaluateChargesInput {
  case: EngineCase;
  scans: readonly ScanFacts[];
  qcResults: readonly QcFacts[];
  policySet: PolicySet;
  /** The add-on code table; default the policy set's (the 0751T-0763T table with its addOnCodeChanges). */
  addOnCodes?: readonly AddOnCodeRow[];
  /** Every charge already stored for this case, and for the unit limit, the patient's other charges. */
  existingCharges: readonly ExistingCharge[];
}

export type ChargeStatus = 'billable' | 'hold' | 'do-not-send';

export interface HoldReason {
  rule: string;
  detail: string;
}

/**
 * A decided charge: the digitization decision, plus the contract's Charge fields that the payer,
 * modifier and pointer rules add (modifiers, diagnosisPointers, performer, policy, flags such as
 * `unknown-payer` or `unconfirmed-pairing`, the reversed charge it replaces), and what billing keeps of
 * the decision besides the Charge (its status, refused modifiers, hold reasons). Everything of a
 * Charge but its id, postedAt and release (billing adds those: see toCharge in the billing service).
 */
export interface EngineCharge
  extends ChargeDecision,
    Pick<Charge, 'modifiers' | 'diagnosisPointers' | 'performer' | 'policyVersion' | 'payerPolicyId' | 'flags' | 'replacesChargeId'> {
  status: ChargeStatus;
  refusedModifiers: { modifier: string; reason: string }[];
  holdReasons: HoldReason[];
}

export interface ChargeHold {
  chargeKey: string;
  specimenId: string;
  code: string;
  reasons: HoldReason[];
}

export type ReversalReason =
  | 'case-cancelled'
  | 'specimen-removed'
  | 'primary-code-changed'
  | 'add-on-code-changed'
  | 'units-changed'
  | 'date-of-service-changed'
  | 'slide-reassigned'
  | 'payer-changed'
  | 'redecided';

/** Reverses a sent charge (HL7 FT1-6 = CD referencing the original transaction): the contract's Credit fields the rules decide. */
export interface ChargeCredit
  extends Pick<Credit, 'creditFor' | 'accessionNumber' | 'specimenId' | 'code' | 'units' | 'payerId' | 'dateOfService' | 'detail'> {
  reason: ReversalReason;
}

/** Withdraws a charge that never left slidecharge (held or posted): its record stays, state -> voided. */
export interface ChargeVoid {
  chargeId: string;
  code: string;
  specimenId: string;
  reason: ReversalReason;
  detail: string;
}

export interface EvaluateChargesResult {
  charges: EngineCharge[];
  holds: ChargeHold[];
  credits: ChargeCredit[];
  voids: ChargeVoid[];
  /** Case-level flags, e.g. `unknown-payer`. */
  flags: string[];
  trace: TraceLine[];
}

const ACTIVE_STATES: readonly ExistingChargeState[] = ['posted', 'sent', 'held'];

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function same(a: string, b: string): boolean {
  return a.trim().toUpperCase() === b.trim().toUpperCase();
}

/**
 * The full rule set for one case: reversals of existing charges, new charges with payer outcome,
 * modifiers, diagnosis pointers, performer, unit limits and sign-out holds. Pure and deterministic.
 */
export function evaluateCharges(input: EvaluateChargesInput): EvaluateChargesResult {
  const c = input.case;
  const set = input.policySet;
  const table = input.addOnCodes ?? addOnCodeTableFor(set);
  const trace: TraceLine[] = [];
  const caseFlags: string[] = [];

  const payer = findPayerPolicy(set, c.payerId);
  trace.push({
    rule: 'payer-policy',
    outcome: payer.unknownPayer ? 'unknown-payer' : payer.policy.policyId,
    detail: payer.unknownPayer
      ? `payer ${c.payerId} has no policy; default policy used (version ${set.policyVersion})`
      : `payer ${c.payerId} -> policy ${payer.policy.policyId} (version ${set.policyVersion})`,
  });
  if (payer.unknownPayer) caseFlags.push('unknown-payer');

  const ruleInput: DigitizationChargeInput = {
    case: c,
    scans: input.scans,
    qcResults: input.qcResults,
    existingChargeKeys: [],
    policy: { requireQcPass: set.requireQcPass, billablePurposes: set.billablePurposes, addOnCodes: table },
  };
  const ownCharges = [...input.existingCharges]
    .filter((e) => e.accessionNumber === c.accessionNumber)
    .sort((a, b) => compareStrings(a.chargeId, b.chargeId));
  // What the current facts earn, ignoring what is stored: used to see whether a stored charge still
  // stands (a case without charges has none to check).
  const earnedEvaluation = ownCharges.length > 0 ? evaluateDigitization(ruleInput) : undefined;
  const earnedNow = new Map((earnedEvaluation?.charges ?? []).map((d) => [d.chargeKey, d]));

  // 1. Reversals.
  const credits: ChargeCredit[] = [];
  const voids: ChargeVoid[] = [];
  const reversedBySpecimen = new Map<string, string>();
  const standing: ExistingCharge[] = [];
  for (const e of ownCharges) {
    if (!ACTIVE_STATES.includes(e.state)) continue;
    const why = reversalFor(e, c, table, earnedNow);
    if (!why) {
      standing.push(e);
      continue;
    }
    const key = chargeKeyFor(e.accessionNumber, e.specimenId, e.code);
    reversedBySpecimen.set(e.specimenId, e.chargeId);
    if (e.state === 'sent') {
      credits.push({
        creditFor: e.chargeId,
        accessionNumber: e.accessionNumber,
        specimenId: e.specimenId,
        code: e.code,
        units: e.units,
        payerId: e.payerId,
        dateOfService: e.dateOfService,
        reason: why.reason,
        detail: why.detail,
      });
      trace.push({ rule: 'reversal', outcome: `credit:${why.reason}`, detail: `charge ${e.chargeId} (${key}) was sent: credited, never edited. ${why.detail}` });
    } else {
      voids.push({ chargeId: e.chargeId, code: e.code, specimenId: e.specimenId, reason: why.reason, detail: why.detail });
      trace.push({ rule: 'reversal', outcome: `void:${why.reason}`, detail: `charge ${e.chargeId} (${key}) was ${e.state}, not sent: voided. ${why.detail}` });
    }
  }

  // 2. New charges, with the existing rule functions. A held charge that says how it was decided is
  // decided again (below); a key a reviewer voided is not charged again while nothing billed changed.
  const keyOf = (e: ExistingCharge) => chargeKeyFor(e.accessionNumber, e.specimenId, e.code);
  const redecide = standing.filter((e) => e.state === 'held' && e.heldDecision !== undefined);
  const kept = standing.filter((e) => !redecide.includes(e));
  const settledByReviewer = ownCharges.filter((e) => {
    if (e.state !== 'voided' || e.voidedByReviewer !== true) return false;
    const newest = ownCharges.filter((o) => keyOf(o) === keyOf(e)).at(-1);
    if (newest !== e) return false;
    const earned = earnedNow.get(keyOf(e));
    return earned !== undefined && earned.units === e.units && earned.dateOfService === e.dateOfService && same(earned.payerId, e.payerId) && earned.primaryCode === e.primaryCode;
  });
  for (const e of settledByReviewer) {
    trace.push({ rule: 'no-charge', outcome: 'voided-by-reviewer', detail: `${keyOf(e)}: charge ${e.chargeId} was voided in review and nothing billed has changed since; not charged again` });
  }
  const standingKeys = [...kept, ...settledByReviewer].map(keyOf);
  const decisionInput: DigitizationChargeInput = { ...ruleInput, existingChargeKeys: standingKeys };
  // Nothing standing: the evaluation ignoring what is stored is this one.
  const { charges: decisions, noCharges } = standingKeys.length === 0 && earnedEvaluation ? earnedEvaluation : evaluateDigitization(decisionInput);
  for (const n of noCharges) {
    trace.push({ rule: 'no-charge', outcome: n.reason, detail: `specimen ${n.specimenId} (${n.primaryCode}): ${n.detail}` });
  }
  const decided = decisions.map((d) => buildCharge(d, input, payer.unknownPayer, reversedBySpecimen.get(d.specimenId) ?? redecide.find((e) => keyOf(e) === d.chargeKey)?.chargeId));

  // 3. Unit limits (MUE-like) per payer, code and date of service: an excess is held, never cut.
  applyUnitLimits(decided, input, kept);

  // 4. A held charge decided again: unchanged -> it stays (no new charge); changed -> voided and replaced.
  const charges: EngineCharge[] = [];
  for (const ch of decided) {
    const held = redecide.find((e) => keyOf(e) === ch.chargeKey);
    if (held === undefined) {
      charges.push(ch);
      continue;
    }
    const before = held.heldDecision as HeldDecision;
    const unchanged =
      ch.status === 'hold' &&
      sameList(before.modifiers, ch.modifiers) &&
      sameList(before.diagnosisPointers.map(String), ch.diagnosisPointers.map(String)) &&
      sameList(sortedUnique([...before.holdRules]), sortedUnique(ch.holdReasons.map((h) => h.rule)));
    if (unchanged) continue;
    const detail = `held charge ${held.chargeId} decided again: now ${ch.status}${ch.holdReasons.length ? ` (${ch.holdReasons.map((h) => h.rule).join(', ')})` : ''}, was held (${before.holdRules.join(', ')})`;
    voids.push({ chargeId: held.chargeId, code: held.code, specimenId: held.specimenId, reason: 'redecided', detail });
    trace.push({ rule: 'reversal', outcome: 'void:redecided', detail });
    charges.push(ch);
  }
  // A held charge whose key the facts no longer earn at all was reversed in step 1 (or stands, e.g. a
  // pending QC verdict on a new scan does not take it away).

  for (const ch of charges) {
    trace.push({ rule: 'decision', outcome: ch.status, detail: `${ch.chargeKey} x ${ch.units}${ch.modifiers.length ? `-${ch.modifiers.join('-')}` : ''}` });
  }
  const holds = charges
    .filter((ch) => ch.status === 'hold')
    .map((ch) => ({ chargeKey: ch.chargeKey, specimenId: ch.specimenId, code: ch.code, reasons: ch.holdReasons }));
  return { charges, holds, credits, voids, flags: caseFlags, trace };
}

function reversalFor(
  e: ExistingCharge,
  c: EngineCase,
  table: readonly AddOnCodeRow[],
  earnedNow: ReadonlyMap<string, ChargeDecision>,
): { reason: ReversalReason; detail: string } | undefined {
  if (c.status === 'cancelled') return { reason: 'case-cancelled', detail: `accession ${c.accessionNumber} was cancelled` };
  const specimen = c.specimens.find((s) => s.specimenId === e.specimenId);
  if (!specimen) return { reason: 'specimen-removed', detail: `specimen ${e.specimenId} is no longer on accession ${c.accessionNumber}` };
  // The date of service the facts give now (the retrieval date for an archived specimen); when the
  // specimen earns nothing now, the collection date or the retrieval date the order gives.
  const key = chargeKeyFor(e.accessionNumber, e.specimenId, e.code);
  const earnedDate = [...earnedNow.values()].find((d) => d.specimenId === e.specimenId)?.dateOfService;
  const possibleDates = earnedDate !== undefined ? [earnedDate] : [c.collectionDate, ...(specimen.retrievedFromStorageDate !== undefined ? [specimen.retrievedFromStorageDate] : [])];
  const dateNow = possibleDates.includes(e.dateOfService) ? e.dateOfService : (possibleDates[0] as string);
  if (specimen.primaryCpt !== e.primaryCode) {
    const now = findAddOnCode(table, specimen.primaryCpt, dateNow);
    return {
      reason: 'primary-code-changed',
      detail: `specimen ${e.specimenId} primary ${e.primaryCode} -> ${specimen.primaryCpt}: ${e.code} reversed${now ? `, ${now.addOnCode} decided anew` : ', no add-on code for the new primary'}`,
    };
  }
  const now = findAddOnCode(table, specimen.primaryCpt, dateNow);
  if (!now || now.addOnCode !== e.code) {
    return { reason: 'add-on-code-changed', detail: `${specimen.primaryCpt} on ${dateNow} now pairs with ${now?.addOnCode ?? 'no add-on code'}, not ${e.code}` };
  }
  if (e.dateOfService !== dateNow) {
    const what = dateNow === c.collectionDate ? 'collection date' : 'date of service (obtained from storage)';
    return { reason: 'date-of-service-changed', detail: `${what} ${e.dateOfService} -> ${dateNow}` };
  }
  if (specimen.units !== e.units) {
    return { reason: 'units-changed', detail: `${specimen.primaryCpt} units ${e.units} -> ${specimen.units}` };
  }
  if (!same(e.payerId, c.payerId)) {
    return { reason: 'payer-changed', detail: `payer ${e.payerId} -> ${c.payerId}: decided anew under the new payer's policy` };
  }
  if (!earnedNow.has(key)) {
    const onCase = new Set(c.slides.filter((s) => s.specimenId === e.specimenId).map((s) => s.barcode));
    const gone = (e.slideBarcodes ?? []).filter((b) => !onCase.has(b));
    if (gone.length > 0) {
      return {
        reason: 'slide-reassigned',
        detail: `slide(s) ${sortedUnique(gone).join(', ')} no longer belong to specimen ${e.specimenId} of ${c.accessionNumber}, and no other digitized slide of the specimen earns ${e.code}`,
      };
    }
  }
  return undefined;
}

function defaultPointers(count: number): number[] {
  return Array.from({ length: Math.min(4, count) }, (_, i) => i + 1);
}

/**
 * Whether the charge's slides were scanned before without success (a scan that failed, or that QC
 * failed, other than the scans billed): what modifier checks call a rescan. Sets, not list searches:
 * a case of 2,000 slides has 2,000 scans to look at per charge.
 */
function isRescanOf(d: ChargeDecision, scans: readonly ScanFacts[], qcResults: readonly QcFacts[]): boolean {
  const slides = new Set(d.slideBarcodes);
  const billed = new Set(d.scanIds);
  const failedQc = new Set(qcResults.filter((q) => !q.passed).map((q) => q.scanId));
  return scans.some((s) => slides.has(s.slideBarcode) && !billed.has(s.scanId) && (s.status === 'failed' || failedQc.has(s.scanId)));
}

function buildCharge(d: ChargeDecision, input: EvaluateChargesInput, unknownPayer: boolean, replacesChargeId: string | undefined): EngineCharge {
  const c = input.case;
  const set = input.policySet;
  const flags = c.flags ?? {};
  const specimen = c.specimens.find((s) => s.specimenId === d.specimenId) as EngineSpecimen;
  const trace: TraceLine[] = [...d.trace];
  const holdReasons: HoldReason[] = [];
  const chargeFlags: string[] = [];
  const hold = (rule: string, detail: string): void => {
    holdReasons.push({ rule, detail });
    trace.push({ rule, outcome: 'hold', detail });
  };
  let doNotSend: string | undefined;

  if (d.dateOfServiceHold !== undefined) hold('date-of-service', d.dateOfServiceHold);
  if (unknownPayer) chargeFlags.push('unknown-payer');
  if (d.trace.some((t) => t.rule === 'add-on-pairing' && t.outcome === 'matched-unconfirmed')) chargeFlags.push('unconfirmed-pairing');

  // Payer policy.
  const pd = decidePayerOutcome(set, c.payerId, d.code, d.dateOfService);
  trace.push({
    rule: 'payer-policy',
    outcome: pd.outcome.kind === 'bill-with-modifier' ? `bill-with-modifier:${pd.outcome.modifier}` : pd.outcome.kind,
    detail: `policy ${pd.policyId} v${pd.policyVersion}, rule from ${pd.ruleFrom}${pd.rule ? ` (${pd.rule.source}${pd.rule.note ? `; ${pd.rule.note}` : ''})` : ''}${
      unknownPayer ? `; payer ${c.payerId} unknown, default policy used` : ''
    }`,
  });

  // Requested modifiers, each checked against its meaning.
  const isRescan = isRescanOf(d, input.scans, input.qcResults);
  const ctx: ModifierContext = {
    code: d.code,
    isAddOn: true,
    technicalOnly: true,
    isRescan,
    researchStudy: flags.researchStudy === true,
    surgicalPathology: d.primaryCode.startsWith('883'),
    physicianOffice: flags.physicianOffice === true,
    abnOnFile: flags.abnOnFile === true,
    reducedService: flags.reducedService === true,
  };
  const modifiers: string[] = [];
  const refusedModifiers: { modifier: string; reason: string }[] = [];
  for (const requested of specimen.requestedModifiers ?? []) {
    const check = checkModifier(requested, ctx);
    if (check.accepted) {
      if (!modifiers.includes(check.modifier)) modifiers.push(check.modifier);
      trace.push({ rule: 'modifier', outcome: `accepted:${check.modifier}`, detail: check.meaning });
    } else {
      refusedModifiers.push({ modifier: check.modifier, reason: check.reason });
      trace.push({ rule: 'modifier', outcome: `refused:${check.modifier}`, detail: `${check.reason}; not reported on the charge` });
    }
  }

  switch (pd.outcome.kind) {
    case 'bill':
      break;
    case 'bill-with-modifier': {
      const check = checkModifier(pd.outcome.modifier, ctx);
      if (check.accepted) {
        if (!modifiers.includes(check.modifier)) modifiers.push(check.modifier);
      } else hold('payer-modifier', `payer policy ${pd.policyId} asks for ${pd.outcome.modifier} but ${check.reason}`);
      break;
    }
    case 'hold':
      hold('payer-policy', pd.outcome.reason);
      break;
    case 'do-not-send':
      doNotSend = pd.outcome.reason;
      trace.push({ rule: 'payer-policy', outcome: 'do-not-send', detail: pd.outcome.reason });
      break;
  }

  // Digital sign-out.
  const payerPolicy = findPayerPolicy(set, c.payerId).policy;
  if (requiresDigitalSignOut(set, payerPolicy)) {
    if (flags.digitalSignOut === true) trace.push({ rule: 'digital-sign-out', outcome: 'reported', detail: 'case signed out digitally' });
    else hold('digital-sign-out', 'policy requires a digital sign-out and the LIS has not reported one for this case');
  }

  // Diagnosis pointers.
  const pointers = specimen.diagnosisPointers ? [...specimen.diagnosisPointers] : defaultPointers(c.diagnoses.length);
  const badPointer = pointers.find((p) => !Number.isInteger(p) || p < 1 || p > c.diagnoses.length);
  if (c.diagnoses.length === 0) hold('diagnosis-pointers', 'the case has no ICD-10-CM diagnosis to point to');
  else if (pointers.length === 0) hold('diagnosis-pointers', 'no diagnosis pointer for this specimen');
  else if (pointers.length > 4) hold('diagnosis-pointers', `${pointers.length} diagnosis pointers; a charge line carries at most 4`);
  else if (badPointer !== undefined) hold('diagnosis-pointers', `pointer ${badPointer} does not point into the case's ${c.diagnoses.length} diagnoses`);
  else if (new Set(pointers).size !== pointers.length) hold('diagnosis-pointers', `pointers ${pointers.join(', ')} repeat a diagnosis`);
  const pointerOk = holdReasons.every((h) => h.rule !== 'diagnosis-pointers');
  const diagnoses = pointerOk ? pointers.map((p) => c.diagnoses[p - 1]) : [];
  if (pointerOk) trace.push({ rule: 'diagnosis-pointers', outcome: pointers.join(','), detail: diagnoses.join(', ') });

  trace.push({ rule: 'performer', outcome: set.performer.taxonomy, detail: `scanning step: ${set.performer.description}` });

  const status: ChargeStatus = doNotSend !== undefined ? 'do-not-send' : holdReasons.length > 0 ? 'hold' : 'billable';
  const charge: EngineCharge = {
    ...d,
    // The pointed-to codes, not every diagnosis of the case.
    diagnoses,
    status,
    modifiers,
    refusedModifiers,
    diagnosisPointers: pointerOk ? pointers : [],
    performer: { step: 'scanning', taxonomy: set.performer.taxonomy, description: set.performer.description },
    policyVersion: pd.policyVersion,
    payerPolicyId: pd.policyId,
    holdReasons,
    flags: chargeFlags,
    trace,
  };
  if (replacesChargeId !== undefined) charge.replacesChargeId = replacesChargeId;
  return charge;
}

function applyUnitLimits(charges: EngineCharge[], input: EvaluateChargesInput, standing: readonly ExistingCharge[]): void {
  const c = input.case;
  const used = new Map<string, number>();
  const keyOf = (code: string, dos: string): string => `${code}@${dos}`;
  // Units already charged for the patient on that date: the case's standing charges and the patient's
  // charges on other accessions (the caller passes those it knows of).
  const others = input.existingCharges.filter((e) => e.accessionNumber !== c.accessionNumber && ACTIVE_STATES.includes(e.state));
  for (const e of [...standing, ...others]) {
    if (!same(e.payerId, c.payerId)) continue;
    used.set(keyOf(e.code, e.dateOfService), (used.get(keyOf(e.code, e.dateOfService)) ?? 0) + e.units);
  }
  for (const ch of charges) {
    if (ch.status === 'do-not-send') continue;
    const pd = decidePayerOutcome(input.policySet, c.payerId, ch.code, ch.dateOfService);
    const k = keyOf(ch.code, ch.dateOfService);
    const before = used.get(k) ?? 0;
    used.set(k, before + ch.units);
    if (!pd.unitLimit) continue;
    const max = pd.unitLimit.maxUnitsPerDateOfService;
    if (before + ch.units > max) {
      const detail = `${ch.code}: ${before + ch.units} units on ${ch.dateOfService} exceed the ${pd.unitLimitFrom} limit of ${max} per date of service (${pd.unitLimit.source}${
        pd.unitLimit.note ? `; ${pd.unitLimit.note}` : ''
      }); held for review, not cut`;
      ch.holdReasons.push({ rule: 'unit-limit', detail });
      ch.trace.push({ rule: 'unit-limit', outcome: 'hold', detail });
      ch.status = 'hold';
    } else {
      ch.trace.push({ rule: 'unit-limit', outcome: 'within', detail: `${before + ch.units} of ${max} units of ${ch.code} on ${ch.dateOfService}` });
    }
  }
}
