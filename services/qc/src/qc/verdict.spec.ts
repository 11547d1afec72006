import { randomUUID } from 'node:crypto';
import { ZodValidationPipe } from '@slidecharge/service-kit';
import { DEFAULT_QC_RULES } from '@slidecharge/qc-rules';
import { ListResultsQuery } from './qc.dto';
import { decodeCursor, encodeCursor, judgeScan, ScanCompletedEvent } from './verdict';

const at = new Date('2026-11-27T10:15:00.123Z');

function completed(image: ScanCompletedEvent['data']['image']): ScanCompletedEvent {
  return {
    eventId: randomUUID(),
    type: 'scan.completed',
    schemaVersion: 1,
    occurredAt: '2026-11-27T10:14:00.000Z',
    producer: 'scanner-events',
    correlationId: 'c-1',
    data: {
      scanId: 'scan-1',
      slideBarcode: 'S26-000123-A1-1',
      scannerId: 'GT450-1',
      scannedAt: '2026-11-27T10:14:00.000Z',
      purpose: 'diagnostic',
      receivedVia: 'http',
      sourceEventId: 'mw-1',
      ...(image ? { image } : {}),
    },
  };
}

describe('judgeScan', () => {
  it('passes good metrics with one check per rule and names the event, scan and rule set', () => {
    const event = completed({ focusScore: 0.92, tissueCoverage: 0.4, fileSizeBytes: 1_500_000_000, barcodeRead: true, stitchingErrors: 0, imageId: 'img-1' });
    const j = judgeScan(event, DEFAULT_QC_RULES, at);
    expect(j.eventType).toBe('qc.passed');
    expect(j.passed).toBe(true);
    expect(j.evaluatedAt).toBe(at);
    expect(j.verdict).toMatchObject({ scanId: 'scan-1', slideBarcode: 'S26-000123-A1-1', scanEventId: event.eventId, rulesVersion: 'qc-2026.1', reasons: [] });
    expect(j.verdict.checks.map((c) => c.rule)).toEqual(['focus', 'tissue', 'file-size', 'barcode', 'stitching']);
    expect(j.verdict.checks.every((c) => c.passed && !('reason' in c))).toBe(true);
  });

  it('fails poor focus with the reason text', () => {
    const j = judgeScan(completed({ focusScore: 0.42, tissueCoverage: 0.4, fileSizeBytes: 2_000_000, barcodeRead: true, stitchingErrors: 0 }), DEFAULT_QC_RULES, at);
    expect(j.eventType).toBe('qc.failed');
    expect(j.verdict.reasons).toEqual(['focus score 0.42 below 0.70 (out of focus)']);
    expect(j.verdict.checks[0]).toEqual({ rule: 'focus', passed: false, value: 0.42, threshold: '>= 0.70', reason: 'focus score 0.42 below 0.70 (out of focus)' });
  });

  it('judges a completed scan without image facts by the rule set missingMetric', () => {
    expect(judgeScan(completed(undefined), DEFAULT_QC_RULES, at).eventType).toBe('qc.passed');
    const strict = judgeScan(completed(undefined), { ...DEFAULT_QC_RULES, version: 'strict', missingMetric: 'fail' }, at);
    expect(strict.eventType).toBe('qc.failed');
    expect(strict.verdict.rulesVersion).toBe('strict');
    expect(strict.verdict.reasons).toHaveLength(5);
  });
});

describe('result cursor', () => {
  it('round-trips the position', () => {
    const cursor = { evaluatedAt: at, scanId: 'scan/with|odd "chars"' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each([['garbage!'], ['bm90IGpzb24'], [Buffer.from('["yesterday","s"]').toString('base64url')], [Buffer.from('["2026-11-27T10:15:00.123Z",""]').toString('base64url')], [Buffer.from('{"a":1}').toString('base64url')]])(
    'rejects %p',
    (text) => {
      expect(decodeCursor(text)).toBeUndefined();
    },
  );
});

describe('ListResultsQuery', () => {
  const pipe = new ZodValidationPipe(ListResultsQuery, 'query');

  it('defaults to 50 items of every verdict', () => {
    expect(pipe.transform({})).toEqual({ limit: 50 });
  });

  it('reads passed, limit and cursor', () => {
    const cursor = encodeCursor({ evaluatedAt: at, scanId: 's-9' });
    expect(pipe.transform({ passed: 'false', limit: '10', cursor })).toEqual({ passed: false, limit: 10, cursor: { evaluatedAt: at, scanId: 's-9' } });
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '201' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ passed: 'no' }, 'passed'],
    [{ cursor: 'not-a-cursor' }, 'cursor'],
  ])('answers 400 naming the field for %p', (query, field) => {
    try {
      pipe.transform(query);
      throw new Error('expected a 400');
    } catch (e) {
      const body = (e as { getResponse(): { issues: { path: string }[]; message: string } }).getResponse();
      expect(body.issues.map((i) => i.path)).toEqual([field]);
      expect(body.message).toContain(`${field}:`);
    }
  });
});
