import { z } from 'zod';
import { IsoDateTime } from './primitives';

export const DeadLetterReason = z.enum(['invalid-json', 'schema-violation', 'rejected', 'processing-failed']);
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/** Where the consuming service keeps the whole original message (its own Postgres schema). */
export const DeadLetterStoredOriginal = z.object({
  schema: z.string(),
  table: z.string(),
  /** Primary key of the row (the deadLetterId). */
  id: z.uuid(),
  sizeBytes: z.int().min(0),
  /** SHA-256 of the original value bytes, hex. */
  sha256: z.string(),
});
export type DeadLetterStoredOriginal = z.infer<typeof DeadLetterStoredOriginal>;

/**
 * A message that a consumer could not take, with where it came from, so an operator can fix and
 * replay it. The record always fits the broker's size limit:
 * - the whole original is always kept in the consuming service's `dead_letter` table
 *   (`originalStored` says where, with its size and SHA-256);
 * - the record carries the original bytes when they fit its size budget: `originalValue` (utf8, when
 *   the bytes decode exactly) and `originalValueBase64`; when both do not fit, only the one that
 *   holds the bytes exactly; when neither fits, both are null, `originalTruncated` is true and
 *   `originalPreview` keeps the first kilobyte as text;
 * - parts a sender controls (key, headers, error texts) are capped; `truncated` names those that were.
 * The optional fields were added later: older records have none of them.
 */
export const DeadLetter = z.object({
  deadLetterId: z.uuid(),
  failedAt: IsoDateTime,
  service: z.string(),
  consumerGroup: z.string(),
  reason: DeadLetterReason,
  message: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
  source: z.object({
    topic: z.string(),
    partition: z.int(),
    offset: z.string(),
    key: z.string().nullable(),
    timestamp: z.string(),
    headers: z.record(z.string(), z.string()),
  }),
  originalValue: z.string().nullable(),
  originalValueBase64: z.string().nullable(),
  /** True when the original bytes are not in this record (see originalStored and originalPreview). */
  originalTruncated: z.boolean().optional(),
  /** The beginning of the original as text (invalid UTF-8 replaced), when the bytes are not in the record. */
  originalPreview: z.string().optional(),
  originalStored: DeadLetterStoredOriginal.optional(),
  /** Parts of this record that were shortened: e.g. "source.key", "source.headers", "message", "errors". */
  truncated: z.array(z.string()).optional(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
