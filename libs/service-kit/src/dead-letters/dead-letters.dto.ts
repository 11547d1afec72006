import { z } from 'zod';
import { DeadLetterReason, IsoDateTime } from '@slidecharge/contracts';
import { decodeDeadLetterCursor, DEAD_LETTER_STATES } from '@slidecharge/messaging';
import { actionRequest } from '../auth/action-request';

// ---- requests ----

export const DeadLetterIdParam = z.uuid('must be a UUID');

export const ListDeadLettersQuery = z.object({
  /** open: not yet consumed (includes replay-failed); replay-failed: the last replay failed; replayed: consumed by a replay. */
  state: z.enum(DEAD_LETTER_STATES).optional(),
  topic: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,248}$/, 'must be a topic name (lower case letters, digits, dot, dash, underscore)')
    .optional(),
  reason: DeadLetterReason.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(500).default(50),
  /** nextCursor of the previous page. */
  cursor: z
    .string()
    .transform((v, ctx) => {
      const decoded = decodeDeadLetterCursor(v);
      if (!decoded) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor from a previous page (use nextCursor as given)' });
        return z.NEVER;
      }
      return decoded;
    })
    .optional(),
});
export type ListDeadLettersQuery = z.output<typeof ListDeadLettersQuery>;

/** Replaying a dead letter: why (kept on the replay with the signed-in caller). */
export const ReplayDeadLetterRequest = actionRequest({
  justification: z
    .string({ error: 'is required: say why the message may be replayed now (what was fixed)' })
    .trim()
    .min(3, 'say why the message may be replayed now (at least 3 characters), e.g. what was fixed')
    .max(500, 'at most 500 characters'),
});
export type ReplayDeadLetterRequest = z.output<typeof ReplayDeadLetterRequest>;

// ---- responses (the shapes of DeadLetterSummary in libs/contracts/src/ops-console.ts) ----

export const DeadLetterReplayView = z.object({
  at: IsoDateTime,
  by: z.string().describe('the signed-in caller: user name and token subject'),
  justification: z.string(),
  outcome: z.enum(['consumed', 'failed-again']),
  error: z.string().optional().describe('why it failed again (first line, capped; never the message body)'),
});

export const DeadLetterSummaryView = z.object({
  id: z.uuid(),
  failedAt: IsoDateTime,
  consumerGroup: z.string(),
  topic: z.string(),
  partition: z.int(),
  offset: z.string(),
  reason: z.string().describe('invalid-json, schema-violation, rejected or processing-failed'),
  message: z.string().describe('the error, capped; never the message body'),
  sizeBytes: z.int(),
  state: z
    .enum(DEAD_LETTER_STATES)
    .describe('open: never replayed; replay-failed: the last replay failed again (replay again after the next fix); replayed: a replay was consumed'),
  replays: z.array(DeadLetterReplayView).describe('every replay, oldest first'),
});

export const DeadLetterPageView = z.object({
  items: z.array(DeadLetterSummaryView).describe('newest first'),
  total: z.int().describe('how many match the filters, over all pages'),
  nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null on the last page'),
});

export const DeadLetterDetailView = DeadLetterSummaryView.extend({
  original: z.object({
    key: z.string().nullable(),
    headers: z.record(z.string(), z.string()),
    value: z.string().nullable().describe('the message as UTF-8 text when its bytes decode exactly, else base64 (valueEncoding)'),
    valueEncoding: z.enum(['utf8', 'base64']).nullable(),
    sizeBytes: z.int(),
    sha256: z.string().describe('SHA-256 of the value bytes, hex'),
  }),
});

export const DeadLetterReplayAnswerView = z.object({
  deadLetter: DeadLetterSummaryView,
  outcome: z.enum(['consumed', 'failed-again']),
  alreadyReplayed: z.boolean().describe('true: the dead letter had been consumed by an earlier replay; nothing ran now'),
  error: z.string().optional(),
});

export const DeadLetterErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
