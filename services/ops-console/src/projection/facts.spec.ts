import type { TopicMessage } from '@slidecharge/contracts';
import { activityOf, batchOf, changeOf, ChargeFact, countsByTopicAndType, CreditFact, factOf, Fact, ScanFact, traceIdOf } from './facts';

const envelope = { eventId: '5f1c2a7e-8d0b-4a53-9f7e-3a5b8c1d2e4f', schemaVersion: 1 as const, occurredAt: '2026-03-04T10:00:00.000Z', producer: 'x', correlationId: 'c' };

describe('facts of the projected events', () => {
  it('reads the trace id of a valid traceparent only', () => {
    expect(traceIdOf({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf({ traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' })).toBeNull();
    expect(traceIdOf({ traceparent: 'garbage' })).toBeNull();
    expect(traceIdOf({})).toBeNull();
  });

  it('keeps of a scan its attempt, slide, scanner and when the scanner says it scanned', () => {
    const value = { ...envelope, type: 'scan.completed', data: { scanId: 's1', slideBarcode: 'B-1', scannerId: 'GT450-01', scannedAt: '2026-03-04T09:59:00.000Z' } } as unknown as TopicMessage<'scan.events.v1'>;
    expect(factOf('scan.events.v1', value, {})).toEqual({
      kind: 'scan',
      eventId: envelope.eventId,
      scanId: 's1',
      type: 'scan.completed',
      slideBarcode: 'B-1',
      scannerId: 'GT450-01',
      scannedAt: new Date('2026-03-04T09:59:00.000Z'),
    });
  });

  it('keeps of a QC verdict pass or fail, the rules that failed (not the reason texts) and the verdict time', () => {
    const checks = [
      { rule: 'focus', passed: false, value: 0.42, threshold: '>= 0.70', reason: 'focus score 0.42 below 0.70 (out of focus)' },
      { rule: 'tissue', passed: true, value: 0.4, threshold: '>= 0.05' },
      { rule: 'stitching', passed: false, value: 3, threshold: '<= 0', reason: '3 stitching errors' },
    ];
    const reasons = checks.flatMap((c) => (c.reason ? [c.reason] : []));
    const value = { ...envelope, type: 'qc.failed', data: { scanId: 's1', slideBarcode: 'B-1', scanEventId: 'e', rulesVersion: 'v1', checks, reasons } } as unknown as TopicMessage<'qc.results.v1'>;
    expect(factOf('qc.results.v1', value, {})).toMatchObject({ kind: 'qc', passed: false, failedRules: ['focus', 'stitching'], at: new Date(envelope.occurredAt) });
  });

  it('keeps of a case event its version and time, and of a charge what the numbers need', () => {
    const caseEvent = { ...envelope, type: 'case.updated', data: { accessionNumber: 'S26-1', version: 2 } } as unknown as TopicMessage<'lis.case-events.v1'>;
    expect(factOf('lis.case-events.v1', caseEvent, {})).toMatchObject({ kind: 'case', accessionNumber: 'S26-1', version: 2, type: 'case.updated' });
    const charge = {
      ...envelope,
      type: 'charge.posted',
      data: { chargeId: 'c1', code: '0753T', payerId: 'AETNA', units: 2, accessionNumber: 'S26-1', postedAt: '2026-03-04T10:00:05.000Z', scanIds: ['s1'] },
    } as unknown as TopicMessage<'billing.charges.v1'>;
    const fact = factOf('billing.charges.v1', charge, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(fact).toMatchObject({ kind: 'charge', chargeId: 'c1', units: 2, scanIds: ['s1'], traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(fact.kind === 'charge' && activityOf(fact, { scanToCharge: 5, caseToCharge: 3600 })).toEqual({
      kind: 'charge',
      id: 'c1',
      chargeId: 'c1',
      accessionNumber: 'S26-1',
      code: '0753T',
      units: 2,
      payerId: 'AETNA',
      at: '2026-03-04T10:00:05.000Z',
      lagSeconds: 5,
      caseToChargeSeconds: 3600,
    });
  });

  it('names the reversed charge in the activity of a credit', () => {
    const credit = {
      ...envelope,
      type: 'charge.credited',
      data: { creditId: 'k1', creditFor: 'c1', code: '0753T', payerId: 'AETNA', units: 1, accessionNumber: 'S26-1', reason: 'case-cancelled', creditedAt: '2026-03-04T11:00:00.000Z' },
    } as unknown as TopicMessage<'billing.charges.v1'>;
    const fact = factOf('billing.charges.v1', credit, {});
    expect(fact.kind === 'credit' && activityOf(fact)).toMatchObject({ kind: 'credit', id: 'k1', chargeId: 'c1', lagSeconds: null, caseToChargeSeconds: null });
  });
});

describe('a batch of facts grouped by table', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 2, 4, 10, minute));
  const scan = (eventId: string, scanId: string, type: string, slideBarcode: string, minute: number, scannerId = 'GT450-01'): ScanFact => ({
    kind: 'scan',
    eventId,
    scanId,
    type,
    slideBarcode,
    scannerId,
    scannedAt: at(minute),
  });
  const charge = (eventId: string, chargeId: string, payerId: string): ChargeFact => ({
    kind: 'charge',
    eventId,
    chargeId,
    code: '0753T',
    payerId,
    units: 1,
    accessionNumber: 'S26-1',
    postedAt: at(30),
    scanIds: ['s1'],
    traceId: null,
  });
  const credit = (eventId: string, creditId: string, reason: string): CreditFact => ({
    kind: 'credit',
    eventId,
    creditId,
    creditFor: 'c1',
    code: '0753T',
    payerId: 'AETNA',
    units: 1,
    accessionNumber: 'S26-1',
    reason,
    creditedAt: at(40),
  });
  const caseVersion = (eventId: string, accessionNumber: string, version: number, minute: number): Fact => ({
    kind: 'case',
    eventId,
    accessionNumber,
    version,
    type: 'case.updated',
    occurredAt: at(minute),
    traceId: null,
  });

  it('keeps the first fact of each key, as an insert that changes nothing on a key already there does one event at a time', () => {
    const batch = batchOf([
      scan('e1', 's1', 'scan.completed', 'B-1', 5),
      scan('e2', 's1', 'scan.completed', 'B-1', 1, 'OTHER'),
      scan('e3', 's1', 'scan.started', 'B-1', 0),
      { kind: 'qc', eventId: 'e4', scanId: 's1', slideBarcode: 'B-1', passed: true, failedRules: [], at: at(6) },
      { kind: 'qc', eventId: 'e5', scanId: 's1', slideBarcode: 'B-1', passed: false, failedRules: ['focus'], at: at(7) },
      charge('e6', 'c1', 'AETNA'),
      charge('e7', 'C1', 'CIGNA'),
      charge('e8', 'c2', 'AETNA'),
      credit('e9', 'k1', 'case-cancelled'),
      credit('e10', 'k1', 'other'),
    ]);
    expect(batch.scans.map((s) => [s.eventId, s.type])).toEqual([
      ['e1', 'scan.completed'],
      ['e3', 'scan.started'],
    ]);
    expect(batch.verdicts.map((v) => [v.eventId, v.passed])).toEqual([['e4', true]]);
    expect(batch.charges.map((c) => [c.chargeId, c.payerId])).toEqual([
      ['c1', 'AETNA'],
      ['c2', 'AETNA'],
    ]);
    expect(batch.credits.map((c) => c.reason)).toEqual(['case-cancelled']);
  });

  it('first sees a case at the earliest time of its events, whatever their order, and keeps every version', () => {
    const batch = batchOf([caseVersion('e1', 'S26-1', 2, 20), caseVersion('e2', 'S26-2', 1, 15), caseVersion('e3', 'S26-1', 1, 10), caseVersion('e1', 'S26-1', 2, 20)]);
    expect(batch.caseVersions.map((c) => c.eventId)).toEqual(['e1', 'e2', 'e3']);
    expect(batch.casesFirstSeen).toEqual([
      { accessionNumber: 'S26-1', firstOccurredAt: at(10) },
      { accessionNumber: 'S26-2', firstOccurredAt: at(15) },
    ]);
  });

  it('names the barcodes and scans whose rescan flags and charge lags must be computed again: completed scans only, once each', () => {
    const batch = batchOf([
      scan('e1', 's1', 'scan.completed', 'B-1', 1),
      scan('e2', 's2', 'scan.completed', 'B-1', 2),
      scan('e3', 's3', 'scan.started', 'B-2', 3),
      scan('e4', 's1', 'scan.completed', 'B-1', 4),
      scan('e5', 's4', 'scan.failed', 'B-3', 5),
    ]);
    expect(batch.completedBarcodes).toEqual(['B-1']);
    expect(batch.completedScanIds).toEqual(['s1', 's2']);
  });

  it('is empty for no facts', () => {
    expect(batchOf([])).toEqual({ caseVersions: [], casesFirstSeen: [], scans: [], completedBarcodes: [], completedScanIds: [], verdicts: [], charges: [], credits: [] });
  });

  it('tells the live feed of each event, a charge with its lags as written (found whatever the case of its id)', () => {
    const lags = new Map([['c1', { scanToCharge: 12, caseToCharge: 340 }]]);
    expect(changeOf('billing.charges.v1', charge('e1', 'C1', 'AETNA'), lags).activity).toMatchObject({ kind: 'charge', id: 'C1', lagSeconds: 12, caseToChargeSeconds: 340 });
    expect(changeOf('billing.charges.v1', charge('e2', 'c9', 'AETNA'), lags).activity).toMatchObject({ lagSeconds: null, caseToChargeSeconds: null });
    expect(changeOf('billing.charges.v1', credit('e3', 'k1', 'case-cancelled'), lags).activity).toMatchObject({ kind: 'credit', id: 'k1', chargeId: 'c1' });
    expect(changeOf('scan.events.v1', scan('e4', 's1', 'scan.completed', 'B-1', 1), lags)).toEqual({ topic: 'scan.events.v1' });
  });

  it('counts a batch by topic and type', () => {
    expect(
      countsByTopicAndType([
        { topic: 'scan.events.v1', type: 'scan.completed' },
        { topic: 'scan.events.v1', type: 'scan.started' },
        { topic: 'scan.events.v1', type: 'scan.completed' },
        { topic: 'billing.charges.v1', type: 'charge.posted' },
      ]),
    ).toEqual({ 'scan.events.v1': { 'scan.completed': 2, 'scan.started': 1 }, 'billing.charges.v1': { 'charge.posted': 1 } });
  });
});
