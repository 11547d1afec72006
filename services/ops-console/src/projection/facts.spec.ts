import type { TopicMessage } from '@slidecharge/contracts';
import { activityOf, factOf, traceIdOf } from './facts';

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
