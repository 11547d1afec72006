import { z } from 'zod';
import { decodeCursor } from './verdict';

/** Query of GET /qc/rescans: one page of the rescan work list. */
export const RescansQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a whole number between 1 and 200' })
    .int('must be a whole number between 1 and 200')
    .min(1, 'must be a whole number between 1 and 200')
    .max(200, 'must be a whole number between 1 and 200')
    .default(50),
  cursor: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const decoded = decodeCursor(v);
      if (!decoded) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor this service returned (use nextCursor from the previous page)' });
        return z.NEVER;
      }
      return decoded;
    }),
});
export type RescansQuery = z.output<typeof RescansQuery>;

/** One slide to rescan: its latest verdict failed and no scan passed since. */
export const RescanItem = z.object({
  slideBarcode: z.string(),
  scanId: z.string().describe('the latest scan attempt of the slide, which QC failed'),
  reasons: z.array(z.string()).describe('why that scan failed'),
  rulesVersion: z.string(),
  failedAt: z.iso.datetime().describe('when QC failed the latest scan'),
  failedAttempts: z.int().describe('failed verdicts of the slide since its last pass (or ever, when it never passed)'),
  firstFailedAt: z.iso.datetime().describe('the first of those failures: how long the slide has waited'),
});
export type RescanItem = z.infer<typeof RescanItem>;

export const RescanPage = z.object({
  items: z.array(RescanItem).describe('one per slide, latest failure first'),
  nextCursor: z.string().nullable().describe('pass as `cursor` to read the next page; null on the last page'),
});
export type RescanPage = z.infer<typeof RescanPage>;
