/**
 * Table-driven scenario suite: every file in ../scenarios/*.json holds `{ "scenarios": [...] }`.
 * Three kinds: `engine` (case + scans + QC + existing charges + policy patch -> charges, holds,
 * credits, voids), `modifier` (checkModifier) and `policy` (validatePolicySet).
 * Defaults keep the data short: one active case S26-000123, Aetna, collected 2025-03-03, diagnosis
 * C50.911, specimen A 88305 x1 with slide A1; every slide scanned (diagnostic) and passed by QC.
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { AddOnCodeRow, DIGITIZATION_ADD_ON_CODES } from './add-on-codes';
import { QcFacts, ScanFacts } from './digitization-charge';
import { checkModifier, ModifierContext } from './modifiers';
import { DEFAULT_POLICY_SET, PayerPolicy, PolicySet, validatePolicySet } from './payer-policy';
import { EngineCase, EngineCharge, evaluateCharges, ExistingCharge } from './rules-engine';

type Json = Record<string, unknown>;

interface ExpectedCharge {
  specimenId: string;
  code: string;
  units?: number;
  status?: string;
  modifiers?: string[];
  refusedModifiers?: string[];
  holdRules?: string[];
  holdReasonIncludes?: string;
  policyVersion?: string;
  payerPolicyId?: string;
  flags?: string[];
  diagnosisPointers?: number[];
  diagnoses?: string[];
  dateOfService?: string;
  performerTaxonomy?: string;
  replacesChargeId?: string;
}

interface Scenario {
  id: string;
  rule: string;
  description: string;
  kind?: 'engine' | 'modifier' | 'policy';
  // engine
  case?: Json;
  scans?: Json[];
  qc?: Json[];
  existingCharges?: Json[];
  policy?: Json;
  addOnCodes?: { sunset?: Record<string, string>; add?: AddOnCodeRow[] };
  // modifier
  modifier?: string;
  context?: Partial<ModifierContext>;
  // policy
  validatePatch?: Json;
  validateRaw?: unknown;
  expect: {
    charges?: ExpectedCharge[];
    credits?: { creditFor: string; reason: string; code?: string; units?: number }[];
    voids?: { chargeId: string; reason: string }[];
    flags?: string[];
    noCharge?: Record<string, string>;
    traceIncludes?: string[];
    accepted?: boolean;
    reasonIncludes?: string;
    valid?: boolean;
    problemIncludes?: string[];
  };
}

const DIR = join(__dirname, '..', 'scenarios');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const ALL: { file: string; scenario: Scenario }[] = FILES.flatMap((file) =>
  (JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { scenarios: Scenario[] }).scenarios.map((scenario) => ({ file, scenario })),
);

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function patchPolicy(patch: Json | undefined): PolicySet {
  const set = clone(DEFAULT_POLICY_SET) as unknown as Json;
  if (!patch) return set as unknown as PolicySet;
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'payers') {
      const payers = [...(set['payers'] as PayerPolicy[])];
      for (const p of v as PayerPolicy[]) {
        const i = payers.findIndex((q) => q.policyId === p.policyId);
        if (i >= 0) payers[i] = p;
        else payers.push(p);
      }
      set['payers'] = payers;
    } else if (k === 'removePayers') {
      set['payers'] = (set['payers'] as PayerPolicy[]).filter((p) => !(v as string[]).includes(p.policyId));
    } else set[k] = v;
  }
  return set as unknown as PolicySet;
}

function buildCase(s: Scenario): EngineCase {
  return {
    accessionNumber: 'S26-000123',
    status: 'active',
    patientId: 'P-1',
    payerId: 'AETNA',
    collectionDate: '2025-03-03',
    diagnoses: ['C50.911'],
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
    slides: [{ barcode: 'A1', specimenId: 'A' }],
    ...(s.case ?? {}),
  } as EngineCase;
}

function buildScans(s: Scenario, c: EngineCase): { scans: ScanFacts[]; qc: QcFacts[] } {
  const scans: ScanFacts[] = (s.scans ?? c.slides.map((sl) => ({ slideBarcode: sl.barcode }))).map((raw, i) => {
    const r = raw as Partial<ScanFacts>;
    const scanId = r.scanId ?? `scan-${r.slideBarcode}-${i}`;
    return {
      scanId,
      slideBarcode: r.slideBarcode as string,
      status: r.status ?? 'completed',
      purpose: r.purpose ?? 'diagnostic',
      completedAt: r.completedAt ?? '2025-03-05T10:00:00Z',
      sourceEventId: r.sourceEventId ?? `ev-${scanId}`,
    };
  });
  const qc: QcFacts[] = s.qc
    ? s.qc.map((raw) => {
        const q = raw as Partial<QcFacts>;
        return { scanId: q.scanId as string, passed: q.passed ?? true, reasons: q.reasons ?? [], sourceEventId: q.sourceEventId ?? `qc-${q.scanId}` };
      })
    : scans.filter((x) => x.status === 'completed').map((x) => ({ scanId: x.scanId, passed: true, reasons: [], sourceEventId: `qc-${x.scanId}` }));
  return { scans, qc };
}

function buildExisting(s: Scenario, c: EngineCase): ExistingCharge[] {
  return (s.existingCharges ?? []).map(
    (raw) =>
      ({
        accessionNumber: c.accessionNumber,
        specimenId: 'A',
        code: '0753T',
        primaryCode: '88305',
        units: 1,
        payerId: c.payerId,
        dateOfService: c.collectionDate,
        state: 'sent',
        slideBarcodes: ['A1'],
        ...raw,
      }) as unknown as ExistingCharge,
  );
}

function buildTable(s: Scenario): AddOnCodeRow[] {
  const rows = DIGITIZATION_ADD_ON_CODES.map((r) => ({ ...r }));
  for (const [code, to] of Object.entries(s.addOnCodes?.sunset ?? {})) {
    const row = rows.find((r) => r.addOnCode === code);
    if (!row) throw new Error(`${s.id}: sunset of unknown code ${code}`);
    row.effectiveTo = to;
  }
  return [...rows, ...(s.addOnCodes?.add ?? [])];
}

function pickCharge(ch: EngineCharge, e: ExpectedCharge): Json {
  const out: Json = { specimenId: ch.specimenId, code: ch.code };
  if (e.units !== undefined) out['units'] = ch.units;
  if (e.status !== undefined) out['status'] = ch.status;
  if (e.modifiers !== undefined) out['modifiers'] = ch.modifiers;
  if (e.refusedModifiers !== undefined) out['refusedModifiers'] = ch.refusedModifiers.map((r) => r.modifier);
  if (e.holdRules !== undefined) out['holdRules'] = ch.holdReasons.map((h) => h.rule).sort();
  if (e.holdReasonIncludes !== undefined) {
    out['holdReasonIncludes'] = ch.holdReasons.some((h) => h.detail.includes(e.holdReasonIncludes as string)) ? e.holdReasonIncludes : ch.holdReasons.map((h) => h.detail).join(' | ');
  }
  if (e.policyVersion !== undefined) out['policyVersion'] = ch.policyVersion;
  if (e.payerPolicyId !== undefined) out['payerPolicyId'] = ch.payerPolicyId;
  if (e.flags !== undefined) out['flags'] = ch.flags;
  if (e.diagnosisPointers !== undefined) out['diagnosisPointers'] = ch.diagnosisPointers;
  if (e.diagnoses !== undefined) out['diagnoses'] = ch.diagnoses;
  if (e.dateOfService !== undefined) out['dateOfService'] = ch.dateOfService;
  if (e.performerTaxonomy !== undefined) out['performerTaxonomy'] = ch.performer.taxonomy;
  if (e.replacesChargeId !== undefined) out['replacesChargeId'] = ch.replacesChargeId;
  return out;
}

function runEngine(s: Scenario): void {
  const c = buildCase(s);
  const { scans, qc } = buildScans(s, c);
  const input = { case: c, scans, qcResults: qc, policySet: patchPolicy(s.policy), addOnCodes: buildTable(s), existingCharges: buildExisting(s, c) };
  const result = evaluateCharges(input);
  const e = s.expect;

  const expectedCharges = [...(e.charges ?? [])].sort((a, b) => `${a.specimenId}/${a.code}`.localeCompare(`${b.specimenId}/${b.code}`));
  const actual = [...result.charges].sort((a, b) => `${a.specimenId}/${a.code}`.localeCompare(`${b.specimenId}/${b.code}`));
  expect(actual.map((ch, i) => pickCharge(ch, expectedCharges[i] ?? { specimenId: ch.specimenId, code: ch.code }))).toEqual(
    expectedCharges.map((x) => ({ ...x, ...(x.holdRules ? { holdRules: [...x.holdRules].sort() } : {}) })),
  );
  expect(result.credits.map((cr) => ({ creditFor: cr.creditFor, reason: cr.reason, code: cr.code, units: cr.units }))).toEqual(
    (e.credits ?? []).map((cr) => ({ code: '0753T', units: 1, ...cr })),
  );
  expect(result.voids.map((v) => ({ chargeId: v.chargeId, reason: v.reason }))).toEqual(e.voids ?? []);
  expect(result.flags).toEqual(e.flags ?? []);
  // Holds are exactly the charges on hold, each with a reason.
  expect(result.holds.map((h) => h.chargeKey)).toEqual(result.charges.filter((ch) => ch.status === 'hold').map((ch) => ch.chargeKey));
  for (const h of result.holds) expect(h.reasons.length).toBeGreaterThan(0);
  // Every charge records the policy version it was decided under.
  for (const ch of result.charges) expect(ch.policyVersion).toBe(input.policySet.policyVersion);
  for (const [specimenId, reason] of Object.entries(e.noCharge ?? {})) {
    expect(result.trace.filter((t) => t.rule === 'no-charge' && t.detail.startsWith(`specimen ${specimenId} `)).map((t) => t.outcome)).toEqual([reason]);
  }
  const allTrace = [...result.trace, ...result.charges.flatMap((ch) => ch.trace)].map((t) => `${t.rule} ${t.outcome} ${t.detail}`).join('\n');
  for (const text of e.traceIncludes ?? []) expect(allTrace).toContain(text);
  // Deterministic: the same facts give the same answer.
  expect(evaluateCharges(clone(input))).toEqual(result);
}

function runModifier(s: Scenario): void {
  const ctx: ModifierContext = { code: '0753T', isAddOn: true, technicalOnly: true, surgicalPathology: true, ...(s.context ?? {}) };
  const check = checkModifier(s.modifier as string, ctx);
  expect(check.accepted).toBe(s.expect.accepted);
  if (!check.accepted) expect(check.reason).toContain(s.expect.reasonIncludes ?? '');
  if (s.expect.reasonIncludes !== undefined) expect(check.accepted).toBe(false);
}

function runPolicy(s: Scenario): void {
  const raw = s.validateRaw !== undefined ? s.validateRaw : patchPolicy(s.validatePatch);
  const problems = validatePolicySet(raw);
  if (s.expect.valid) expect(problems).toEqual([]);
  else {
    expect(problems.length).toBeGreaterThan(0);
    for (const text of s.expect.problemIncludes ?? []) expect(problems.join('\n')).toContain(text);
  }
}

describe('billing-rules scenarios (libs/billing-rules/scenarios/*.json)', () => {
  it('has at least 60 scenarios, unique ids, each with a rule and a description', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(60);
    const ids = ALL.map((x) => x.scenario.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { scenario } of ALL) {
      expect(typeof scenario.rule).toBe('string');
      expect(scenario.description.length).toBeGreaterThan(0);
    }
  });

  it.each(ALL.map(({ file, scenario }) => [`${file} ${scenario.id} [${scenario.rule}] ${scenario.description}`, scenario] as const))('%s', (_name, scenario) => {
    switch (scenario.kind ?? 'engine') {
      case 'engine':
        return runEngine(scenario);
      case 'modifier':
        return runModifier(scenario);
      case 'policy':
        return runPolicy(scenario);
    }
  });
});
