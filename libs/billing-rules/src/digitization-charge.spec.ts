import { AddOnCodeRow } from './add-on-codes';
import {
  BillingCaseFacts,
  DEFAULT_DIGITIZATION_POLICY,
  DigitizationChargeInput,
  DigitizationPolicy,
  NoChargeReason,
  QcFacts,
  ScanFacts,
  decideDigitizationCharges,
  explainNoCharge,
} from './digitization-charge';

const ACC = 'S26-000123';

function caseFacts(over: Partial<BillingCaseFacts> = {}): BillingCaseFacts {
  return {
    accessionNumber: ACC,
    status: 'active',
    patientId: 'P-1',
    payerId: 'MEDICARE',
    collectionDate: '2026-03-02',
    diagnoses: ['C50.911', 'D37.9'],
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
    slides: [
      { barcode: 'SL-A1', specimenId: 'A' },
      { barcode: 'SL-A2', specimenId: 'A' },
    ],
    ...over,
  };
}

function scan(scanId: string, slideBarcode: string, over: Partial<ScanFacts> = {}): ScanFacts {
  return {
    scanId,
    slideBarcode,
    status: 'completed',
    purpose: 'diagnostic',
    completedAt: '2026-03-20T10:00:00Z',
    sourceEventId: `ev-${scanId}`,
    ...over,
  };
}

function qc(scanId: string, passed: boolean, reasons: string[] = []): QcFacts {
  return { scanId, passed, reasons, sourceEventId: `qc-${scanId}-${passed ? 'pass' : 'fail'}` };
}

function input(over: Partial<DigitizationChargeInput> = {}): DigitizationChargeInput {
  return {
    case: caseFacts(),
    scans: [scan('s1', 'SL-A1')],
    qcResults: [qc('s1', true)],
    existingChargeKeys: [],
    policy: DEFAULT_DIGITIZATION_POLICY,
    ...over,
  };
}

const NO_QC: DigitizationPolicy = { ...DEFAULT_DIGITIZATION_POLICY, requireQcPass: false };

interface Row {
  name: string;
  input: DigitizationChargeInput;
  /** [specimenId, code, units] per charge, in output order. */
  charges: [string, string, number][];
  /** [specimenId, reason] per uncharged specimen. */
  noCharge: [string, NoChargeReason][];
}

const table: Row[] = [
  {
    name: 'two 88305 specimens -> two 0753T',
    input: input({
      case: caseFacts({
        specimens: [
          { specimenId: 'B', primaryCpt: '88305', units: 1 },
          { specimenId: 'A', primaryCpt: '88305', units: 1 },
        ],
        slides: [
          { barcode: 'SL-A1', specimenId: 'A' },
          { barcode: 'SL-B1', specimenId: 'B' },
        ],
      }),
      scans: [scan('s2', 'SL-B1'), scan('s1', 'SL-A1')],
      qcResults: [qc('s1', true), qc('s2', true)],
    }),
    charges: [
      ['A', '0753T', 1],
      ['B', '0753T', 1],
    ],
    noCharge: [],
  },
  {
    name: 'one specimen, many slides scanned -> one 0753T',
    input: input({
      scans: [scan('s1', 'SL-A1'), scan('s2', 'SL-A2')],
      qcResults: [qc('s1', true), qc('s2', true)],
    }),
    charges: [['A', '0753T', 1]],
    noCharge: [],
  },
  {
    name: '88307 -> 0754T (not 0753T)',
    input: input({ case: caseFacts({ specimens: [{ specimenId: 'A', primaryCpt: '88307', units: 1 }] }) }),
    charges: [['A', '0754T', 1]],
    noCharge: [],
  },
  {
    name: '88342 -> 0760T',
    input: input({ case: caseFacts({ specimens: [{ specimenId: 'A', primaryCpt: '88342', units: 1 }] }) }),
    charges: [['A', '0760T', 1]],
    noCharge: [],
  },
  {
    name: '88300 (no add-on) -> none',
    input: input({ case: caseFacts({ specimens: [{ specimenId: 'A', primaryCpt: '88300', units: 1 }] }) }),
    charges: [],
    noCharge: [['A', 'no-add-on-code']],
  },
  {
    name: 'scan failed -> none',
    input: input({ scans: [scan('s1', 'SL-A1', { status: 'failed' })], qcResults: [] }),
    charges: [],
    noCharge: [['A', 'no-completed-scan']],
  },
  {
    name: 'scan only started -> none',
    input: input({ scans: [scan('s1', 'SL-A1', { status: 'started' })], qcResults: [] }),
    charges: [],
    noCharge: [['A', 'no-completed-scan']],
  },
  {
    name: 'no scan at all -> none',
    input: input({ scans: [], qcResults: [] }),
    charges: [],
    noCharge: [['A', 'no-completed-scan']],
  },
  {
    name: 'QC failed -> none',
    input: input({ qcResults: [qc('s1', false, ['focus score 0.42 below 0.70 (out of focus)'])] }),
    charges: [],
    noCharge: [['A', 'qc-failed']],
  },
  {
    name: 'completed but QC not in yet -> none (pending)',
    input: input({ qcResults: [] }),
    charges: [],
    noCharge: [['A', 'qc-pending']],
  },
  {
    name: 'QC failed then passing rescan -> one',
    input: input({
      scans: [scan('s1', 'SL-A1'), scan('s1-rescan', 'SL-A1')],
      qcResults: [qc('s1', false, ['out of focus']), qc('s1-rescan', true)],
    }),
    charges: [['A', '0753T', 1]],
    noCharge: [],
  },
  {
    name: 'QC not required by policy -> charge on completed scan',
    input: input({ qcResults: [], policy: NO_QC }),
    charges: [['A', '0753T', 1]],
    noCharge: [],
  },
  {
    name: 'QC not required by policy, failed scan still -> none',
    input: input({ scans: [scan('s1', 'SL-A1', { status: 'failed' })], qcResults: [], policy: NO_QC }),
    charges: [],
    noCharge: [['A', 'no-completed-scan']],
  },
  ...(['archive', 'education', 'conference'] as const).map(
    (purpose): Row => ({
      name: `${purpose} purpose -> none`,
      input: input({ scans: [scan('s1', 'SL-A1', { purpose })] }),
      charges: [],
      noCharge: [['A', 'purpose-not-billable']],
    }),
  ),
  {
    name: 'consult purpose -> charge',
    input: input({ scans: [scan('s1', 'SL-A1', { purpose: 'consult' })] }),
    charges: [['A', '0753T', 1]],
    noCharge: [],
  },
  {
    name: 'already charged -> none',
    input: input({ existingChargeKeys: [`${ACC}/A/0753T`] }),
    charges: [],
    noCharge: [['A', 'already-charged']],
  },
  {
    name: 'charged under the old code, primary changed 88305 -> 88307 -> 0754T',
    input: input({
      case: caseFacts({ specimens: [{ specimenId: 'A', primaryCpt: '88307', units: 1 }] }),
      existingChargeKeys: [`${ACC}/A/0753T`],
    }),
    charges: [['A', '0754T', 1]],
    noCharge: [],
  },
  {
    name: 'cancelled case -> none',
    input: input({ case: caseFacts({ status: 'cancelled' }) }),
    charges: [],
    noCharge: [['A', 'case-cancelled']],
  },
  {
    name: 'units 3 -> units 3',
    input: input({ case: caseFacts({ specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 3 }] }) }),
    charges: [['A', '0753T', 3]],
    noCharge: [],
  },
  {
    name: 'units 0 -> none',
    input: input({ case: caseFacts({ specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 0 }] }) }),
    charges: [],
    noCharge: [['A', 'invalid-units']],
  },
  {
    name: 'collected before 2023-01-01 -> no add-on',
    input: input({ case: caseFacts({ collectionDate: '2022-12-31' }) }),
    charges: [],
    noCharge: [['A', 'no-add-on-code']],
  },
  {
    name: 'collected on 2023-01-01 -> add-on',
    input: input({ case: caseFacts({ collectionDate: '2023-01-01' }) }),
    charges: [['A', '0753T', 1]],
    noCharge: [],
  },
  {
    name: 'collection date not a date -> none',
    input: input({ case: caseFacts({ collectionDate: '02/03/2026' }) }),
    charges: [],
    noCharge: [['A', 'invalid-date-of-service']],
  },
  {
    name: 'slide of another specimen does not charge this one',
    input: input({
      case: caseFacts({
        specimens: [
          { specimenId: 'A', primaryCpt: '88305', units: 1 },
          { specimenId: 'B', primaryCpt: '88305', units: 1 },
        ],
        slides: [
          { barcode: 'SL-A1', specimenId: 'A' },
          { barcode: 'SL-B1', specimenId: 'B' },
        ],
      }),
      scans: [scan('s1', 'SL-A1')],
      qcResults: [qc('s1', true)],
    }),
    charges: [['A', '0753T', 1]],
    noCharge: [['B', 'no-completed-scan']],
  },
  {
    name: 'scan of a slide not in this case -> none',
    input: input({ scans: [scan('s9', 'SL-OTHER-CASE')], qcResults: [qc('s9', true)] }),
    charges: [],
    noCharge: [['A', 'no-completed-scan']],
  },
  {
    name: 'specimen without slides -> none',
    input: input({ case: caseFacts({ slides: [] }) }),
    charges: [],
    noCharge: [['A', 'no-slides']],
  },
  {
    name: 'barcode listed under two specimens charges neither',
    input: input({
      case: caseFacts({
        specimens: [
          { specimenId: 'A', primaryCpt: '88305', units: 1 },
          { specimenId: 'B', primaryCpt: '88305', units: 1 },
        ],
        slides: [
          { barcode: 'SL-X', specimenId: 'A' },
          { barcode: 'SL-X', specimenId: 'B' },
        ],
      }),
      scans: [scan('s1', 'SL-X')],
    }),
    charges: [],
    noCharge: [
      ['A', 'no-slides'],
      ['B', 'no-slides'],
    ],
  },
  {
    name: 'mixed case: 88305 + 88342 + 88300',
    input: input({
      case: caseFacts({
        specimens: [
          { specimenId: 'C', primaryCpt: '88300', units: 1 },
          { specimenId: 'B', primaryCpt: '88342', units: 2 },
          { specimenId: 'A', primaryCpt: '88305', units: 1 },
        ],
        slides: [
          { barcode: 'SL-A1', specimenId: 'A' },
          { barcode: 'SL-B1', specimenId: 'B' },
          { barcode: 'SL-C1', specimenId: 'C' },
        ],
      }),
      scans: [scan('s1', 'SL-A1'), scan('s2', 'SL-B1'), scan('s3', 'SL-C1')],
      qcResults: [qc('s1', true), qc('s2', true), qc('s3', true)],
    }),
    charges: [
      ['A', '0753T', 1],
      ['B', '0760T', 2],
    ],
    noCharge: [['C', 'no-add-on-code']],
  },
];

describe('decideDigitizationCharges / explainNoCharge', () => {
  it.each(table.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const decisions = decideDigitizationCharges(row.input);
    expect(decisions.map((d) => [d.specimenId, d.code, d.units])).toEqual(row.charges);
    expect(explainNoCharge(row.input).map((e) => [e.specimenId, e.reason])).toEqual(row.noCharge);
  });
});

describe('decideDigitizationCharges: the charge itself', () => {
  it('fills every field from the case, the specimen and the qualifying scans', () => {
    const [d] = decideDigitizationCharges(
      input({
        scans: [scan('s2', 'SL-A2'), scan('s1', 'SL-A1'), scan('s0', 'SL-A1', { status: 'failed' })],
        qcResults: [qc('s1', true), qc('s2', true)],
      }),
    );
    expect(d).toMatchObject({
      chargeKey: 'S26-000123/A/0753T',
      accessionNumber: ACC,
      specimenId: 'A',
      code: '0753T',
      primaryCode: '88305',
      units: 1,
      dateOfService: '2026-03-02',
      patientId: 'P-1',
      payerId: 'MEDICARE',
      diagnoses: ['C50.911', 'D37.9'],
      slideBarcodes: ['SL-A1', 'SL-A2'],
      scanIds: ['s1', 's2'],
      causedBy: ['ev-s1', 'ev-s2', 'qc-s1-pass', 'qc-s2-pass'],
    });
  });

  it('uses the collection date as date of service, not the scan date', () => {
    const [d] = decideDigitizationCharges(
      input({ scans: [scan('s1', 'SL-A1', { completedAt: '2026-03-30T09:00:00Z' })] }),
    );
    expect(d.dateOfService).toBe('2026-03-02');
    expect(d.dateOfServiceHold).toBeUndefined();
    expect(d.trace).toContainEqual(expect.objectContaining({ rule: 'date-of-service', outcome: 'collection-date' }));
  });

  it('marks an archived specimen (digitized more than 30 days after collection) without a retrieval date for a hold', () => {
    const [d] = decideDigitizationCharges(
      input({ scans: [scan('s1', 'SL-A1', { completedAt: '2026-04-15T09:00:00Z' })] }),
    );
    expect(d.dateOfService).toBe('2026-03-02');
    expect(d.dateOfServiceHold).toContain('stored 44 days');
    expect(d.trace).toContainEqual(expect.objectContaining({ rule: 'date-of-service', outcome: 'hold:archived-retrieval-date-unknown' }));
  });

  it('leaves QC events out of causedBy when the policy does not require QC', () => {
    const [d] = decideDigitizationCharges(input({ policy: NO_QC }));
    expect(d.causedBy).toEqual(['ev-s1']);
  });

  it('explains itself in the trace', () => {
    const [d] = decideDigitizationCharges(input());
    expect(d.trace).toContainEqual({ rule: 'add-on-pairing', outcome: 'matched', detail: '88305 -> 0753T (CAP 2023)' });
    expect(d.trace).toContainEqual(expect.objectContaining({ rule: 'units', outcome: '1' }));
    expect(d.trace.find((t) => t.rule === 'units')?.detail).toContain('one-to-one with primary units');
    expect(d.trace[d.trace.length - 1]).toEqual(expect.objectContaining({ rule: 'decision', outcome: 'charge' }));
  });

  it('flags an unconfirmed pairing in the trace (0758T <-> 88314) but still decides', () => {
    const [d] = decideDigitizationCharges(
      input({ case: caseFacts({ specimens: [{ specimenId: 'A', primaryCpt: '88314', units: 1 }] }) }),
    );
    expect(d.code).toBe('0758T');
    expect(d.trace).toContainEqual(expect.objectContaining({ rule: 'add-on-pairing', outcome: 'matched-unconfirmed' }));
  });

  it('honours a code table given as data (a sunset date)', () => {
    const table: AddOnCodeRow[] = DEFAULT_DIGITIZATION_POLICY.addOnCodes.map((r) => ({ ...r, effectiveTo: '2025-12-31' }));
    const policy = { ...DEFAULT_DIGITIZATION_POLICY, addOnCodes: table };
    expect(decideDigitizationCharges(input({ policy }))).toEqual([]);
    expect(explainNoCharge(input({ policy }))[0].detail).toContain('in force on 2026-03-02');
  });

  it('a rescan of an already charged specimen adds nothing', () => {
    const first = decideDigitizationCharges(input());
    expect(first).toHaveLength(1);
    const again = input({
      scans: [scan('s1', 'SL-A1'), scan('s1-rescan', 'SL-A2')],
      qcResults: [qc('s1', true), qc('s1-rescan', true)],
      existingChargeKeys: first.map((d) => d.chargeKey),
    });
    expect(decideDigitizationCharges(again)).toEqual([]);
  });

  it('never emits the same chargeKey twice when a specimen id is repeated in the facts', () => {
    const facts = caseFacts({
      specimens: [
        { specimenId: 'A', primaryCpt: '88305', units: 1 },
        { specimenId: 'A', primaryCpt: '88305', units: 1 },
      ],
    });
    expect(decideDigitizationCharges(input({ case: facts }))).toHaveLength(1);
    expect(explainNoCharge(input({ case: facts })).map((e) => e.reason)).toEqual(['already-charged']);
  });

  it('treats any QC failure of a scan as a failure, whatever order the verdicts come in', () => {
    for (const qcResults of [
      [qc('s1', true), qc('s1', false, ['stitching errors 2 above 0'])],
      [qc('s1', false, ['stitching errors 2 above 0']), qc('s1', true)],
    ]) {
      expect(decideDigitizationCharges(input({ qcResults }))).toEqual([]);
      expect(explainNoCharge(input({ qcResults }))[0].detail).toContain('stitching errors 2 above 0');
    }
  });

  it('is deterministic: input order does not change the output', () => {
    const base = input({
      case: caseFacts({
        specimens: [
          { specimenId: 'A', primaryCpt: '88305', units: 1 },
          { specimenId: 'B', primaryCpt: '88307', units: 1 },
        ],
        slides: [
          { barcode: 'SL-A1', specimenId: 'A' },
          { barcode: 'SL-A2', specimenId: 'A' },
          { barcode: 'SL-B1', specimenId: 'B' },
        ],
      }),
      scans: [scan('s1', 'SL-A1'), scan('s2', 'SL-A2'), scan('s3', 'SL-B1')],
      qcResults: [qc('s1', true), qc('s2', true), qc('s3', true)],
    });
    const reversed: DigitizationChargeInput = {
      ...base,
      case: { ...base.case, specimens: [...base.case.specimens].reverse(), slides: [...base.case.slides].reverse() },
      scans: [...base.scans].reverse(),
      qcResults: [...base.qcResults].reverse(),
    };
    expect(decideDigitizationCharges(reversed)).toEqual(decideDigitizationCharges(base));
    expect(explainNoCharge(reversed)).toEqual(explainNoCharge(base));
  });

  it('does not modify its input', () => {
    const i = input({ scans: [scan('s2', 'SL-A2'), scan('s1', 'SL-A1')], qcResults: [qc('s2', true), qc('s1', true)] });
    const copy = JSON.parse(JSON.stringify(i));
    decideDigitizationCharges(i);
    explainNoCharge(i);
    expect(i).toEqual(copy);
  });
});

describe('explainNoCharge: details for ops', () => {
  it.each<[string, DigitizationChargeInput, string]>([
    ['no add-on', input({ case: caseFacts({ specimens: [{ specimenId: 'A', primaryCpt: '88300', units: 1 }] }) }), '88300 has no digitization add-on code'],
    ['failed scan', input({ scans: [scan('s1', 'SL-A1', { status: 'failed' })] }), 'scan failed'],
    ['archive', input({ scans: [scan('s1', 'SL-A1', { purpose: 'archive' })] }), 'purpose archive is not billable'],
    ['QC failed', input({ qcResults: [qc('s1', false, ['barcode not read'])] }), 'QC failed (barcode not read)'],
    ['already charged', input({ existingChargeKeys: [`${ACC}/A/0753T`] }), `${ACC}/A/0753T is already stored`],
    ['cancelled', input({ case: caseFacts({ status: 'cancelled' }) }), 'cancelled'],
  ])('%s', (_label, i, text) => {
    const [e] = explainNoCharge(i);
    expect(e.detail).toContain(text);
    expect(e.trace[e.trace.length - 1]).toEqual(expect.objectContaining({ rule: 'decision', outcome: 'no-charge' }));
  });

  it('names the furthest stage reached when scans fail for different reasons', () => {
    const [e] = explainNoCharge(
      input({
        scans: [scan('s0', 'SL-A1', { status: 'failed' }), scan('s1', 'SL-A1', { purpose: 'education' }), scan('s2', 'SL-A2')],
        qcResults: [qc('s2', false, ['tissue missed'])],
      }),
    );
    expect(e.reason).toBe('qc-failed');
    expect(e.code).toBe('0753T');
    expect(e.chargeKey).toBe(`${ACC}/A/0753T`);
  });

  it('returns nothing for a specimen that is charged', () => {
    expect(explainNoCharge(input())).toEqual([]);
  });
});
