import { z } from 'zod';
import { IsoDateTime } from './primitives';

export const DeadLetterReason = z.enum(['invalid-json', 'schema-violation', 'rejected', 'processing-failed']);
export type DeadLetterReason = z.infer<typeof DeadLetterReason>;

/**
 * A message that a consumer could not take. The original bytes are kept (utf8 when they decode,
 * base64 always) with where they came from, so an operator can fix and replay them.
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
});
export type DeadLetter = z.infer<typeof DeadLetter>;
