/** A refusal or failure from the console's server, as the services answer it ({ error, message, issues? }). */
export interface ErrorAnswer {
  error?: string;
  message?: string;
  issues?: Array<{ path: string; message: string }>;
  correlationId?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly answer: ErrorAnswer | undefined,
  ) {
    super(`${status} ${answer?.error ?? ''} ${answer?.message ?? ''}`.trim());
    this.name = 'ApiError';
  }
}

const HEALTH_HINT = 'check the services on the Health view, and docs/operations.md';

/** The service an API path is answered by, for "billing is not answering". */
export function serviceOfPath(path: string): string {
  if (/^\/api\/(review-queue|charges|deliveries|unmatched-scans)/.test(path)) return 'billing';
  if (/^\/api\/qc\//.test(path)) return 'qc';
  if (/^\/api\/cases/.test(path)) return 'accession';
  if (/^\/api\/dead-letters\/(accession|scanner-events|qc|billing)/.test(path)) return /^\/api\/dead-letters\/([a-z-]+)/.exec(path)?.[1] ?? 'a service';
  return 'the ops console server';
}

/** An error in the user's words: what happened and what to do. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return `The ops console server is not answering (${error instanceof Error ? error.message : 'no answer'}): check that services/ops-console runs (docs/operations.md), then reload.`;
  }
  const said = error.answer?.message ? `: ${error.answer.message}` : '';
  const issues = error.answer?.issues?.length ? ` (${error.answer.issues.map((i) => `${i.path ? `${i.path} ` : ''}${i.message}`).join('; ')})` : '';
  const quote = error.answer?.correlationId ? ` Quote correlation id ${error.answer.correlationId} to the operator.` : '';
  switch (true) {
    case error.status === 401:
      return 'Your sign-in has expired or was not accepted: sign out and sign in again.';
    case error.status === 403:
      return `Your role may not do this${said}. Ask an administrator for the role if you need it.`;
    case error.status === 404:
      return `Not found${said}. It may have been handled by someone else: reload the list.`;
    case error.status === 409:
      return `Someone changed it first${said}. Reload the list.`;
    case error.status === 502 || error.status === 503 || error.status === 504:
      return `${serviceOfPath(error.path)} is not answering${said}: ${HEALTH_HINT}.`;
    case error.status >= 500:
      return `${serviceOfPath(error.path)} failed${said}.${quote || ` ${HEALTH_HINT}.`}`;
    default:
      return `Refused (${error.status})${said}${issues}.`;
  }
}
