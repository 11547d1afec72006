import { DeadLetterParams, forwardedBody, ScanIdParam } from './actions.dto';

describe('console actions', () => {
  it("gives the person's words the owning service's field", () => {
    expect(forwardedBody('release', { justification: 'payer confirmed by phone' })).toEqual({ justification: 'payer confirmed by phone' });
    expect(forwardedBody('void', { justification: 'duplicate order' })).toEqual({ reason: 'duplicate order' });
    expect(forwardedBody('dismiss', { justification: 'test slide' })).toEqual({ reason: 'test slide' });
    expect(forwardedBody('retry', { justification: 'billing system back' })).toEqual({ comment: 'billing system back' });
  });

  it('forwards any other body as it is, for the owning service to judge', () => {
    expect(forwardedBody('void', { reason: 'duplicate order' })).toEqual({ reason: 'duplicate order' });
    expect(forwardedBody('void', { justification: 'x', by: 'someone' })).toEqual({ justification: 'x', by: 'someone' });
    expect(forwardedBody('retry', undefined)).toEqual({});
  });

  it('checks path parameters before anything is forwarded', () => {
    expect(DeadLetterParams.safeParse({ service: 'billing', id: '5f1c2a7e-8d0b-4a53-9f7e-3a5b8c1d2e4f' }).success).toBe(true);
    expect(DeadLetterParams.safeParse({ service: 'accession', id: '5f1c2a7e-8d0b-4a53-9f7e-3a5b8c1d2e4f' }).success).toBe(false);
    expect(DeadLetterParams.safeParse({ service: 'billing', id: '../../admin' }).success).toBe(false);
    expect(ScanIdParam.safeParse('scan-1').success).toBe(true);
    expect(ScanIdParam.safeParse('a/../b').success).toBe(false);
  });
});
