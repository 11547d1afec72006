import { ZodValidationPipe } from '@slidecharge/service-kit';
import { BadRequestException } from '@nestjs/common';
import { ListChargesQuery, UnmatchedScansQuery } from './charges.dto';
import { decodeCursor, encodeCursor } from './cursor';

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
  it('defaults to 100 and caps at 1000', () => {
    expect(UnmatchedScansQuery.parse({})).toEqual({ limit: 100 });
    expect(UnmatchedScansQuery.safeParse({ limit: '1001' }).success).toBe(false);
  });
});
