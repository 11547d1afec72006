import { z } from 'zod';
import { PageQuery } from './qc.dto';

/** Query of GET /qc/rescans: one page of the rescan work list. */
export const RescansQuery = PageQuery;
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
