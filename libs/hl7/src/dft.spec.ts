import fc from 'fast-check';
import type { Charge } from '@slidecharge/contracts';
import { buildDftP03 } from './dft';
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
    timestamp: at,
    receivingApplication: 'EPIC',
    receivingFacility: 'UNIV',
    performedBy: { id: '5678', family: 'HOUSE', given: 'GREGORY' },
    orderedBy: { id: '1234', family: 'WELBY' },
    modifiers: ['26', '59'],
    description: 'Digitization of glass slide',
  });
  const m = parse(text);

  it('has the DFT_P03 segments in order', () => {
    expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1', 'FT1', 'DG1', 'DG1', 'IN1']);
    expect(m.getSegment('MSH')?.getField(9).toString()).toBe('DFT^P03^DFT_P03');
    expect(readValue(m.getSegment('MSH'), 10)).toBe('DFT-0001');
    expect(readValue(m.getSegment('MSH'), 12)).toBe('2.5.1');
    expect(readValue(m.getSegment('EVN'), 1)).toBe('P03');
    expect(readValue(m.getSegment('PID'), 3)).toBe('E4401987');
  });

  it('puts each FT1 field at its position', () => {
    const ft1 = m.getSegment('FT1');
    const f = (n: number, c = 1, rep = 0) => readValue(ft1, n, c, 1, rep);
    expect(f(1)).toBe('1');
    expect(f(2)).toBe(charge.chargeId); // transaction id
    expect(f(4)).toBe('20260401'); // transaction date = date of service
    expect(f(5)).toBe('20260402153000+0000'); // posting date
    expect(f(6)).toBe('CG');
    expect(f(7)).toBe('0753T');
    expect(f(8)).toBe('Digitization of glass slide');
    expect(f(10)).toBe('2'); // quantity
    expect(repetitionCount(ft1, 19)).toBe(2);
    expect([f(19, 1, 0), f(19, 3, 0), f(19, 1, 1)]).toEqual(['K63.5', 'I10', 'D12.2']);
    expect(ft1?.getField(20).toString()).toBe('5678^HOUSE^GREGORY');
    expect(ft1?.getField(21).toString()).toBe('1234^WELBY');
    expect(f(23)).toBe('S26-004410'); // filler order number = accession
    expect(ft1?.getField(25).toString()).toBe('0753T^^C4');
    expect(ft1?.getField(26).toString()).toBe('26^^C4~59^^C4');
  });

  it('DG1 per diagnosis and IN1 with the payer', () => {
    expect(m.getAllSegments('DG1').map((d) => [readValue(d, 1), readValue(d, 3), readValue(d, 6)])).toEqual([
      ['1', 'K63.5', 'F'],
      ['2', 'D12.2', 'F'],
    ]);
    expect(readValue(m.getSegment('IN1'), 3)).toBe('AETNA');
  });

  it('a credit is FT1-6 = CD with FT1-2 = the original charge id', () => {
    const credit = parse(buildDftP03({ ...charge, chargeId: '00000000-0000-4000-8000-000000000001' }, { messageControlId: 'DFT-0002', timestamp: at, credit: { originalChargeId: charge.chargeId } }));
    expect(readValue(credit.getSegment('FT1'), 6)).toBe('CD');
    expect(readValue(credit.getSegment('FT1'), 2)).toBe(charge.chargeId);
  });

  it('no diagnoses, no modifiers: no DG1, empty FT1-19 and FT1-26', () => {
    const plain = parse(buildDftP03({ ...charge, diagnoses: [] }, { messageControlId: 'X', timestamp: at }));
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
        const m = parse(buildDftP03({ ...charge, patientId, payerId, accessionNumber: accession, units }, { messageControlId: 'P', timestamp: at }));
        expect(readValue(m.getSegment('PID'), 3)).toBe(patientId);
        expect(readValue(m.getSegment('IN1'), 3)).toBe(payerId);
        expect(readValue(m.getSegment('FT1'), 23)).toBe(accession);
        expect(readValue(m.getSegment('FT1'), 10)).toBe(String(units));
        expect(m.segments).toHaveLength(8);
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
  const options = { messageControlId: 'P', timestamp: at };

  it('property: every field it writes is escaped; the frame decodes to exactly this one message with no byte below 0x20 but CR', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, (patientId, payerId, description, assigningAuthority) => {
        const text = buildDftP03({ ...charge, patientId, payerId }, { ...options, description, assigningAuthority, patientName: { family: patientId, given: description } });
        for (const ch of text) {
          const code = ch.charCodeAt(0);
          expect(code >= 0x20 && code !== 0x7f ? true : ch === '\r').toBe(true);
        }
        const decoded = new MllpDecoder().push(frame(text));
        expect(decoded).toEqual([text]);
        expect(parse(text).segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1', 'FT1', 'DG1', 'DG1', 'IN1']);
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
