import { ZodValidationPipe } from '@slidecharge/service-kit';
import { BadRequestException } from '@nestjs/common';
import { ListChargesQuery } from './charges.dto';
import { decodeCursor, encodeCursor, encodeScanCursor } from './cursor';
import { DismissScanRequest, UnmatchedScansQuery } from './unmatched-scans.dto';

const pipe = new ZodValidationPipe(ListChargesQuery, 'query');

function issuesOf(value: unknown): string[] {
  try {
    pipe.transform(value);
  } catch (e) {
    if (e instanceof BadRequestException) return (e.getResponse() as { issues: { path: string }[] }).issues.map((i) => i.path);
    throw e;
  }
  return [];
}

describe('cursor', () => {
  it('round-trips and normalizes', () => {
    const cursor = { createdAt: '2026-03-21T08:00:00.123Z', chargeId: '96987B80-F0D6-538D-BE2D-C247D8D39EB6' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual({ createdAt: cursor.createdAt, chargeId: cursor.chargeId.toLowerCase() });
  });

  it.each(['', 'not base64!', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('["yesterday","x"]').toString('base64url')])(
    'refuses %j',
    (text) => {
      expect(decodeCursor(text)).toBeUndefined();
    },
  );
});

describe('ListChargesQuery', () => {
  it('defaults limit and reads since as a date-time or a day', () => {
    expect(pipe.transform({})).toEqual({ limit: 100 });
    expect(pipe.transform({ since: '2026-03-02', limit: '5' })).toEqual({ since: new Date('2026-03-02T00:00:00Z'), limit: 5 });
    expect(pipe.transform({ since: '2026-03-02T10:00:00+01:00' }).since).toEqual(new Date('2026-03-02T09:00:00Z'));
  });

  it.each([
    [{ limit: 'ten' }, ['limit']],
    [{ limit: '0' }, ['limit']],
    [{ limit: '501' }, ['limit']],
    [{ since: 'last tuesday' }, ['since']],
    [{ cursor: 'garbage' }, ['cursor']],
    [{ accession: 'S 26' }, ['accession']],
  ])('answers 400 naming the field for %j', (query, paths) => {
    expect(issuesOf(query)).toEqual(paths);
  });
});

describe('UnmatchedScansQuery', () => {
  const issues = (query: Record<string, string>) => (UnmatchedScansQuery.safeParse(query).error?.issues ?? []).map((i) => i.path.join('.'));

  it('defaults to open scans, 100 a page, and caps at 1000', () => {
    expect(UnmatchedScansQuery.parse({})).toEqual({ state: 'open', limit: 100 });
    expect(issues({ limit: '1001' })).toEqual(['limit']);
  });

  it('reads filters and a cursor it wrote', () => {
    const cursor = encodeScanCursor({ receivedAt: '2026-03-02T10:00:00.000Z', scanId: 'scan-9' });
    expect(UnmatchedScansQuery.parse({ state: 'dismissed', scannerId: 'GT450-01', barcodePrefix: 'S26', receivedAfter: '2026-03-01', olderThanHours: '24', cursor })).toEqual({
      state: 'dismissed',
      scannerId: 'GT450-01',
      barcodePrefix: 'S26',
      receivedAfter: new Date('2026-03-01T00:00:00.000Z'),
      olderThanHours: 24,
      limit: 100,
      cursor: { receivedAt: '2026-03-02T10:00:00.000Z', scanId: 'scan-9' },
    });
  });

  it.each([
    [{ state: 'closed' }, ['state']],
    [{ olderThanHours: '-1' }, ['olderThanHours']],
    [{ olderThanHours: '1.5' }, ['olderThanHours']],
    [{ receivedAfter: 'yesterday' }, ['receivedAfter']],
    [{ receivedAfter: '2026-03-02', receivedBefore: '2026-03-01' }, ['receivedBefore']],
    [{ cursor: 'garbage' }, ['cursor']],
  ])('answers 400 naming the field for %j', (query, paths) => {
    expect(issues(query)).toEqual(paths);
  });
});

describe('DismissScanRequest', () => {
  it('needs a reason and takes no actor from the body', () => {
    expect(DismissScanRequest.safeParse({ reason: 'test slide, never accessioned' }).success).toBe(true);
    expect(DismissScanRequest.safeParse({ reason: 'no' }).success).toBe(false);
    expect(DismissScanRequest.safeParse({ reason: 'test slide', by: 'someone' }).success).toBe(false);
  });
});
