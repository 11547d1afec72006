import { DeadLetter } from '@slidecharge/contracts';
import {
  buildDeadLetterRecord,
  capText,
  DEAD_LETTER_CAPS,
  DEAD_LETTER_DEFAULT_RECORD_BYTES,
  DEAD_LETTER_MIN_RECORD_BYTES,
  FailedMessage,
  previewOf,
} from './dead-letter-record';

const stored = { schema: 'qc', table: 'dead_letter', id: '0b6f0d3c-3b3a-4b1e-9d4f-2a1c1b0e9f11', sizeBytes: 0, sha256: 'ab' };

const failed = (value: Buffer | null, over: Partial<FailedMessage> = {}): FailedMessage => ({
  deadLetterId: '5d0c1f5e-2f7e-4c55-9d7e-6f1d2a3b4c5d',
  failedAt: new Date('2026-03-01T10:00:00Z'),
  service: 'qc',
  consumerGroup: 'qc',
  reason: 'schema-violation',
  message: 'value breaks the scan.events.v1 contract',
  errors: [{ path: 'type', message: 'Invalid input' }],
  source: { topic: 'scan.events.v1', partition: 1, offset: '42', key: 'S26-1-A1-1', timestamp: '1700000000000', headers: { 'x-correlation-id': 'c-1' } },
  value,
  stored: { ...stored, sizeBytes: value?.length ?? 0 },
  ...over,
});

/** A value of `bytes` bytes that is valid JSON-ish text. */
const text = (bytes: number) => Buffer.from(`{"x":"${'a'.repeat(bytes - 8)}"}`);

describe('buildDeadLetterRecord', () => {
  it('carries a small original as text and base64, and says where it is stored', () => {
    const record = buildDeadLetterRecord(failed(Buffer.from('{not json')), DEAD_LETTER_DEFAULT_RECORD_BYTES);
    expect(record.value).toMatchObject({ originalValue: '{not json', originalValueBase64: Buffer.from('{not json').toString('base64'), originalTruncated: false });
    expect(record.value.originalStored).toEqual({ ...stored, sizeBytes: 9 });
    expect(record.key).toBe('scan.events.v1/1/42');
    expect(record.headers['x-dead-letter-reason']).toBe('schema-violation');
    expect(DeadLetter.safeParse(record.value).success).toBe(true);
  });

  it('keeps only the exact text when text and base64 together would not fit', () => {
    const record = buildDeadLetterRecord(failed(text(120_000)), DEAD_LETTER_DEFAULT_RECORD_BYTES);
    expect(record.value.originalValue).toHaveLength(120_000);
    expect(record.value.originalValueBase64).toBeNull();
    expect(record.value.originalTruncated).toBe(false);
    expect(record.bytes).toBeLessThanOrEqual(DEAD_LETTER_DEFAULT_RECORD_BYTES);
  });

  it('keeps only base64 for bytes that are not UTF-8, when both would not fit', () => {
    const binary = Buffer.alloc(100_000, 0xff);
    const record = buildDeadLetterRecord(failed(binary), DEAD_LETTER_DEFAULT_RECORD_BYTES);
    expect(record.value.originalValue).toBeNull();
    expect(Buffer.from(record.value.originalValueBase64 ?? '', 'base64').equals(binary)).toBe(true);
  });

  it.each([600_000, 1_000_000])('leaves a %d-byte original out, with a preview, within the budget', (size) => {
    const record = buildDeadLetterRecord(failed(text(size)), DEAD_LETTER_DEFAULT_RECORD_BYTES);
    expect(record.value).toMatchObject({ originalValue: null, originalValueBase64: null, originalTruncated: true });
    expect(record.value.originalPreview).toHaveLength(DEAD_LETTER_CAPS.previewBytes);
    expect(record.value.originalStored?.sizeBytes).toBe(size);
    expect(record.value.truncated).toContain('originalValue');
    expect(record.bytes).toBeLessThanOrEqual(DEAD_LETTER_DEFAULT_RECORD_BYTES);
    expect(Buffer.byteLength(JSON.stringify(record.value))).toBeLessThan(DEAD_LETTER_DEFAULT_RECORD_BYTES);
  });

  it('with a budget of 0 never carries the original (the fallback after a broker refusal)', () => {
    const record = buildDeadLetterRecord(failed(Buffer.from('{}')), 0);
    expect(record.value.originalTruncated).toBe(true);
    expect(record.value.originalPreview).toBe('{}');
  });

  it('caps every part a sender controls, and the worst case fits the smallest budget allowed', () => {
    const hostile = '\u0000'.repeat(500_000);
    const headers = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`h${i}${'\u0001'.repeat(1000)}`, hostile]));
    const record = buildDeadLetterRecord(
      failed(Buffer.from('\u0000'.repeat(1_000_000)), {
        message: hostile,
        errors: Array.from({ length: 1000 }, () => ({ path: hostile, message: hostile })),
        source: { topic: 'scan.events.v1', partition: 0, offset: '1', key: hostile, timestamp: '1', headers },
      }),
      DEAD_LETTER_MIN_RECORD_BYTES,
    );
    expect(record.bytes).toBeLessThanOrEqual(DEAD_LETTER_MIN_RECORD_BYTES);
    expect(Object.keys(record.value.source.headers)).toHaveLength(DEAD_LETTER_CAPS.headers);
    expect(record.value.errors).toHaveLength(DEAD_LETTER_CAPS.errors);
    expect(record.value.truncated).toEqual(expect.arrayContaining(['errors', 'source.key', 'source.headers', 'message', 'originalValue']));
    expect(record.value.source.key?.length).toBeLessThan(DEAD_LETTER_CAPS.keyChars + 40);
  });

  it('keeps a null key null and a missing value as nulls', () => {
    const record = buildDeadLetterRecord(failed(null, { source: { topic: 't', partition: 0, offset: '0', key: null, timestamp: '0', headers: {} } }), DEAD_LETTER_DEFAULT_RECORD_BYTES);
    expect(record.value).toMatchObject({ originalValue: null, originalValueBase64: null, originalTruncated: false, source: { key: null } });
  });
});

describe('capText and previewOf', () => {
  it('cuts long text with how much was cut, never inside a surrogate pair', () => {
    expect(capText('abc', 3)).toEqual({ text: 'abc', cut: false });
    expect(capText('abcdef', 3)).toEqual({ text: 'abc...[3 more characters]', cut: true });
    expect(capText('ab\u{1F600}cd', 3).text.startsWith('ab...')).toBe(true);
  });

  it('previews the first bytes as text without a half character at the end', () => {
    expect(previewOf(Buffer.from('héllo'), 2)).toBe('h');
    expect(previewOf(Buffer.from('hello'), 3)).toBe('hel');
  });
});
