/**
 * Error answers under /fhir (billing's FHIR R4 API) as an R4 OperationOutcome in application/fhir+json,
 * whoever refuses the request: the authentication middleware (401, 429, 503), the Host or URL checks
 * (400), Nest's router for an unknown route (404) or the FHIR controller's own filter. Only the paths
 * under /fhir: every other route keeps its plain JSON error.
 */

/** Media type of every answer of the FHIR API (resources and OperationOutcomes). */
export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Whether a request path (without the query) is under the FHIR base. */
export const isFhirPath = (path: string): boolean => path === '/fhir' || path.startsWith('/fhir/');

/** R4 IssueType codes (http://hl7.org/fhir/ValueSet/issue-type) used for HTTP errors. */
export type FhirErrorIssueType = 'invalid' | 'login' | 'forbidden' | 'not-found' | 'not-supported' | 'too-costly' | 'throttled' | 'transient' | 'processing' | 'exception';

const ISSUE_OF_STATUS: Readonly<Record<number, FhirErrorIssueType>> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  406: 'not-supported',
  413: 'too-costly',
  415: 'not-supported',
  429: 'throttled',
  503: 'transient',
};

/** The issue type an HTTP error status is reported with. */
export function issueTypeOfStatus(status: number): FhirErrorIssueType {
  return ISSUE_OF_STATUS[status] ?? (status >= 500 ? 'exception' : 'processing');
}

export interface FhirErrorOutcome {
  resourceType: 'OperationOutcome';
  issue: { severity: 'error'; code: FhirErrorIssueType; diagnostics: string }[];
}

/** One error issue for an HTTP status, with what went wrong for a person (never a request value). */
export function fhirErrorOutcome(status: number, diagnostics: string): FhirErrorOutcome {
  const text = diagnostics.trim() === '' ? `HTTP ${status}` : diagnostics;
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: issueTypeOfStatus(status), diagnostics: text }] };
}

/** The person-readable message of a Nest error body (string, { message }, or { message: [...] }). */
export function errorBodyMessage(body: unknown, fallback: string): string {
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && body !== null) {
    const { message, error } = body as { message?: unknown; error?: unknown };
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.map(String).join('; ');
    if (typeof error === 'string') return error;
  }
  return fallback;
}
