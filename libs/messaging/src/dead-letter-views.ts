import type { DeadLetterOriginal, DeadLetterSummary } from '@slidecharge/contracts';
import { capText } from './dead-letter-record';
import { sha256Hex } from './dead-letter-store';
import { sanitizeError } from './redaction';

/**
 * What the dead-letter API shows of a dead letter and its replays, and the page cursor: pure
 * mapping from the rows of "<schema>".dead_letter and dead_letter_replay.
 */

export type DeadLetterState = DeadLetterSummary['state'];
export const DEAD_LETTER_STATES = ['open', 'replayed', 'replay-failed'] as const satisfies readonly DeadLetterState[];
export type ReplayOutcome = DeadLetterSummary['replays'][number]['outcome'];

/** What a replay did: the consumer's handler took the message, or it failed again (why, capped, no body). */
export type ReplayResult = { outcome: 'consumed' } | { outcome: 'failed-again'; error: string };

/** Longest error text a replay keeps and shows (first line only: a handler's error may go on with data). */
export const REPLAY_ERROR_MAX_CHARS = 500;
/** Longest dead-letter error text in a summary (the row keeps up to 10,000). */
export const SUMMARY_MESSAGE_MAX_CHARS = 1000;

/**
 * An error as a replay records it: its first line, capped (a database error as the logs show it: kind
 * and first line, never Prisma's echo of the query and its values).
 */
export function replayErrorText(error: unknown): string {
  const safe = sanitizeError(error);
  const text = safe instanceof Error ? `${safe.name === 'Error' ? '' : `${safe.name}: `}${safe.message}` : String(safe);
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  return capText(firstLine || 'failed without a message', REPLAY_ERROR_MAX_CHARS).text;
}

/** A row of dead_letter without the value (as listed). */
export interface DeadLetterRow {
  id: string;
  failed_at: Date;
  consumer_group: string;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  message: string;
  size_bytes: number;
  state: string;
}

/** A row of dead_letter_replay. */
export interface DeadLetterReplayRow {
  dead_letter_id: string;
  at: Date;
  by: string;
  justification: string;
  outcome: string;
  error: string | null;
}

const stateOf = (state: string): DeadLetterState => ((DEAD_LETTER_STATES as readonly string[]).includes(state) ? (state as DeadLetterState) : 'open');

/** The summary of a dead letter (never its body) with its replays, oldest first. */
export function toDeadLetterSummary(row: DeadLetterRow, replays: readonly DeadLetterReplayRow[]): DeadLetterSummary {
  return {
    id: row.id,
    failedAt: new Date(row.failed_at).toISOString(),
    consumerGroup: row.consumer_group,
    topic: row.topic,
    partition: Number(row.partition),
    offset: row.offset,
    reason: row.reason,
    message: capText(row.message, SUMMARY_MESSAGE_MAX_CHARS).text,
    sizeBytes: Number(row.size_bytes),
    state: stateOf(row.state),
    replays: replays
      .filter((r) => r.dead_letter_id === row.id)
      .map((r) => ({
        at: new Date(r.at).toISOString(),
        by: r.by,
        justification: r.justification,
        outcome: r.outcome === 'consumed' ? 'consumed' : 'failed-again',
        ...(r.error !== null ? { error: r.error } : {}),
      })),
  };
}

/** The original message of a dead letter as the API shows it: value as UTF-8 text when the bytes decode exactly, else base64. */
export function toOriginalView(key: string | null, headers: Record<string, string>, value: Buffer | null): DeadLetterOriginal {
  const sizeBytes = value?.length ?? 0;
  const sha256 = sha256Hex(value);
  if (value === null) return { key, headers, value: null, valueEncoding: null, sizeBytes, sha256 };
  const text = value.toString('utf8');
  const exact = Buffer.from(text, 'utf8').equals(value);
  return exact ? { key, headers, value: text, valueEncoding: 'utf8', sizeBytes, sha256 } : { key, headers, value: value.toString('base64'), valueEncoding: 'base64', sizeBytes, sha256 };
}

/** The states a list filter means: `open` is every dead letter not yet consumed, including those whose replay failed. */
export function statesOfFilter(filter: DeadLetterState): DeadLetterState[] {
  return filter === 'open' ? ['open', 'replay-failed'] : [filter];
}

/** Where a page of dead letters (newest first: failedAt desc, id desc) ends. */
export interface DeadLetterCursor {
  failedAt: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeDeadLetterCursor(cursor: DeadLetterCursor): string {
  return Buffer.from(JSON.stringify(['dl', cursor.failedAt, cursor.id]), 'utf8').toString('base64url');
}

/** The cursor, or undefined when the text is not one this API wrote. */
export function decodeDeadLetterCursor(text: string): DeadLetterCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 3 || value[0] !== 'dl') return undefined;
  const [, failedAt, id] = value as unknown[];
  if (typeof failedAt !== 'string' || Number.isNaN(Date.parse(failedAt)) || typeof id !== 'string' || !UUID.test(id)) return undefined;
  return { failedAt: new Date(failedAt).toISOString(), id: id.toLowerCase() };
}
