import { encodeDeadLetterCursor } from '@slidecharge/messaging';
import { ZodValidationPipe } from '../http';
import { DeadLetterIdParam, ListDeadLettersQuery, ReplayDeadLetterRequest } from './dead-letters.dto';

const refusal = (pipe: ZodValidationPipe<never>, value: unknown): { message: string; issues: { path: string }[] } => {
  try {
    pipe.transform(value);
  } catch (e) {
    return (e as { getResponse(): { message: string; issues: { path: string }[] } }).getResponse();
  }
  throw new Error('accepted');
};

describe('ListDeadLettersQuery', () => {
  it('takes state, topic, reason, limit and a cursor from a previous page', () => {
    const cursor = encodeDeadLetterCursor({ failedAt: '2026-03-02T10:00:00.000Z', id: '7d6f0a52-53a4-4c1e-9a39-1f7c9a0e5b10' });
    expect(ListDeadLettersQuery.parse({ state: 'open', topic: 'qc.results.v1', reason: 'processing-failed', limit: '20', cursor })).toEqual({
      state: 'open',
      topic: 'qc.results.v1',
      reason: 'processing-failed',
      limit: 20,
      cursor: { failedAt: '2026-03-02T10:00:00.000Z', id: '7d6f0a52-53a4-4c1e-9a39-1f7c9a0e5b10' },
    });
    expect(ListDeadLettersQuery.parse({})).toEqual({ limit: 50 });
  });

  it.each([
    [{ state: 'closed' }, 'state'],
    [{ reason: 'bored' }, 'reason'],
    [{ topic: 'Not A Topic' }, 'topic'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '501' }, 'limit'],
    [{ cursor: 'abc' }, 'cursor'],
  ])('refuses %j naming %s', (query, field) => {
    const answer = refusal(new ZodValidationPipe(ListDeadLettersQuery, 'query') as never, query);
    expect(answer.issues.map((i) => i.path)).toEqual([field]);
    expect(answer.message).toContain(field);
  });
});

describe('ReplayDeadLetterRequest', () => {
  it('takes a justification of 3 to 500 characters, trimmed', () => {
    expect(ReplayDeadLetterRequest.parse({ justification: '  grant restored  ' })).toEqual({ justification: 'grant restored' });
  });

  it.each([
    [{}, 'justification'],
    [{ justification: 'ok' }, 'justification'],
    [{ justification: 'x'.repeat(501) }, 'justification'],
    [{ justification: 42 }, 'justification'],
  ])('refuses %j naming %s', (body, field) => {
    const answer = refusal(new ZodValidationPipe(ReplayDeadLetterRequest) as never, body);
    expect(answer.issues.map((i) => i.path)).toEqual([field]);
  });

  it('refuses a body that names who acts (taken from the sign-in)', () => {
    const answer = refusal(new ZodValidationPipe(ReplayDeadLetterRequest) as never, { justification: 'fixed it', by: 'someone else' });
    expect(answer.message).toContain('who acts is taken from the sign-in');
  });
});

describe('DeadLetterIdParam', () => {
  it('is a UUID', () => {
    expect(DeadLetterIdParam.safeParse('7d6f0a52-53a4-4c1e-9a39-1f7c9a0e5b10').success).toBe(true);
    expect(DeadLetterIdParam.safeParse('42').success).toBe(false);
  });
});
