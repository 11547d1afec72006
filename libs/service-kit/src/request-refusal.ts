import { HttpException } from '@nestjs/common';
import type { UnsafeTextIssue } from '@slidecharge/contracts';

export interface RefusalBody {
  /** Machine-readable reason, snake_case (invalid_text, json_too_deep, invalid_json, payload_too_large, ...). */
  error: string;
  /** What is wrong, for a person; never echoes the offending value. */
  message: string;
  issues?: { path: string; message: string }[];
}

/**
 * A request refused by the HTTP hardening of createServiceApp (Host, body, URL text) before or around
 * the route: answered with its status and body as they are, and logged (without the request's values)
 * by ErrorAnswerFilter, because the request log may not have seen it.
 */
export class RequestRefusal extends HttpException {
  constructor(
    status: number,
    readonly refusal: RefusalBody,
  ) {
    super(refusal, status);
  }
}

export type RequestPart = 'body' | 'query' | 'path';

/**
 * 400 invalid_text (or json_too_deep) for a control character, NUL, unpaired surrogate or too deep
 * nesting found by findUnsafeText in a part of the request. In the body, issue paths are relative to
 * it (as validation_failed names fields); in the URL they start with "query." or "path.".
 */
export function unsafeTextRefusal(part: RequestPart, issue: UnsafeTextIssue): RequestRefusal {
  const inPart = issue.path === '(root)' ? '' : issue.path;
  const path = part === 'body' ? issue.path : [part, inPart].filter(Boolean).join('.');
  const error = issue.message.startsWith('is nested deeper') ? 'json_too_deep' : 'invalid_text';
  return new RequestRefusal(400, {
    error,
    message: `${[part, inPart].filter(Boolean).join('.')} ${issue.message}`,
    issues: [{ path, message: issue.message }],
  });
}
