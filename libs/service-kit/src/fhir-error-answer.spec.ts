import { errorBodyMessage, fhirErrorOutcome, isFhirPath, issueTypeOfStatus } from './fhir-error-answer';

describe('FHIR error answers', () => {
  it('are for paths under /fhir only', () => {
    expect(['/fhir', '/fhir/', '/fhir/Patient/1', '/fhir/metadata'].every(isFhirPath)).toBe(true);
    expect(['/fhirx', '/charges', '/', '/docs/fhir'].some(isFhirPath)).toBe(false);
  });

  it('report an HTTP status with the R4 issue type of its meaning', () => {
    expect([400, 401, 403, 404, 405, 413, 415, 429, 500, 503, 418].map(issueTypeOfStatus)).toEqual([
      'invalid',
      'login',
      'forbidden',
      'not-found',
      'not-supported',
      'too-costly',
      'not-supported',
      'throttled',
      'exception',
      'transient',
      'processing',
    ]);
    expect(fhirErrorOutcome(401, 'needs a bearer token')).toEqual({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'login', diagnostics: 'needs a bearer token' }],
    });
    expect(fhirErrorOutcome(404, ' ').issue[0]?.diagnostics).toBe('HTTP 404');
  });

  it('take the message of a Nest error body', () => {
    expect(errorBodyMessage({ error: 'forbidden', message: 'needs role service' }, 'x')).toBe('needs role service');
    expect(errorBodyMessage({ message: ['a', 'b'] }, 'x')).toBe('a; b');
    expect(errorBodyMessage('Cannot GET /fhir/Patient', 'x')).toBe('Cannot GET /fhir/Patient');
    expect(errorBodyMessage(undefined, 'fallback')).toBe('fallback');
  });
});
