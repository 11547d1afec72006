import { ApiError, describeError, serviceOfPath } from './errors';

describe('errors in words', () => {
  it('names the service that did not answer and where to look', () => {
    expect(describeError(new ApiError(503, '/api/review-queue', { error: 'unavailable', message: 'billing did not answer' }))).toBe(
      'billing is not answering: billing did not answer: check the services on the Health view, and docs/operations.md.',
    );
  });

  it('shows a 403 with the server message', () => {
    expect(describeError(new ApiError(403, '/api/charges/x/release', { error: 'forbidden', message: 'needs role billing-reviewer' }))).toMatch(
      /^Your role may not do this: needs role billing-reviewer\./,
    );
  });

  it('lists the issues of a refused request', () => {
    expect(describeError(new ApiError(400, '/api/charges/x/release', { error: 'invalid', message: 'bad body', issues: [{ path: 'justification', message: 'too short' }] }))).toBe(
      'Refused (400): bad body (justification too short).',
    );
  });

  it('asks to quote the correlation id of a 500', () => {
    expect(describeError(new ApiError(500, '/api/cases', { error: 'internal_error', message: 'failed', correlationId: 'c-1' }))).toContain('Quote correlation id c-1');
  });

  it('explains a server that does not answer at all, and an expired sign-in', () => {
    expect(describeError(new TypeError('Failed to fetch'))).toMatch(/ops console server is not answering \(Failed to fetch\)/);
    expect(describeError(new ApiError(401, '/api/overview', undefined))).toMatch(/sign in again/);
  });

  it('knows which service answers which path', () => {
    expect(serviceOfPath('/api/deliveries')).toBe('billing');
    expect(serviceOfPath('/api/qc/rescans')).toBe('qc');
    expect(serviceOfPath('/api/cases/S26-1/timeline')).toBe('accession');
    expect(serviceOfPath('/api/dead-letters/scanner-events/7')).toBe('scanner-events');
    expect(serviceOfPath('/api/overview')).toBe('the ops console server');
  });
});
