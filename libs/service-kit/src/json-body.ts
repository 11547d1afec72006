import type { NestExpressApplication } from '@nestjs/platform-express';
import { findUnsafeText } from '@slidecharge/contracts';
import type { HttpSettings } from './http-settings';
import { jsonNestingTooDeep, TooDeep } from './json-depth';
import { RequestRefusal, unsafeTextRefusal } from './request-refusal';

interface BodyRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}
type Next = (err?: unknown) => void;

export const JSON_MEDIA_TYPE = 'application/json';

/** Thrown by the parser's verify step (before JSON.parse) when the raw bytes nest too deep. */
class JsonTooDeepError extends Error {
  constructor(readonly tooDeep: TooDeep) {
    super('JSON nested too deep');
  }
}

const header = (req: BodyRequest, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Whether the request carries a body (as body-parser's type-is decides). */
function hasBody(req: BodyRequest): boolean {
  const length = header(req, 'content-length');
  return header(req, 'transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/**
 * Why a request body is refused before it is read, or undefined when it may be read: JSON must be
 * UTF-8 (RFC 8259 8.1); any other media type only where a route reads it itself (streamedMediaTypes).
 */
export function bodyMediaTypeRefusal(contentType: string | undefined, streamedMediaTypes: readonly string[]): RequestRefusal | undefined {
  const [type = '', ...parameters] = (contentType ?? '').split(';');
  const mediaType = type.trim().toLowerCase();
  if (mediaType === JSON_MEDIA_TYPE) {
    const charset = parameters
      .map((p) => /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(p)?.[1])
      .find((c) => c !== undefined)
      ?.toLowerCase();
    if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return undefined;
    return new RequestRefusal(415, {
      error: 'unsupported_charset',
      message: `charset ${JSON.stringify(charset.slice(0, 40))} is not accepted: send JSON in UTF-8 (Content-Type: application/json or application/json; charset=utf-8)`,
    });
  }
  if (streamedMediaTypes.includes(mediaType)) return undefined;
  const accepted = [JSON_MEDIA_TYPE, ...streamedMediaTypes].join(', ');
  return new RequestRefusal(415, {
    error: 'unsupported_media_type',
    message: `Content-Type ${JSON.stringify(mediaType.slice(0, 100) || '(none)')} is not accepted here: send ${accepted}`,
  });
}

/** V8's JSON.parse message without the excerpt of the body it quotes (`Unexpected token 'x', ..."ab x"... is not valid JSON`). */
function parseProblem(message: string): string {
  const quoted = /^(.*?), (?:\.\.\.)?"[\s\S]* is not valid JSON$/.exec(message);
  return (quoted ? (quoted[1] ?? '') : message).slice(0, 200);
}

interface ParserError {
  type?: unknown;
  limit?: unknown;
  message?: unknown;
}

/** The answer for an error of the JSON body parser (body-parser), or undefined for one that is not about the request. */
export function bodyParserErrorRefusal(err: unknown): RequestRefusal | undefined {
  if (err instanceof JsonTooDeepError) return tooDeepRefusal(err.tooDeep);
  const { type, limit, message } = (typeof err === 'object' && err !== null ? err : {}) as ParserError;
  switch (type) {
    case 'entity.too.large':
      return new RequestRefusal(413, { error: 'payload_too_large', message: `the body is larger than the limit of ${String(limit)} bytes` });
    case 'entity.parse.failed':
      return new RequestRefusal(400, { error: 'invalid_json', message: `the body is not valid JSON: ${parseProblem(String(message))}` });
    case 'charset.unsupported':
      return new RequestRefusal(415, { error: 'unsupported_charset', message: 'send JSON in UTF-8' });
    case 'encoding.unsupported':
      return new RequestRefusal(415, { error: 'unsupported_content_encoding', message: 'Content-Encoding must be identity, gzip, deflate or br' });
    case 'request.aborted':
      return new RequestRefusal(400, { error: 'invalid_body', message: 'the body ended before it was complete (the client closed the request)' });
    case 'request.size.invalid':
      return new RequestRefusal(400, { error: 'invalid_body', message: 'the body is not as long as its Content-Length says' });
    default:
      return undefined;
  }
}

export function tooDeepRefusal(tooDeep: TooDeep): RequestRefusal {
  return new RequestRefusal(400, {
    error: 'json_too_deep',
    message: `the JSON body is nested deeper than ${tooDeep.maxDepth} levels of arrays and objects (HTTP_JSON_MAX_DEPTH); the bracket at byte ${tooDeep.offset} is one too many`,
  });
}

/**
 * JSON request bodies, checked once for every route: the media type and charset before reading; the
 * nesting depth on the raw bytes before JSON.parse (so no recursive code ever sees a deep document);
 * after parsing, no control character, NUL or unpaired surrogate in any key or value (JSON.parse
 * turns "\u0000" and "\ud800" escapes into them). Every refusal is a 4xx JSON answer naming what is
 * wrong (RequestRefusal, answered by ErrorAnswerFilter).
 */
export function useJsonBody(app: NestExpressApplication, settings: HttpSettings, limit: string | number): void {
  app.use((req: BodyRequest, _res: unknown, next: Next) => {
    next(hasBody(req) ? bodyMediaTypeRefusal(header(req, 'content-type'), settings.streamedMediaTypes) : undefined);
  });
  app.useBodyParser('json', {
    limit,
    // Runs on the raw bytes before JSON.parse. (rawBody is off in createServiceApp, so Nest keeps this verify.)
    verify: (_req: unknown, _res: unknown, bytes: Buffer) => {
      const tooDeep = jsonNestingTooDeep(bytes, settings.jsonMaxDepth);
      if (tooDeep) throw new JsonTooDeepError(tooDeep);
    },
  });
  // Express error middleware (four parameters): the parser's errors become JSON refusals.
  app.use((err: unknown, _req: unknown, _res: unknown, next: Next) => next(bodyParserErrorRefusal(err) ?? err));
  app.use((req: BodyRequest, _res: unknown, next: Next) => {
    const issue = req.body === undefined ? undefined : findUnsafeText(req.body, { maxDepth: settings.jsonMaxDepth });
    next(issue ? unsafeTextRefusal('body', issue) : undefined);
  });
}
