import { DIGITIZATION_ADD_ON_CODES } from './add-on-codes';
import { addOnCodeTableFor, DEFAULT_POLICY_SET, PolicySet, validatePolicySet } from './payer-policy';
import { evaluateCharges } from './rules-engine';

/** 88331 -> 0841T: frozen section, from the 2024 family (DOMAIN.md), added as data. */
const FROZEN_SECTION = { addOnCode: '0841T', primaryCode: '88331', effectiveFrom: '2024-01-01', confirmed: true, source: 'DOMAIN.md (0827T-0856T family)' };

const withChanges = (addOnCodeChanges: PolicySet['addOnCodeChanges']): PolicySet => ({ ...DEFAULT_POLICY_SET, policyVersion: 'test-codes', addOnCodeChanges });

function decide(set: PolicySet, primaryCpt: string, collectionDate: string) {
  return evaluateCharges({
    case: {
      accessionNumber: 'S26-9',
      status: 'active',
      patientId: 'P-9',
      payerId: 'AETNA',
      collectionDate,
      diagnoses: ['C50.911'],
      specimens: [{ specimenId: 'A', primaryCpt, units: 1 }],
      slides: [{ barcode: 'SL-1', specimenId: 'A' }],
    },
    scans: [{ scanId: 's1', slideBarcode: 'SL-1', status: 'completed', purpose: 'diagnostic', sourceEventId: 'e1' }],
    qcResults: [{ scanId: 's1', passed: true, reasons: [], sourceEventId: 'q1' }],
    policySet: set,
    existingCharges: [],
  });
}

describe('add-on code changes in the policy set', () => {
  it('without changes, the table is the built-in one', () => {
    expect(addOnCodeTableFor(DEFAULT_POLICY_SET)).toBe(DIGITIZATION_ADD_ON_CODES);
  });

  it('a new pairing is a data change: 88331 earns 0841T once the policy set adds it', () => {
    expect(decide(DEFAULT_POLICY_SET, '88331', '2026-03-02').charges).toEqual([]);
    const set = withChanges({ add: [FROZEN_SECTION] });
    expect(validatePolicySet(set)).toEqual([]);
    expect(decide(set, '88331', '2026-03-02').charges.map((c) => c.code)).toEqual(['0841T']);
  });

  it('a sunset is a data change: 0753T stops on the day after its effectiveTo, by date of service', () => {
    const set = withChanges({ retire: [{ addOnCode: '0753T', effectiveTo: '2028-06-30', source: 'AMA Category III sunset notice' }] });
    expect(validatePolicySet(set)).toEqual([]);
    expect(decide(set, '88305', '2028-06-30').charges.map((c) => c.code)).toEqual(['0753T']);
    expect(decide(set, '88305', '2028-07-01').charges).toEqual([]);
    expect(addOnCodeTableFor(set).find((r) => r.addOnCode === '0753T')?.source).toContain('AMA Category III sunset notice');
  });

  it('refuses changes that break the table, naming the added row', () => {
    const clash = { ...FROZEN_SECTION, addOnCode: '0842T', primaryCode: '88305', effectiveFrom: '2025-01-01' };
    const problems = validatePolicySet(withChanges({ add: [clash] }));
    expect(problems).toEqual([expect.stringMatching(/^addOnCodeChanges: .*added row 0.*primary 88305 pairs with both 0753T and 0842T/)]);
  });

  it('refuses to retire a code the table does not have, or without a date or a source', () => {
    const problems = validatePolicySet(withChanges({ retire: [{ addOnCode: '0999T', effectiveTo: 'soon', source: '' }] }));
    expect(problems).toEqual([
      expect.stringContaining('0999T is not a built-in add-on code'),
      expect.stringContaining('effectiveTo "soon" of 0999T is not a YYYY-MM-DD date'),
      expect.stringContaining('no source named for the sunset of 0999T'),
    ]);
    expect(validatePolicySet({ ...DEFAULT_POLICY_SET, addOnCodeChanges: { add: 'all of them' } })).toEqual([
      expect.stringContaining('addOnCodeChanges must be an object with lists add'),
    ]);
  });
});
