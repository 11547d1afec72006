import { parseMessage, readValue } from '@slidecharge/hl7';
import type { Charge as ChargeRow } from '../generated/prisma/client';
import { messageControlIdFor } from './delivery-policy';
import { dftMessageOf } from './delivery-message';

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
};
const settings = { receivingApplication: 'EPIC', receivingFacility: 'MAIN', sendingFacility: 'PATHLAB' };

function segments(text: string) {
  const parsed = parseMessage(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { msh: parsed.message.getSegment('MSH'), ft1: parsed.message.getSegment('FT1'), pid: parsed.message.getSegment('PID'), message: parsed.message };
}

describe('the DFT^P03 of a delivery', () => {
  it('a charge: FT1-6 CG, FT1-2 the chargeId, MSH-10 the delivery control id, MSH-7 the time it was queued', () => {
    const controlId = messageControlIdFor('charge', chargeId);
    const text = dftMessageOf({ messageControlId: controlId, createdAt: new Date('2026-03-02T10:14:05.000Z') }, { charge: row, credit: null }, settings);
    const { msh, ft1, pid, message } = segments(text);
    expect([3, 4, 5, 6].map((f) => readValue(msh, f))).toEqual(['SLIDECHARGE', 'PATHLAB', 'EPIC', 'MAIN']);
    expect(readValue(msh, 7)).toMatch(/^20260302\d{6}/);
    expect([readValue(msh, 9, 1), readValue(msh, 9, 2)]).toEqual(['DFT', 'P03']);
    expect(readValue(msh, 10)).toBe(controlId);
    expect(readValue(pid, 3)).toBe('MRN-0042');
    expect(readValue(ft1, 2)).toBe(chargeId);
    expect(readValue(ft1, 4)).toBe('20260302');
    expect(readValue(ft1, 6)).toBe('CG');
    expect(readValue(ft1, 7)).toBe('0753T');
    expect(readValue(ft1, 10)).toBe('2');
    expect(readValue(ft1, 23)).toBe('S26-000123');
    expect(readValue(ft1, 25)).toBe('0753T');
    expect(readValue(ft1, 26)).toBe('Q1');
    expect([readValue(ft1, 19, 1, 1, 0), readValue(ft1, 19, 1, 1, 1)]).toEqual(['C50.911', 'D37.9']);
    expect(message.getAllSegments('DG1')).toHaveLength(2);
    expect(readValue(message.getSegment('IN1'), 3)).toBe('AETNA');
  });

  it('is the same text on every attempt', () => {
    const delivery = { messageControlId: messageControlIdFor('charge', chargeId), createdAt: new Date('2026-03-02T10:14:05.000Z') };
    expect(dftMessageOf(delivery, { charge: row, credit: null }, settings)).toBe(dftMessageOf(delivery, { charge: { ...row }, credit: null }, settings));
  });

  it('a credit: FT1-6 CD, FT1-2 the original chargeId, FT1-5 the time of the credit, its own MSH-10', () => {
    const creditControlId = messageControlIdFor('credit', 'c1b2a3d4-0000-5000-8000-000000000001');
    const text = dftMessageOf(
      { messageControlId: creditControlId, createdAt: new Date('2026-03-05T08:00:01.000Z') },
      { charge: row, credit: { createdAt: new Date('2026-03-05T08:00:00.000Z') } },
      {},
    );
    const { msh, ft1 } = segments(text);
    expect(readValue(msh, 10)).toBe(creditControlId);
    expect([readValue(msh, 5), readValue(msh, 6)]).toEqual(['', '']);
    expect(readValue(ft1, 6)).toBe('CD');
    expect(readValue(ft1, 2)).toBe(chargeId);
    expect(readValue(ft1, 4)).toBe('20260302');
    expect(readValue(ft1, 5)).toMatch(/^20260305/);
    expect(readValue(ft1, 10)).toBe('2');
  });
});
