import { HEADERS } from '@slidecharge/contracts';
import { acceptCorrelationId, runWithCorrelation, currentCorrelationId } from './correlation';
import { buildEvent, checkOutgoing, ContractViolationError } from './events';

const verdict = {
  scanId: 'scan-1',
  slideBarcode: 'S26-1-A1-1',
  scanEventId: 'e-1',
  rulesVersion: 'qc-2026.1',
  checks: [],
  reasons: [],
};

describe('buildEvent', () => {
  it('wraps data in a validated envelope and carries the correlation id in value and headers', () => {
    const message = runWithCorrelation('corr-42', () =>
      buildEvent('qc.results.v1', 'qc.passed', verdict.slideBarcode, verdict, { producer: 'qc' }),
    );
    expect(message.topic).toBe('qc.results.v1');
    expect(message.key).toBe('S26-1-A1-1');
    expect(message.value.type).toBe('qc.passed');
    expect(message.value.schemaVersion).toBe(1);
    expect(message.value.correlationId).toBe('corr-42');
    expect(message.headers[HEADERS.correlationId]).toBe('corr-42');
    expect(message.headers[HEADERS.eventType]).toBe('qc.passed');
  });

  it('keeps a given event id, so a replayed effect produces the same event', () => {
    const eventId = '0b6f0d3c-3b3a-5b1e-9d4f-2a1c1b0e9f11';
    const a = buildEvent('qc.results.v1', 'qc.failed', 'k', verdict, { producer: 'qc', eventId });
    expect(a.value.eventId).toBe(eventId);
  });

  it('refuses data that breaks the contract, naming the field', () => {
    expect(() => buildEvent('qc.results.v1', 'qc.passed', 'k', { ...verdict, slideBarcode: 'a b' }, { producer: 'qc' })).toThrow(
      ContractViolationError,
    );
    expect(() => buildEvent('qc.results.v1', 'qc.passed', 'k', { ...verdict, slideBarcode: 'a b' }, { producer: 'qc' })).toThrow(
      /data\.slideBarcode/,
    );
  });
});

describe('unsafe text on the way out', () => {
  it.each([
    ['a NUL byte', 'S26-1\u0000'],
    ['a lone surrogate', 'S26-1\ud800'],
  ])('refuses %s in a string, naming the field', (_what, rulesVersion) => {
    expect(() => buildEvent('qc.results.v1', 'qc.passed', 'k', { ...verdict, rulesVersion }, { producer: 'qc' })).toThrow(/data\.rulesVersion: contains U\+(0000|D800)/);
  });

  it('checks values published as they are (publishChecked) the same way', () => {
    const event = { eventId: 'e-1', eventType: 'scan.started', occurredAt: '2026-03-01T10:00:00Z', slideBarcode: 'S26-1-A1-1', scannerId: 'GT450\u0000' };
    expect(() => checkOutgoing('scanner.ingress.v1', event)).toThrow(/scannerId: contains U\+0000 \(NUL\)/);
  });
});

describe('correlation', () => {
  it('is scoped to the callback and made up when missing', () => {
    expect(currentCorrelationId()).toBeUndefined();
    const made = runWithCorrelation(undefined, () => currentCorrelationId());
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('replaces an id of 300 characters (or with spaces) by a new one and says how long it was', () => {
    const long = 'c'.repeat(300);
    const accepted = acceptCorrelationId(long);
    expect(accepted.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(accepted.replacedLength).toBe(300);
    expect(acceptCorrelationId('has space').replacedLength).toBe(9);
    expect(acceptCorrelationId('c'.repeat(128))).toEqual({ correlationId: 'c'.repeat(128) });
    expect(acceptCorrelationId(undefined).replacedLength).toBeUndefined();
  });

  it('never runs with an id the envelope would refuse, so events built inside stay valid', () => {
    const message = runWithCorrelation('x'.repeat(300), () => buildEvent('qc.results.v1', 'qc.passed', 'k', verdict, { producer: 'qc' }));
    expect(message.value.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
