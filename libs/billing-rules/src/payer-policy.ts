import { AddOnCodeRow, DIGITIZATION_ADD_ON_CODES, validateAddOnCodeTable } from './add-on-codes';
import { compareStrings, isIsoDate } from './dates';
import type { ScanPurpose } from './digitization-charge';

/**
 * Payer policies: per payer and per add-on code, what to do with a digitization charge.
 * Versioned, validated data (an administrator changes it without a deploy); every charge the engine
 * decides records the `policyVersion` it was decided under.
 */

export type PayerModifier = 'GA' | 'GY' | 'GZ';
export const PAYER_MODIFIERS: readonly PayerModifier[] = Object.freeze(['GA', 'GY', 'GZ'] as PayerModifier[]);

export type PayerOutcome =
  | { kind: 'bill' }
  | { kind: 'bill-with-modifier'; modifier: PayerModifier }
  | { kind: 'hold'; reason: string }
  | { kind: 'do-not-send'; reason: string };

export type PayerOutcomeKind = PayerOutcome['kind'];

/** One payer's rule for one add-on code (or `*`: every digitization add-on code). */
export interface PayerCodeRule {
  code: string;
  outcome: PayerOutcome;
  /** Inclusive dates of service (`YYYY-MM-DD`); no `effectiveTo` = open-ended. */
  effectiveFrom: string;
  effectiveTo?: string;
  source: string;
  /** Set when the outcome is a judgement call rather than a published rule. */
  note?: string;
}

/** MUE-like limit: units of `code` (or `*`) per patient and date of service for this payer. */
export interface UnitLimit {
  code: string;
  maxUnitsPerDateOfService: number;
  effectiveFrom: string;
  effectiveTo?: string;
  source: string;
  note?: string;
}

export interface PayerPolicy {
  /** Policy id, e.g. `medicare`; exactly one policy is `default`. */
  policyId: string;
  name: string;
  /** Payer ids as the LIS sends them (IN1), matched case-insensitively. */
  payerIds: readonly string[];
  rules: readonly PayerCodeRule[];
  unitLimits: readonly UnitLimit[];
  /** Overrides the policy set's `requireDigitalSignOut` for this payer. */
  requireDigitalSignOut?: boolean;
  note?: string;
}

export interface PerformerTaxonomy {
  step: 'scanning';
  taxonomy: string;
  description: string;
  source: string;
  note?: string;
}

/** A sunset of a built-in add-on code: the last date of service it may be reported for. */
export interface AddOnCodeRetirement {
  addOnCode: string;
  effectiveTo: string;
  source: string;
}

/**
 * Changes to the built-in add-on code table (0751T-0763T): new pairings (such as the 0827T-0856T
 * family) and sunsets, so that either is a data change made through a new policy set version.
 */
export interface AddOnCodeChanges {
  add?: readonly AddOnCodeRow[];
  retire?: readonly AddOnCodeRetirement[];
}

export interface PolicySet {
  policyVersion: string;
  /** Applied to the built-in add-on code table (see addOnCodeTableFor). */
  addOnCodeChanges?: AddOnCodeChanges;
  requireQcPass: boolean;
  billablePurposes: readonly ScanPurpose[];
  /** Hold every charge until the LIS reports digital sign-out of the case. */
  requireDigitalSignOut: boolean;
  /** NUCC taxonomy of the staff performing the scanning step (the charge's performer). */
  performer: PerformerTaxonomy;
  payers: readonly PayerPolicy[];
}

const ALL = '*';
const FROM_2023 = '2023-01-01';

function rule(code: string, outcome: PayerOutcome, source: string, note?: string): PayerCodeRule {
  return note === undefined ? { code, outcome, effectiveFrom: FROM_2023, source } : { code, outcome, effectiveFrom: FROM_2023, source, note };
}

/**
 * The default policy set (DOMAIN.md "Payers"). Judgement calls carry a `note` starting "JUDGEMENT".
 */
export const DEFAULT_POLICY_SET: PolicySet = Object.freeze({
  policyVersion: '2025.1',
  requireQcPass: true,
  billablePurposes: Object.freeze(['diagnostic', 'consult'] as ScanPurpose[]),
  requireDigitalSignOut: false,
  performer: {
    step: 'scanning',
    taxonomy: '246QH0600X',
    description: 'Specialist/Technologist, Pathology - Histology',
    source: 'NUCC Health Care Provider Taxonomy',
    note:
      'JUDGEMENT: DOMAIN.md names 390200000X for histotechnology, but in the NUCC code set 390200000X is ' +
      '"Student in an Organized Health Care Education/Training Program"; 246QH0600X is Histology ' +
      'Specialist/Technologist (246RH0600X for a Histology Technician). Configurable.',
  },
  payers: Object.freeze([
    {
      policyId: 'default',
      name: 'Any payer without a policy of its own',
      payerIds: [],
      rules: [
        rule(ALL, { kind: 'bill' }, 'DOMAIN.md: labs report Category III codes for utilization data', 'JUDGEMENT: bill when no payer policy says otherwise'),
      ],
      unitLimits: [],
    },
    {
      policyId: 'medicare',
      name: 'Medicare (Part B, MACs)',
      payerIds: ['MEDICARE', 'CMS', 'NOVITAS', 'FIRST-COAST'],
      rules: [
        rule(
          ALL,
          { kind: 'hold', reason: 'Medicare: no national rate; some MACs (Novitas, First Coast) require a justification that digitization was reasonable and necessary' },
          'DOMAIN.md (Novitas, First Coast)',
          'JUDGEMENT: hold every Medicare digitization charge for review rather than per MAC; release with justification, or GA when an ABN is on file',
        ),
      ],
      unitLimits: [
        {
          code: ALL,
          maxUnitsPerDateOfService: 1,
          effectiveFrom: FROM_2023,
          source: 'NCCI MUE as reported by some sources',
          note: 'UNCONFIRMED: MUE of 1 per date of service; an excess is held for review, never cut',
        },
      ],
    },
    {
      policyId: 'aetna',
      name: 'Aetna',
      payerIds: ['AETNA'],
      rules: [],
      unitLimits: [],
      note: 'No Aetna policy found (DOMAIN.md): no rules of its own, the default policy applies',
    },
    {
      policyId: 'bcbs',
      name: 'Blue Cross Blue Shield plans',
      payerIds: ['BCBS', 'BCBS-AR', 'ANTHEM'],
      rules: [
        rule(
          ALL,
          { kind: 'hold', reason: 'BCBS: Category III codes not covered by default (e.g. Arkansas BCBS policy 2022013); plans differ, review before sending' },
          'Arkansas BCBS 2022013',
          'JUDGEMENT: plans differ by state, so hold rather than assume one plan\'s modifier practice',
        ),
      ],
      unitLimits: [],
    },
    {
      policyId: 'cigna',
      name: 'Cigna',
      payerIds: ['CIGNA'],
      rules: [
        rule(ALL, { kind: 'bill-with-modifier', modifier: 'GY' }, 'Cigna policy 0558', 'JUDGEMENT: not covered; reported with GY (non-covered) for utilization data'),
      ],
      unitLimits: [],
    },
    {
      policyId: 'uhc',
      name: 'UnitedHealthcare (incl. Medicare Advantage)',
      payerIds: ['UHC', 'UNITEDHEALTHCARE', 'UHC-MA'],
      rules: [
        rule(ALL, { kind: 'bill-with-modifier', modifier: 'GY' }, 'UnitedHealthcare MA policy MPG043', 'JUDGEMENT: not covered; reported with GY (non-covered) for utilization data'),
      ],
      unitLimits: [],
    },
  ] as PayerPolicy[]),
}) as PolicySet;

// ---------------------------------------------------------------------------------------------

function inForce(r: { effectiveFrom: string; effectiveTo?: string }, dateOfService: string): boolean {
  return dateOfService >= r.effectiveFrom && (r.effectiveTo === undefined || dateOfService <= r.effectiveTo);
}

/** The most specific rule in force: an exact code beats `*`, then the latest `effectiveFrom`. */
function pick<T extends { code: string; effectiveFrom: string; effectiveTo?: string }>(rows: readonly T[], code: string, dateOfService: string): T | undefined {
  const matches = rows.filter((r) => (r.code === code || r.code === ALL) && inForce(r, dateOfService));
  matches.sort(
    (a, b) => Number(b.code === code) - Number(a.code === code) || compareStrings(b.effectiveFrom, a.effectiveFrom),
  );
  return matches[0];
}

export interface PayerResolution {
  policy: PayerPolicy;
  /** True when the case's payer id matched no policy and the default was used. */
  unknownPayer: boolean;
}

/** The payer policy for a payer id (case-insensitive); the default one, flagged, when none matches. */
export function findPayerPolicy(set: PolicySet, payerId: string): PayerResolution {
  const wanted = payerId.trim().toUpperCase();
  const own = set.payers.find((p) => p.policyId !== 'default' && p.payerIds.some((id) => id.toUpperCase() === wanted));
  if (own) return { policy: own, unknownPayer: false };
  const fallback = set.payers.find((p) => p.policyId === 'default');
  if (!fallback) throw new Error(`policy set ${set.policyVersion} has no default policy (validatePolicySet reports this)`);
  return { policy: fallback, unknownPayer: true };
}

export interface PayerDecision {
  policyId: string;
  policyVersion: string;
  unknownPayer: boolean;
  outcome: PayerOutcome;
  /** The rule that decided, or undefined when none was in force (then the outcome is a hold). */
  rule?: PayerCodeRule;
  /** Which policy the rule came from (a payer without a rule for the code falls back to `default`). */
  ruleFrom: string;
  unitLimit?: UnitLimit;
  unitLimitFrom?: string;
}

/**
 * What the policy set says about `code` for `payerId` on `dateOfService`: the payer's own rule, else
 * the default policy's, else a hold (no rule in force is never silently billed).
 */
export function decidePayerOutcome(set: PolicySet, payerId: string, code: string, dateOfService: string): PayerDecision {
  const { policy, unknownPayer } = findPayerPolicy(set, payerId);
  const fallback = set.payers.find((p) => p.policyId === 'default');
  let ruleFrom = policy.policyId;
  let found = pick(policy.rules, code, dateOfService);
  if (!found && fallback && fallback !== policy) {
    found = pick(fallback.rules, code, dateOfService);
    ruleFrom = fallback.policyId;
  }
  let unitLimitFrom: string | undefined = policy.policyId;
  let limit = pick(policy.unitLimits, code, dateOfService);
  if (!limit && fallback && fallback !== policy) {
    limit = pick(fallback.unitLimits, code, dateOfService);
    unitLimitFrom = fallback.policyId;
  }
  if (!limit) unitLimitFrom = undefined;
  const base = { policyId: policy.policyId, policyVersion: set.policyVersion, unknownPayer, ruleFrom };
  const withLimit = limit ? { unitLimit: limit, unitLimitFrom } : {};
  if (!found) {
    return {
      ...base,
      ...withLimit,
      ruleFrom: 'none',
      outcome: { kind: 'hold', reason: `no payer rule for ${code} in force on ${dateOfService} (policy ${policy.policyId}, version ${set.policyVersion})` },
    };
  }
  return { ...base, ...withLimit, outcome: found.outcome, rule: found };
}

/** Whether digital sign-out is required for this payer (payer override, else the set's switch). */
export function requiresDigitalSignOut(set: PolicySet, policy: PayerPolicy): boolean {
  return policy.requireDigitalSignOut ?? set.requireDigitalSignOut;
}

// ---------------------------------------------------------------------------------------------
// Validation of raw (e.g. admin-edited JSON) policy sets.

const SCAN_PURPOSES: readonly ScanPurpose[] = ['diagnostic', 'consult', 'archive', 'education', 'conference'];
const CODE = /^(\*|\d{4}T|\d{5})$/;
const TAXONOMY = /^[0-9A-Z]{9}X$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

function checkDates(where: string, r: Record<string, unknown>, problems: string[]): boolean {
  let ok = true;
  if (!isIsoDate(r['effectiveFrom'])) {
    problems.push(`${where}: effectiveFrom ${JSON.stringify(r['effectiveFrom'])} is not a YYYY-MM-DD date`);
    ok = false;
  }
  if (r['effectiveTo'] !== undefined && !isIsoDate(r['effectiveTo'])) {
    problems.push(`${where}: effectiveTo ${JSON.stringify(r['effectiveTo'])} is not a YYYY-MM-DD date`);
    ok = false;
  }
  if (ok && r['effectiveTo'] !== undefined && (r['effectiveTo'] as string) < (r['effectiveFrom'] as string)) {
    problems.push(`${where}: effectiveTo ${String(r['effectiveTo'])} is before effectiveFrom ${String(r['effectiveFrom'])}`);
    ok = false;
  }
  return ok;
}

function checkOutcome(where: string, o: unknown, problems: string[]): void {
  if (!isRecord(o)) {
    problems.push(`${where}: outcome is missing or not an object`);
    return;
  }
  switch (o['kind']) {
    case 'bill':
      return;
    case 'bill-with-modifier':
      if (!PAYER_MODIFIERS.includes(o['modifier'] as PayerModifier)) {
        problems.push(`${where}: bill-with-modifier needs modifier GA, GY or GZ, not ${JSON.stringify(o['modifier'])}`);
      }
      return;
    case 'hold':
    case 'do-not-send':
      if (!nonEmptyString(o['reason'])) problems.push(`${where}: a ${String(o['kind'])} outcome must say why (reason)`);
      return;
    default:
      problems.push(`${where}: outcome kind ${JSON.stringify(o['kind'])} is not one of bill, bill-with-modifier, hold, do-not-send`);
  }
}

function overlapping(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const aTo = a['effectiveTo'] as string | undefined;
  const bTo = b['effectiveTo'] as string | undefined;
  return !(aTo !== undefined && aTo < (b['effectiveFrom'] as string)) && !(bTo !== undefined && bTo < (a['effectiveFrom'] as string));
}

function checkRows(where: string, kind: 'rule' | 'unit limit', rows: unknown, problems: string[]): void {
  if (!Array.isArray(rows)) {
    problems.push(`${where}: ${kind === 'rule' ? 'rules' : 'unitLimits'} must be a list`);
    return;
  }
  const good: Record<string, unknown>[] = [];
  rows.forEach((r: unknown, i) => {
    const at = `${where} ${kind} ${i}`;
    if (!isRecord(r)) {
      problems.push(`${at}: not an object`);
      return;
    }
    let ok = true;
    if (typeof r['code'] !== 'string' || !CODE.test(r['code'])) {
      problems.push(`${at}: code ${JSON.stringify(r['code'])} is not * or a CPT code (0753T, 88305)`);
      ok = false;
    }
    if (!checkDates(at, r, problems)) ok = false;
    if (!nonEmptyString(r['source'])) problems.push(`${at}: no source named`);
    if (r['note'] !== undefined && typeof r['note'] !== 'string') problems.push(`${at}: note must be text`);
    if (kind === 'rule') checkOutcome(at, r['outcome'], problems);
    else {
      const max = r['maxUnitsPerDateOfService'];
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
        problems.push(`${at}: maxUnitsPerDateOfService ${JSON.stringify(max)} is not a whole number >= 1`);
      }
    }
    if (ok) good.push(r);
  });
  for (let i = 0; i < good.length; i++) {
    for (let j = i + 1; j < good.length; j++) {
      if (good[i]['code'] === good[j]['code'] && overlapping(good[i], good[j])) {
        problems.push(`${where}: two ${kind}s for ${String(good[i]['code'])} are in force at the same time`);
      }
    }
  }
}

/** Problems of add-on code changes that are not about the resulting table (unknown code to retire). */
function retirementProblems(changes: AddOnCodeChanges): string[] {
  const problems: string[] = [];
  for (const r of changes.retire ?? []) {
    if (!DIGITIZATION_ADD_ON_CODES.some((row) => row.addOnCode === r.addOnCode)) {
      problems.push(`addOnCodeChanges.retire: ${r.addOnCode} is not a built-in add-on code (add it with addOnCodeChanges.add, with its effectiveTo)`);
    }
    if (!isIsoDate(r.effectiveTo)) problems.push(`addOnCodeChanges.retire: effectiveTo ${JSON.stringify(r.effectiveTo)} of ${r.addOnCode} is not a YYYY-MM-DD date`);
    if (!nonEmptyString(r.source)) problems.push(`addOnCodeChanges.retire: no source named for the sunset of ${r.addOnCode}`);
  }
  return problems;
}

/**
 * The add-on code table a policy set decides with: the built-in 0751T-0763T rows, each retired code
 * given its `effectiveTo`, then the added rows. Without changes, the built-in table itself.
 */
export function addOnCodeTableFor(set: Pick<PolicySet, 'addOnCodeChanges'>): readonly AddOnCodeRow[] {
  const changes = set.addOnCodeChanges;
  if (!changes || ((changes.add ?? []).length === 0 && (changes.retire ?? []).length === 0)) return DIGITIZATION_ADD_ON_CODES;
  const rows = DIGITIZATION_ADD_ON_CODES.map((row) => {
    const retired = (changes.retire ?? []).find((r) => r.addOnCode === row.addOnCode);
    return retired ? { ...row, effectiveTo: retired.effectiveTo, source: `${row.source}; sunset: ${retired.source}` } : row;
  });
  return [...rows, ...(changes.add ?? [])];
}

/**
 * Checks a policy set before it is used; returns its problems in words (empty = usable).
 * `raw` is anything (parsed JSON from an administrator), so every field is checked.
 */
export function validatePolicySet(raw: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(raw)) return ['the policy set is not an object'];
  if (!nonEmptyString(raw['policyVersion'])) problems.push('policyVersion is missing: every charge must record the version it was decided under');
  else if (!/^[A-Za-z0-9._-]{1,64}$/.test(raw['policyVersion'])) {
    problems.push(`policyVersion ${JSON.stringify(raw['policyVersion'])} may hold only letters, digits, ".", "_" and "-" (at most 64): it is used in URLs`);
  }
  if (typeof raw['requireQcPass'] !== 'boolean') problems.push('requireQcPass must be true or false');
  if (typeof raw['requireDigitalSignOut'] !== 'boolean') problems.push('requireDigitalSignOut must be true or false');
  const purposes = raw['billablePurposes'];
  if (!Array.isArray(purposes)) problems.push('billablePurposes must be a list');
  else {
    for (const p of purposes) {
      if (!SCAN_PURPOSES.includes(p as ScanPurpose)) problems.push(`billablePurposes: ${JSON.stringify(p)} is not a scan purpose (${SCAN_PURPOSES.join(', ')})`);
    }
  }
  const performer = raw['performer'];
  if (!isRecord(performer)) problems.push('performer (taxonomy of the scanning staff) is missing');
  else if (typeof performer['taxonomy'] !== 'string' || !TAXONOMY.test(performer['taxonomy'])) {
    problems.push(`performer taxonomy ${JSON.stringify(performer['taxonomy'])} is not a 10-character NUCC code ending in X`);
  }
  if (isRecord(performer) && !nonEmptyString(performer['description'])) problems.push('performer description (what the taxonomy code means) is missing: charges carry it');
  const payers = raw['payers'];
  if (!Array.isArray(payers)) {
    problems.push('payers must be a list');
    return problems;
  }
  const ids = new Map<string, number>();
  const payerIdOwners = new Map<string, string>();
  let defaults = 0;
  payers.forEach((p: unknown, i) => {
    if (!isRecord(p)) {
      problems.push(`payer policy ${i}: not an object`);
      return;
    }
    const id = nonEmptyString(p['policyId']) ? p['policyId'] : `#${i}`;
    const where = `payer policy ${id}`;
    if (!nonEmptyString(p['policyId'])) problems.push(`payer policy ${i}: policyId is missing`);
    else {
      if (ids.has(id)) problems.push(`${where}: policyId used twice`);
      ids.set(id, i);
    }
    if (id === 'default') defaults++;
    if (!Array.isArray(p['payerIds'])) problems.push(`${where}: payerIds must be a list`);
    else {
      for (const pid of p['payerIds'] as unknown[]) {
        if (!nonEmptyString(pid)) {
          problems.push(`${where}: payer id ${JSON.stringify(pid)} is empty`);
          continue;
        }
        const key = pid.toUpperCase();
        const owner = payerIdOwners.get(key);
        if (owner !== undefined && owner !== id) problems.push(`payer id ${pid} belongs to both ${owner} and ${id}`);
        payerIdOwners.set(key, id);
      }
    }
    if (p['requireDigitalSignOut'] !== undefined && typeof p['requireDigitalSignOut'] !== 'boolean') {
      problems.push(`${where}: requireDigitalSignOut must be true or false`);
    }
    checkRows(where, 'rule', p['rules'], problems);
    checkRows(where, 'unit limit', p['unitLimits'], problems);
  });
  if (defaults !== 1) problems.push(`there must be exactly one payer policy with policyId "default" (found ${defaults}): unknown payers fall back to it`);
  const changes = raw['addOnCodeChanges'];
  if (changes !== undefined) {
    if (!isRecord(changes) || (changes['add'] !== undefined && !Array.isArray(changes['add'])) || (changes['retire'] !== undefined && !Array.isArray(changes['retire']))) {
      problems.push('addOnCodeChanges must be an object with lists add (code table rows) and retire ({addOnCode, effectiveTo, source})');
    } else {
      const typed = changes as AddOnCodeChanges;
      const shapeProblems = retirementProblems(typed);
      problems.push(...shapeProblems);
      if (shapeProblems.length === 0) {
        const builtIn = DIGITIZATION_ADD_ON_CODES.length;
        for (const p of validateAddOnCodeTable(addOnCodeTableFor({ addOnCodeChanges: typed }))) {
          // Rows past the built-in ones are the added rows: name them as such.
          const label = (n: string) => (Number(n) >= builtIn ? `added row ${Number(n) - builtIn}` : `built-in row ${n}`);
          const named = p.message.replace(/\brows (\d+) and (\d+)|\brow (\d+)/g, (_m, a?: string, b?: string, one?: string) =>
            one !== undefined ? label(one) : `${label(a as string)} and ${label(b as string)}`,
          );
          problems.push(`addOnCodeChanges: ${named}`);
        }
      }
    }
  }
  return problems;
}
