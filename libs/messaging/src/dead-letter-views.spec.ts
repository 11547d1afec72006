import {
  decodeDeadLetterCursor,
  encodeDeadLetterCursor,
  REPLAY_ERROR_MAX_CHARS,
  replayErrorText,
  statesOfFilter,
  SUMMARY_MESSAGE_MAX_CHARS,
  toDeadLetterSummary,
  toOriginalView,
} from './dead-letter-views';

const row = {
  id: '7d6f0a52-53a4-4c1e-9a39-1f7c9a0e5b10',
  failed_at: new Date('2026-03-02T10:00:00.123Z'),
  consumer_group: 'billing',
  topic: 'qc.results.v1',
  partition: 2,
  offset: '41',
  reason: 'processing-failed',
  message: 'gave up after 8 attempts: permission denied for table charge',
  size_bytes: 812,
  state: 'replay-failed',
};

describe('toDeadLetterSummary', () => {
  it('maps the row and its own replays, oldest first, without a body', () => {
    const replays = [
      { dead_letter_id: row.id, at: new Date('2026-03-02T11:00:00Z'), by: 'admin (sub 1)', justification: 'grant restored', outcome: 'failed-again', error: 'still denied' },
      { dead_letter_id: 'another', at: new Date('2026-03-02T11:30:00Z'), by: 'x', justification: 'y', outcome: 'consumed', error: null },
      { dead_letter_id: row.id, at: new Date('2026-03-02T12:00:00Z'), by: 'admin (sub 1)', justification: 'really restored', outcome: 'consumed', error: null },
    ];
    expect(toDeadLetterSummary(row, replays)).toEqual({
      id: row.id,
      failedAt: '2026-03-02T10:00:00.123Z',
      consumerGroup: 'billing',
      topic: 'qc.results.v1',
      partition: 2,
      offset: '41',
      reason: 'processing-failed',
      message: row.message,
      sizeBytes: 812,
      state: 'replay-failed',
      replays: [
        { at: '2026-03-02T11:00:00.000Z', by: 'admin (sub 1)', justification: 'grant restored', outcome: 'failed-again', error: 'still denied' },
        { at: '2026-03-02T12:00:00.000Z', by: 'admin (sub 1)', justification: 'really restored', outcome: 'consumed' },
      ],
    });
  });

  it('caps the error text', () => {
    const summary = toDeadLetterSummary({ ...row, message: 'e'.repeat(5000) }, []);
    expect(summary.message.startsWith('e'.repeat(SUMMARY_MESSAGE_MAX_CHARS))).toBe(true);
    expect(summary.message).toContain(`[${5000 - SUMMARY_MESSAGE_MAX_CHARS} more characters]`);
  });
});

describe('toOriginalView', () => {
  it('gives UTF-8 text when the bytes decode exactly, else base64, with size and SHA-256', () => {
    const text = toOriginalView('k', { a: 'b' }, Buffer.from('{"é":1}'));
    expect(text).toEqual({ key: 'k', headers: { a: 'b' }, value: '{"é":1}', valueEncoding: 'utf8', sizeBytes: 8, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    expect(toOriginalView(null, {}, bytes)).toMatchObject({ value: bytes.toString('base64'), valueEncoding: 'base64', sizeBytes: 4 });
    expect(toOriginalView(null, {}, null)).toMatchObject({ value: null, valueEncoding: null, sizeBytes: 0 });
  });
});

describe('replayErrorText', () => {
  it('keeps the first line of the error, capped', () => {
    expect(replayErrorText(new Error('payer X is not configured\nDETAIL: Failing row contains (MRN-1)'))).toBe('payer X is not configured');
    expect(replayErrorText(new TypeError('bad'))).toBe('TypeError: bad');
    expect(replayErrorText('plain')).toBe('plain');
    expect(replayErrorText(new Error(''))).toBe('failed without a message');
    expect(replayErrorText(new Error('x'.repeat(2000))).length).toBeLessThan(REPLAY_ERROR_MAX_CHARS + 40);
    const prisma = new Error('\nInvalid `tx.$executeRawUnsafe()` invocation:\n\n\nnew row violates check constraint "c"\nFailing row contains (MRN-1)');
    prisma.name = 'PrismaClientKnownRequestError';
    expect(replayErrorText(prisma)).toBe('PrismaClientKnownRequestError: new row violates check constraint "c"');
  });
});

describe('statesOfFilter', () => {
  it('open means not yet consumed: never replayed or replay failed', () => {
    expect(statesOfFilter('open')).toEqual(['open', 'replay-failed']);
    expect(statesOfFilter('replayed')).toEqual(['replayed']);
    expect(statesOfFilter('replay-failed')).toEqual(['replay-failed']);
  });
});

describe('dead-letter cursor', () => {
  it('round-trips and refuses what it did not write', () => {
    const cursor = { failedAt: '2026-03-02T10:00:00.123Z', id: row.id };
    expect(decodeDeadLetterCursor(encodeDeadLetterCursor(cursor))).toEqual(cursor);
    expect(decodeDeadLetterCursor('not a cursor')).toBeUndefined();
    expect(decodeDeadLetterCursor(Buffer.from('["dl","yesterday","x"]').toString('base64url'))).toBeUndefined();
    expect(decodeDeadLetterCursor(Buffer.from(JSON.stringify(['scan', cursor.failedAt, cursor.id])).toString('base64url'))).toBeUndefined();
    expect(decodeDeadLetterCursor('x'.repeat(500))).toBeUndefined();
  });
});
