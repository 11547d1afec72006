import { createHash } from 'node:crypto';
import { canonicalJson } from '@slidecharge/service-kit';

/**
 * Idempotency-Key on the ingestion POSTs (IETF draft "The Idempotency-Key HTTP Header Field"): a client
 * that did not get an answer (timeout, dropped connection) sends the same request with the same key and
 * gets the first answer again, status and body, instead of a second execution. Pure rules here; the
 * store is scanner.idempotency_key.
 */

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Set to "true" on an answer that is a replay of a stored one. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/** A first request older than this that never finished (its process died) no longer blocks its key. */
export const IN_PROGRESS_TIMEOUT_MS = 120_000;

export type IdempotencyKeyHeader = { kind: 'none' } | { kind: 'key'; key: string } | { kind: 'invalid'; reason: string };

/** Reads the Idempotency-Key header: 1-255 printable ASCII characters without spaces (a UUID is ideal). */
export function idempotencyKeyFrom(headers: Record<string, string | string[] | undefined>): IdempotencyKeyHeader {
  const value = headers[IDEMPOTENCY_HEADER];
  if (value === undefined) return { kind: 'none' };
  if (Array.isArray(value)) return { kind: 'invalid', reason: 'send one Idempotency-Key header, not several' };
  const key = value.trim();
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    return { kind: 'invalid', reason: 'Idempotency-Key must be 1-255 printable ASCII characters without spaces (a UUID is a good choice)' };
  }
  return { kind: 'key', key };
}

/**
 * What identifies "the same request": method, path and body. A JSON body counts by its canonical
 * form; a binary body (DICOM Part 10) by its bytes.
 */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  const hash = createHash('sha256').update(`${method.toUpperCase()} ${path}\n`, 'utf8');
  if (Buffer.isBuffer(body)) hash.update('bytes\n').update(body);
  else hash.update('json\n').update(canonicalJson(body ?? null), 'utf8');
  return hash.digest('hex');
}

/** A stored key, as the decision needs it. */
export interface StoredIdempotencyRecord {
  requestHash: string;
  method: string;
  path: string;
  statusCode: number | null;
  responseBody: unknown;
  createdAt: Date;
  expiresAt: Date;
}

export type IdempotencyDecision =
  /** Nothing stored under this key (or it expired, or its first request died): run the request. */
  | { kind: 'take-over' }
  /** Same key, same request, answered: send the stored answer. */
  | { kind: 'replay'; statusCode: number; body: unknown }
  /** Same key, another request: refuse (422). */
  | { kind: 'mismatch' }
  /** Same key, same request, still running: refuse for now (409). */
  | { kind: 'in-progress' };

/** Decides a request whose key is already stored. */
export function decide(existing: StoredIdempotencyRecord, fingerprint: string, now: Date, inProgressTimeoutMs = IN_PROGRESS_TIMEOUT_MS): IdempotencyDecision {
  if (existing.expiresAt.getTime() <= now.getTime()) return { kind: 'take-over' };
  if (existing.requestHash !== fingerprint) return { kind: 'mismatch' };
  if (existing.statusCode === null) {
    return now.getTime() - existing.createdAt.getTime() > inProgressTimeoutMs ? { kind: 'take-over' } : { kind: 'in-progress' };
  }
  return { kind: 'replay', statusCode: existing.statusCode, body: existing.responseBody };
}

/** Only answers that did something are kept: a 4xx or 5xx frees the key for a corrected retry. */
export const isStoredStatus = (status: number): boolean => status >= 200 && status < 300;
