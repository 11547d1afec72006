import { parseMessage, readValue, validateV251 } from '@slidecharge/hl7';
import type { Charge as ChargeRow } from '../generated/prisma/client';
import { messageControlIdFor } from './delivery-policy';
import { DftBuild, dftMessageOf } from './delivery-message';
import type { DeliverySubject } from './delivery.repository';

const chargeId = '5b0c2f6e-8d4c-5c4e-9a51-2f0d3b7c1a90';
const row: ChargeRow = {
  chargeId,
  chargeKey: 'S26-000123/A/0753T',
  generation: 1,
  accessionNumber: 'S26-000123',
  specimenId: 'A',
  code: '0753T',
  primaryCode: '88305',
  units: 2,
  dateOfService: new Date('2026-03-02T00:00:00.000Z'),
  patientId: 'MRN-0042',
  payerId: 'AETNA',
  diagnoses: ['C50.911', 'D37.9'],
  diagnosisPointers: [1, 2],
  modifiers: ['Q1'],
  refusedModifiers: [],
  performerTaxonomy: '246QH0600X',
  performerName: 'histotechnologist',
  policyVersion: '2025.1',
  payerPolicyId: 'aetna',
  holdReasons: [],
  flags: [],
  replacesChargeId: null,
  slideBarcodes: ['S26-000123-A1-1'],
  scanIds: ['img-1'],
  causedBy: ['evt-1'],
  trace: [],
  status: 'posted',
  postedAt: new Date('2026-03-02T10:14:04.002Z'),
  release: null,
  statusChangedAt: new Date('2026-03-02T10:14:04.002Z'),
  createdAt: new Date('2026-03-02T10:14:04.002Z'),
  traceId: null,
};
const settings = {
  receivingApplication: 'EPIC',
  receivingFacility: 'MAIN',
  sendingFacility: 'PATHLAB',
  performer: { npi: '1234567893', family: 'UNIVERSITY PATHOLOGY LAB' },
  department: { code: 'PATH', text: 'Anatomic pathology' },
};
const billingCase: NonNullable<DeliverySubject['case']> = {
  patient: { familyName: 'DOE', givenName: 'JANE', birthDate: '1961-07-04', administrativeSex: 'F', identifierAuthority: 'UNIVHOSP' },
  payerName: 'Aetna',
  payerPlan: 'AETNA-PPO',
  orderingProvider: '1548302744 WELBY, MARCUS',
  orderingProviderNpi: '1548302744',
};
const subject = (over: Partial<DeliverySubject> = {}): DeliverySubject => ({ charge: row, credit: null, case: billingCase, chargeTransactionId: '1041', ...over });
const delivery = (controlId: string, createdAt: string, transactionId = '1041') => ({ messageControlId: controlId, createdAt: new Date(createdAt), transactionId, accessionNumber: 'S26-000123' });

function sent(build: DftBuild): string {
  if (!build.ok) throw new Error(build.reason);
  return build.message;
}

function segments(text: string) {
  const parsed = parseMessage(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { msh: parsed.message.getSegment('MSH'), ft1: parsed.message.getSegment('FT1'), pid: parsed.message.getSegment('PID'), message: parsed.message };
}

describe('the DFT^P03 of a delivery', () => {
  it('a charge: FT1-6 CG, FT1-2 the delivery\'s transaction id, MSH-10 the delivery control id, MSH-7 the time it was queued', () => {
    const controlId = messageControlIdFor('charge', chargeId);
    const text = sent(dftMessageOf(delivery(controlId, '2026-03-02T10:14:05.000Z'), subject(), settings));
    const { msh, ft1, pid, message } = segments(text);
    expect([3, 4, 5, 6].map((f) => readValue(msh, f))).toEqual(['SLIDECHARGE', 'PATHLAB', 'EPIC', 'MAIN']);
    expect(readValue(msh, 7)).toMatch(/^20260302\d{6}/);
    expect([readValue(msh, 9, 1), readValue(msh, 9, 2)]).toEqual(['DFT', 'P03']);
    expect(readValue(msh, 10)).toBe(controlId);
    expect(pid?.getField(3).toString()).toBe('MRN-0042^^^UNIVHOSP^MR');
    expect(pid?.getField(5).toString()).toBe('DOE^JANE^^^^^L');
    expect([readValue(pid, 7), readValue(pid, 8)]).toEqual(['19610704', 'F']);
    expect(readValue(ft1, 2)).toBe('1041');
    expect(ft1?.getField(13).toString()).toBe('PATH^Anatomic pathology');
    expect(ft1?.getField(20).toString()).toBe('1234567893^UNIVERSITY PATHOLOGY LAB^^^^^^^&2.16.840.1.113883.4.6&ISO^L^^^NPI');
    expect(ft1?.getField(21).toString()).toBe('1548302744^WELBY^MARCUS^^^^^^&2.16.840.1.113883.4.6&ISO^L^^^NPI');
    expect(message.getSegment('PR1')?.getField(19).toString()).toBe('1041^SLIDECHARGE');
    expect(readValue(message.getSegment('NTE'), 3)).toBe(`chargeId ${chargeId}`);
    expect(message.getSegment('IN1')?.toString()).toBe('IN1|1|AETNA-PPO|AETNA|Aetna');
    expect(validateV251(text)).toEqual([]);
    expect(readValue(ft1, 4)).toBe('20260302');
    expect(readValue(ft1, 6)).toBe('CG');
    expect(readValue(ft1, 7)).toBe('0753T');
    expect(readValue(ft1, 10)).toBe('2');
    expect(readValue(ft1, 23)).toBe('S26-000123');
    expect(readValue(ft1, 25)).toBe('0753T');
    expect(ft1?.getField(26).toString()).toBe('Q1^^HCPCS');
    expect([readValue(ft1, 19, 1, 1, 0), readValue(ft1, 19, 1, 1, 1)]).toEqual(['C50.911', 'D37.9']);
    expect(message.getAllSegments('DG1')).toHaveLength(2);
  });

  it('is the same text on every attempt', () => {
    const d = delivery(messageControlIdFor('charge', chargeId), '2026-03-02T10:14:05.000Z');
    expect(dftMessageOf(d, subject(), settings)).toEqual(dftMessageOf(d, subject({ charge: { ...row } }), settings));
  });

  it('a credit: FT1-6 CD, its own FT1-2, PR1-19 the charge\'s FT1-2 with PR1-20 D, FT1-5 the time of the credit, its own MSH-10', () => {
    const creditControlId = messageControlIdFor('credit', 'c1b2a3d4-0000-5000-8000-000000000001');
    const credit = { creditId: 'c1b2a3d4-0000-5000-8000-000000000001', creditFor: chargeId, reason: 'case-cancelled', detail: '', causedBy: [], trace: [], createdAt: new Date('2026-03-05T08:00:00.000Z'), traceId: null };
    const text = sent(dftMessageOf(delivery(creditControlId, '2026-03-05T08:00:01.000Z', '1077'), subject({ credit, chargeTransactionId: '1041' }), {}));
    const { msh, ft1 } = segments(text);
    expect(readValue(msh, 10)).toBe(creditControlId);
    expect([readValue(msh, 5), readValue(msh, 6)]).toEqual(['', '']);
    expect(readValue(ft1, 6)).toBe('CD');
    expect(readValue(ft1, 2)).toBe('1077');
    expect(segments(text).message.getSegment('PR1')?.getField(19).toString()).toBe('1041^SLIDECHARGE');
    expect(readValue(segments(text).message.getSegment('PR1'), 20)).toBe('D');
    expect(validateV251(text)).toEqual([]);
    expect(readValue(ft1, 4)).toBe('20260302');
    expect(readValue(ft1, 5)).toMatch(/^20260305/);
    expect(readValue(ft1, 10)).toBe('2');
  });

  it('refused, not sent half-empty: no patient name, no plan, no case at all', () => {
    const d = delivery('SCG1', '2026-03-02T10:14:05.000Z');
    expect(dftMessageOf(d, subject({ case: { ...billingCase, patient: { givenName: 'JANE' } } }), settings)).toEqual({
      ok: false,
      reason:
        'not sent: case S26-000123 has no patient family name (PID-5), which HL7 v2.5.1 requires in a DFT^P03; it is sent once the LIS sends a case version with them (or by POST /deliveries/{deliveryId}/retry)',
    });
    expect(dftMessageOf(d, subject({ case: { ...billingCase, payerPlan: null } }), settings)).toMatchObject({ ok: false, reason: expect.stringContaining('has no insurance plan (IN1-2)') });
    expect(dftMessageOf(d, subject({ case: null }), settings)).toMatchObject({ ok: false, reason: expect.stringContaining('has no patient family name (PID-5), no insurance plan (IN1-2)') });
  });

  it('refused when the message fails the v2.5.1 check: a patient id longer than CX.1 allows', () => {
    const build = dftMessageOf(delivery('SCG1', '2026-03-02T10:14:05.000Z'), subject({ charge: { ...row, patientId: 'MRN-0000000000000042' } }), settings);
    expect(build).toEqual({ ok: false, reason: 'not sent: the DFT^P03 fails the HL7 v2.5.1 check: length: PID-3 Patient Identifier List.1 ID Number is 20 characters long; v2.5.1 allows 15' });
  });
});
