import { BillingCaseFacts, DEFAULT_DIGITIZATION_POLICY, DEFAULT_POLICY_SET, decideDigitizationCharges, evaluateCharges } from '@slidecharge/billing-rules';
import { Charge, Credit } from '@slidecharge/contracts';
import { chargeIdFor, chargeIdForGeneration, creditIdFor } from '../charge/charge-id';
import { engineStateOf, LoadedCaseRow, loadedCaseFromRow, nextGeneration, postedChargeChanges, scanStatusOf, StoredCharge, storedStatusOf, supersedes, toCharge, toCredit, toExistingCharge } from './facts';

const facts = (over: Partial<BillingCaseFacts> = {}): BillingCaseFacts => ({
  accessionNumber: 'S26-1',
  status: 'active',
  patientId: 'P-1',
  payerId: 'MEDICARE',
  collectionDate: '2026-03-02',
  diagnoses: ['C50.911'],
  specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
  slides: [{ barcode: 'SL-A1', specimenId: 'A' }],
  ...over,
});

const posted = (over: Partial<StoredCharge> = {}): StoredCharge => ({
  chargeId: chargeIdFor('S26-1/A/0753T'),
  chargeKey: 'S26-1/A/0753T',
  generation: 1,
  status: 'posted',
  modifiers: [],
  diagnosisPointers: [1],
  holdRules: [],
  voidedByReviewer: false,
  specimenId: 'A',
  code: '0753T',
  primaryCode: '88305',
  units: 1,
  dateOfService: '2026-03-02',
  patientId: 'P-1',
  payerId: 'MEDICARE',
  diagnoses: ['C50.911'],
  slideBarcodes: ['SL-A1'],
  ...over,
});

describe('scanStatusOf', () => {
  it.each([
    ['scan.started', 'started'],
    ['scan.completed', 'completed'],
    ['scan.failed', 'failed'],
  ] as const)('%s -> %s', (type, status) => {
    expect(scanStatusOf(type)).toBe(status);
  });
});

describe('supersedes (which scan report of a scanId wins)', () => {
  const at = (s: number) => `2026-03-20T10:00:0${s}Z`;
  it.each([
    ['completed over started, even when older', { status: 'completed', scannedAt: at(1) }, { status: 'started', scannedAt: at(2) }, true],
    ['failed over started', { status: 'failed', scannedAt: at(3) }, { status: 'started', scannedAt: at(2) }, true],
    ['a late started never over completed', { status: 'started', scannedAt: at(5) }, { status: 'completed', scannedAt: at(2) }, false],
    ['same rank: the later report', { status: 'failed', scannedAt: at(3) }, { status: 'completed', scannedAt: at(2) }, true],
    ['same rank: not an older report', { status: 'completed', scannedAt: at(1) }, { status: 'failed', scannedAt: at(2) }, false],
    ['a repeat changes nothing', { status: 'completed', scannedAt: at(2) }, { status: 'completed', scannedAt: at(2) }, false],
  ])('%s', (_label, incoming, stored, expected) => {
    expect(supersedes(incoming, stored)).toBe(expected);
  });
});

describe('loadedCaseFromRow', () => {
  const row: LoadedCaseRow = {
    accessionNumber: 'S26-1',
    version: 3,
    status: 'active',
    patientId: 'P-1',
    payerId: 'MEDICARE',
    collectionDate: '2026-03-02',
    diagnoses: null,
    flags: { researchStudy: true },
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 2, modifiers: ['Q1'], diagnosisPointers: null }],
    slides: [{ barcode: 'SL-A1', specimenId: 'A' }],
    scans: [
      { scanId: 's1', slideBarcode: 'SL-A1', status: 'completed', purpose: 'diagnostic', scannedAt: '2026-03-20T10:00:00.5+00:00', sourceEventId: 'e1' },
      { scanId: 's2', slideBarcode: 'SL-A1', status: 'started', purpose: 'diagnostic', scannedAt: '2026-03-20T11:00:00+00:00', sourceEventId: 'e2' },
    ],
    qc: [{ scanId: 's1', passed: true, reasons: null, sourceEventId: 'q1' }],
    charges: [],
  };

  it('maps stored rows to the rules input (completedAt only for completed scans, nulls to empty lists)', () => {
    const loaded = loadedCaseFromRow(row);
    expect(loaded.version).toBe(3);
    expect(loaded.facts.diagnoses).toEqual([]);
    expect(loaded.scans[0]).toEqual({ scanId: 's1', slideBarcode: 'SL-A1', status: 'completed', purpose: 'diagnostic', completedAt: '2026-03-20T10:00:00.500Z', sourceEventId: 'e1' });
    expect(loaded.scans[1]).not.toHaveProperty('completedAt');
    expect(loaded.qcResults).toEqual([{ scanId: 's1', passed: true, reasons: [], sourceEventId: 'q1' }]);
  });

  it('carries case flags and the requested modifiers; no pointers stored means the default pointers', () => {
    const loaded = loadedCaseFromRow(row);
    expect(loaded.facts.flags).toEqual({ researchStudy: true });
    expect(loaded.facts.specimens[0]).toEqual({ specimenId: 'A', primaryCpt: '88305', units: 2, requestedModifiers: ['Q1'] });
  });

  it('gives the rules what they need to charge', () => {
    const loaded = loadedCaseFromRow(row);
    const decisions = decideDigitizationCharges({ case: loaded.facts, scans: loaded.scans, qcResults: loaded.qcResults, existingChargeKeys: [], policy: DEFAULT_DIGITIZATION_POLICY });
    expect(decisions.map((d) => [d.chargeKey, d.units, d.causedBy])).toEqual([['S26-1/A/0753T', 2, ['e1', 'q1']]]);
  });
});

describe('toCharge', () => {
  it('makes a CG charge with the id it is given, the policy, performer and pointers, that satisfies the contract', () => {
    const result = evaluateCharges({
      case: facts({ payerId: 'AETNA', specimens: [{ specimenId: 'A', primaryCpt: '88307', units: 1 }] }),
      scans: [{ scanId: 's1', slideBarcode: 'SL-A1', status: 'completed', purpose: 'diagnostic', sourceEventId: 'e1' }],
      qcResults: [{ scanId: 's1', passed: true, reasons: [], sourceEventId: 'q1' }],
      policySet: DEFAULT_POLICY_SET,
      existingCharges: [],
    });
    const [decided] = result.charges;
    if (!decided) throw new Error('expected a charge');
    const charge = toCharge(decided, { chargeId: chargeIdForGeneration(decided.chargeKey, 2) }, new Date('2026-03-21T08:00:00Z'));
    expect(charge).toMatchObject({
      chargeId: chargeIdForGeneration('S26-1/A/0754T', 2),
      chargeKey: 'S26-1/A/0754T',
      transactionType: 'CG',
      code: '0754T',
      primaryCode: '88307',
      dateOfService: '2026-03-02',
      postedAt: '2026-03-21T08:00:00.000Z',
      diagnosisPointers: [1],
      diagnoses: ['C50.911'],
      policyVersion: DEFAULT_POLICY_SET.policyVersion,
      payerPolicyId: 'aetna',
      performer: { step: 'scanning', taxonomy: DEFAULT_POLICY_SET.performer.taxonomy },
    });
    expect(charge).not.toHaveProperty('release');
    expect(Charge.safeParse(charge).success).toBe(true);
    expect(charge.trace.length).toBeGreaterThan(0);
  });
});

describe('stored states as the rules see them', () => {
  it.each([
    ['posted', 'sent'],
    ['do-not-send', 'posted'],
    ['held', 'held'],
    ['voided', 'voided'],
    ['credited', 'credited'],
  ] as const)('%s -> %s', (stored, engine) => {
    expect(engineStateOf(stored)).toBe(engine);
    expect(toExistingCharge(posted({ status: stored }), 'S26-1').state).toBe(engine);
  });

  it.each([
    ['billable', 'posted'],
    ['hold', 'held'],
    ['do-not-send', 'do-not-send'],
  ] as const)('a decided %s charge is stored %s', (decided, stored) => {
    expect(storedStatusOf(decided)).toBe(stored);
  });

  it('numbers the generations of a key: 1 when new, one past the latest otherwise', () => {
    expect(nextGeneration([], 'S26-1/A/0753T')).toBe(1);
    expect(nextGeneration([posted({ status: 'credited' }), posted({ generation: 2, status: 'voided' }), posted({ chargeKey: 'S26-1/B/0753T', generation: 7 })], 'S26-1/A/0753T')).toBe(3);
  });
});

describe('toCredit', () => {
  it('reverses the stored charge: CD, same code, units and date, with the reason, satisfying the contract', () => {
    const original = posted({ modifiers: ['GY'] });
    const result = evaluateCharges({
      case: facts({ status: 'cancelled' }),
      scans: [],
      qcResults: [],
      policySet: DEFAULT_POLICY_SET,
      existingCharges: [toExistingCharge(original, 'S26-1')],
    });
    const [credit] = result.credits;
    if (!credit) throw new Error('expected a credit');
    const payload = toCredit(credit, original, { creditId: creditIdFor(original.chargeId) }, new Date('2026-04-01T09:00:00Z'), ['ev-cancel'], result.trace);
    expect(payload).toMatchObject({
      creditId: creditIdFor(original.chargeId),
      transactionType: 'CD',
      creditFor: original.chargeId,
      chargeKey: 'S26-1/A/0753T',
      code: '0753T',
      units: 1,
      dateOfService: '2026-03-02',
      modifiers: ['GY'],
      reason: 'case-cancelled',
      causedBy: ['ev-cancel'],
    });
    expect(Credit.safeParse(payload).success).toBe(true);
  });
});

describe('postedChargeChanges', () => {
  it('is empty while the case still supports the charge', () => {
    expect(postedChargeChanges(posted(), facts())).toEqual([]);
  });

  it.each<[string, Partial<BillingCaseFacts>, string]>([
    ['a cancelled case', { status: 'cancelled' }, 'case is now cancelled'],
    ['a removed specimen', { specimens: [{ specimenId: 'B', primaryCpt: '88305', units: 1 }], slides: [] }, 'specimen A is no longer on the case'],
    ['a primary code change', { specimens: [{ specimenId: 'A', primaryCpt: '88307', units: 1 }] }, 'primary code 88305 -> 88307'],
    ['a units change', { specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 2 }] }, 'units 1 -> 2'],
    ['a collection date change', { collectionDate: '2026-03-01' }, 'collection date 2026-03-02 -> 2026-03-01'],
    ['a payer change', { payerId: 'AETNA' }, 'payer MEDICARE -> AETNA'],
    ['a diagnosis change', { diagnoses: ['C61'] }, 'diagnoses C50.911 -> C61'],
    ['charged slides moved away', { slides: [{ barcode: 'SL-A9', specimenId: 'A' }] }, 'charged slide(s) SL-A1 no longer on specimen A'],
  ])('names %s', (_label, over, change) => {
    expect(postedChargeChanges(posted(), facts(over))).toContain(change);
  });
});
