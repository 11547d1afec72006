import { z } from 'zod';
import { AccessionNumber } from '@slidecharge/contracts';
import { DEAD_LETTER_SERVICES } from '../upstream/upstream-routes';

/** Path parameters, checked before anything is forwarded (no upstream URL is built from unchecked input). */
export const ChargeIdParam = z.uuid('must be a UUID (a chargeId)');
export const DeliveryIdParam = z.uuid('must be a UUID (a deliveryId)');
export const ScanIdParam = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'is longer than 128 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .refine((v) => !/[/\\?#%]/.test(v), 'must not contain / \\ ? # or %');
export const DeadLetterServiceParam = z.enum(DEAD_LETTER_SERVICES, { error: `must be one of ${DEAD_LETTER_SERVICES.join(', ')}` });
export const DeadLetterIdParam = z.uuid('must be a UUID (a dead letter id)');
export const DeadLetterParams = z.object({ service: DeadLetterServiceParam, id: DeadLetterIdParam });
export type DeadLetterParams = z.output<typeof DeadLetterParams>;
export const AccessionNumberParam = AccessionNumber;

/** GET /api/dead-letters query: which service (default all three), the state, and a page size. */
export const DeadLettersQuery = z.object({
  service: DeadLetterServiceParam.optional(),
  state: z.enum(['open', 'replayed', 'replay-failed'], { error: 'must be open, replayed or replay-failed' }).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(500).optional(),
});
export type DeadLettersQuery = z.output<typeof DeadLettersQuery>;

/** GET /api/cases query: an accession number to find, or accession's own list parameters. */
export const CaseSearchQuery = z.object({
  search: AccessionNumber.optional(),
  status: z.string().max(32).optional(),
  limit: z.string().max(8).optional(),
  cursor: z.string().max(200).optional(),
});
export type CaseSearchQuery = z.output<typeof CaseSearchQuery>;

/** The console's actions and the field of the owning service's body that takes the person's words. */
export type ConsoleAction = 'release' | 'void' | 'retry' | 'dismiss' | 'replay';
const WORDS_FIELD: Record<ConsoleAction, string> = { release: 'justification', void: 'reason', retry: 'comment', dismiss: 'reason', replay: 'justification' };

/**
 * The body forwarded for an action. The console's ActionRequest ({ justification }) is given the
 * owning service's field name (void and dismiss take `reason`, retry `comment`); any other body goes
 * as it is, so the owning service checks it and its 400 reaches the browser unchanged.
 */
export function forwardedBody(action: ConsoleAction, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body ?? {};
  const keys = Object.keys(body);
  const field = WORDS_FIELD[action];
  if (keys.length !== 1 || keys[0] !== 'justification' || field === 'justification') return body;
  return { [field]: (body as { justification: unknown }).justification };
}
