import { HEADERS } from '@slidecharge/contracts';
import { runWithCorrelation, currentCorrelationId } from './correlation';
import { buildEvent, ContractViolationError } from './events';

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

describe('correlation', () => {
  it('is scoped to the callback and made up when missing', () => {
    expect(currentCorrelationId()).toBeUndefined();
    const made = runWithCorrelation(undefined, () => currentCorrelationId());
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
  });
});
