import fc from 'fast-check';
import type { Charge } from '@slidecharge/contracts';
import { buildDftP03, modifierCodingSystem, providerName } from './dft';
import { validateV251 } from './v251-validator';
import { parseMessage, readValue, repetitionCount } from './encoding';
import { frame, MllpDecoder } from './mllp';

const charge: Charge = {
  chargeId: '6f1c2a8e-3b1d-5c7a-9e0f-1a2b3c4d5e6f',
  chargeKey: 'S26-004410/A/0753T',
  transactionType: 'CG',
  accessionNumber: 'S26-004410',
  specimenId: 'A',
  code: '0753T',
  primaryCode: '88305',
  units: 2,
  dateOfService: '2026-04-01',
  patientId: 'E4401987',
  payerId: 'AETNA',
  diagnoses: ['K63.5', 'D12.2'],
  slideBarcodes: ['S26-004410-A1-1'],
  scanIds: ['scan-1'],
  causedBy: ['evt-1'],
  postedAt: '2026-04-02T15:30:00Z',
  modifiers: [],
  diagnosisPointers: [1, 2],
  performer: { step: 'scanning', taxonomy: '246QH0600X', description: 'Specialist/Technologist, Pathology - Histology' },
  policyVersion: '2025.1',
  payerPolicyId: 'aetna',
  flags: [],
  trace: [],
};
const at = new Date('2026-04-02T15:31:00Z');

function parse(text: string) {
  const p = parseMessage(text);
  if (!p.ok) throw new Error(p.reason);
  return p.message;
}

describe('buildDftP03', () => {
  const text = buildDftP03(charge, {
    messageControlId: 'DFT-0001',
    transactionId: '1041',
    timestamp: at,
    receivingApplication: 'EPIC',
    receivingFacility: 'UNIV',
    performedBy: { npi: '1234567893', family: 'HOUSE', given: 'GREGORY' },
    orderedBy: { npi: '1548302744', family: 'WELBY' },
    modifiers: ['26', 'TC', '59', 'GY'],
    description: 'Digitization of glass slide',
    department: { code: 'PATH', text: 'Anatomic pathology' },
    patient: { familyName: 'DOE', givenName: 'JANE', birthDate: '1961-07-04', administrativeSex: 'F', identifierAuthority: 'UNIVHOSP' },
    payer: { name: 'Aetna', plan: 'AETNA-PPO' },
  });
  const m = parse(text);

  it('has the DFT_P03 segments in order', () => {
    expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1', 'FT1', 'NTE', 'PR1', 'DG1', 'DG1', 'IN1']);
    expect(m.getSegment('MSH')?.getField(9).toString()).toBe('DFT^P03^DFT_P03');
    expect(readValue(m.getSegment('MSH'), 10)).toBe('DFT-0001');
    expect(readValue(m.getSegment('MSH'), 12)).toBe('2.5.1');
    expect(readValue(m.getSegment('EVN'), 1)).toBe(''); // EVN-1 is B in v2.5.1
    expect(m.getSegment('PID')?.getField(3).toString()).toBe('E4401987^^^UNIVHOSP^MR');
    expect(m.getSegment('PID')?.getField(5).toString()).toBe('DOE^JANE^^^^^L');
    expect([readValue(m.getSegment('PID'), 7), readValue(m.getSegment('PID'), 8)]).toEqual(['19610704', 'F']);
  });

  it('passes the v2.5.1 check', () => {
    expect(validateV251(text)).toEqual([]);
  });

  it('puts each FT1 field at its position', () => {
    const ft1 = m.getSegment('FT1');
    const f = (n: number, c = 1, rep = 0) => readValue(ft1, n, c, 1, rep);
    expect(f(1)).toBe('1');
    expect(f(2)).toBe('1041'); // transaction id
    expect(f(4)).toBe('20260401'); // transaction date = date of service
    expect(f(5)).toBe('20260402153000+0000'); // posting date
    expect(f(6)).toBe('CG');
    expect(f(7)).toBe('0753T');
    expect(f(7, 2)).toBe('Digitization of glass slide');
    expect(f(8)).toBe(''); // B in v2.5.1
    expect(ft1?.getField(13).toString()).toBe('PATH^Anatomic pathology');
    expect(f(10)).toBe('2'); // quantity
    expect(repetitionCount(ft1, 19)).toBe(2);
    expect([f(19, 1, 0), f(19, 3, 0), f(19, 1, 1)]).toEqual(['K63.5', 'I10', 'D12.2']);
    expect(ft1?.getField(20).toString()).toBe('1234567893^HOUSE^GREGORY^^^^^^&2.16.840.1.113883.4.6&ISO^L^^^NPI');
    expect(ft1?.getField(21).toString()).toBe('1548302744^WELBY^^^^^^^&2.16.840.1.113883.4.6&ISO^L^^^NPI');
    expect(f(23)).toBe('S26-004410'); // filler order number = accession
    expect(ft1?.getField(25).toString()).toBe('0753T^^C4');
    expect(ft1?.getField(26).toString()).toBe('26^^C4~TC^^HCPCS~59^^C4~GY^^HCPCS');
  });

  it('NTE carries the chargeId; PR1-19 names the charge line by its FT1-2, PR1-20 A', () => {
    expect(readValue(m.getSegment('NTE'), 3)).toBe(`chargeId ${charge.chargeId}`);
    expect(m.getSegment('PR1')?.getField(19).toString()).toBe('1041^SLIDECHARGE');
    expect(readValue(m.getSegment('PR1'), 20)).toBe('A');
    expect(readValue(m.getSegment('PR1'), 5)).toBe('20260401');
  });

  it('DG1 per diagnosis and IN1 with the payer', () => {
    expect(m.getAllSegments('DG1').map((d) => d.toString())).toEqual(['DG1|1||K63.5^^I10|||F', 'DG1|2||D12.2^^I10|||F']);
    expect(m.getSegment('IN1')?.toString()).toBe('IN1|1|AETNA-PPO|AETNA|Aetna');
  });

  it('a credit: FT1-6 = CD, its own FT1-2, PR1-19 = the charge\'s FT1-2 with PR1-20 D, NTE the charge\'s chargeId', () => {
    const credit = parse(buildDftP03(charge, { messageControlId: 'DFT-0002', transactionId: '1077', timestamp: at, credit: { chargeTransactionId: '1041' } }));
    expect(readValue(credit.getSegment('FT1'), 6)).toBe('CD');
    expect(readValue(credit.getSegment('FT1'), 2)).toBe('1077');
    expect(credit.getSegment('PR1')?.getField(19).toString()).toBe('1041^SLIDECHARGE');
    expect(readValue(credit.getSegment('PR1'), 20)).toBe('D');
    expect(readValue(credit.getSegment('NTE'), 3)).toBe(`chargeId ${charge.chargeId}`);
  });

  it('modifier coding systems: CPT-4 for two-digit modifiers, HCPCS for Level II', () => {
    expect(['26', '59', '91', 'TC', 'GY', 'Q1', 'XS'].map(modifierCodingSystem)).toEqual(['C4', 'C4', 'C4', 'HCPCS', 'HCPCS', 'HCPCS', 'HCPCS']);
  });

  it('the ordering provider name as the order intake stores it', () => {
    expect(providerName('1548302744 WELBY, MARCUS')).toEqual({ family: 'WELBY', given: 'MARCUS' });
    expect(providerName('WELBY, MARCUS')).toEqual({ family: 'WELBY', given: 'MARCUS' });
    expect(providerName('Dr Welby')).toEqual({ family: 'Dr Welby' });
    expect(providerName('1548302744')).toEqual({});
    expect(providerName(undefined)).toEqual({});
  });

  it('no diagnoses, no modifiers: no DG1, empty FT1-19 and FT1-26', () => {
    const plain = parse(buildDftP03({ ...charge, diagnoses: [] }, { messageControlId: 'X', transactionId: '1', timestamp: at }));
    expect(plain.getAllSegments('DG1')).toHaveLength(0);
    expect(repetitionCount(plain.getSegment('FT1'), 19)).toBe(0);
    expect(repetitionCount(plain.getSegment('FT1'), 26)).toBe(0);
  });
});

describe('buildDftP03: round trip', () => {
  it('property: ids and codes with HL7 delimiters survive build -> parse', () => {
    const text = fc.string({ minLength: 1, maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' ').trim()).filter((s) => s.length > 0);
    fc.assert(
      fc.property(text, text, text, fc.integer({ min: 1, max: 99 }), (patientId, payerId, accession, units) => {
        const m = parse(buildDftP03({ ...charge, patientId, payerId, accessionNumber: accession, units }, { messageControlId: 'P', transactionId: '1', timestamp: at }));
        expect(readValue(m.getSegment('PID'), 3)).toBe(patientId);
        expect(readValue(m.getSegment('IN1'), 3)).toBe(payerId);
        expect(readValue(m.getSegment('FT1'), 23)).toBe(accession);
        expect(readValue(m.getSegment('FT1'), 10)).toBe(String(units));
        expect(m.segments).toHaveLength(10);
      }),
      { numRuns: 300 },
    );
  });
});

describe('buildDftP03: no control character reaches the wire (defence in depth behind the intake)', () => {
  const C0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).concat('\x7f');
  /** Text made of anything, control characters (0x0B and 0x1C above all) and HL7 delimiters mixed in. */
  const hostile = fc
    .array(fc.oneof(fc.constantFrom(...C0, '\x0b', '\x1c', '|', '^', '~', '\\', '&'), fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 24 })
    .map((parts) => parts.join(''));
  const options = { messageControlId: 'P', transactionId: '1', timestamp: at };

  it('property: every field it writes is escaped; the frame decodes to exactly this one message with no byte below 0x20 but CR', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, (patientId, payerId, description, assigningAuthority) => {
        const text = buildDftP03({ ...charge, patientId, payerId }, { ...options, description, patient: { identifierAuthority: assigningAuthority, familyName: patientId, givenName: description } });
        for (const ch of text) {
          const code = ch.charCodeAt(0);
          expect(code >= 0x20 && code !== 0x7f ? true : ch === '\r').toBe(true);
        }
        const decoded = new MllpDecoder().push(frame(text));
        expect(decoded).toEqual([text]);
        expect(parse(text).segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1', 'FT1', 'NTE', 'PR1', 'DG1', 'DG1', 'IN1']);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a patient id with control characters reads back as sent (they travel as \\Xhh\\)', () => {
    const id = fc
      .array(fc.oneof(fc.constantFrom('\x00', '\x0b', '\x1c', '\x01', '\t', '\x7f'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 10 })
      .map((parts) => parts.join(''))
      .filter((s) => s.trim() === s && s.length > 0);
    fc.assert(
      fc.property(id, (patientId) => {
        expect(readValue(parse(buildDftP03({ ...charge, patientId }, options)).getSegment('PID'), 3)).toBe(patientId);
      }),
      { numRuns: 300 },
    );
  });

  it('the reviewer\'s input: 0x0B and 0x1C in a patient id are written as \\X0B\\ and \\X1C\\', () => {
    const text = buildDftP03({ ...charge, patientId: 'MRN\x0b1\x1c\r' }, options);
    expect(text).toContain('\rPID|1||MRN\\X0B\\1\\X1C\\\\.br\\^^^^MR\r');
    expect(new MllpDecoder().push(frame(text))).toEqual([text]);
  });
});
