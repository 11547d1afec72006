import { z } from 'zod';
import { QcCheck, SlideBarcode } from '@slidecharge/contracts';
import { decodeCursor } from './verdict';

export const ScanIdParam = z.string().trim().min(1).max(128);
export const SlideBarcodeParam = SlideBarcode;

/** One page of a list: how many, and where the previous page ended (nextCursor). */
export const PageQuery = z.object({
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

/** Query of GET /qc/results (passed=false lists every failed verdict; the rescan work list is GET /qc/rescans). */
export const ListResultsQuery = z
  .object({
    passed: z
      .enum(['true', 'false'], { error: 'must be "true" or "false"' })
      .transform((v) => v === 'true')
      .optional(),
  })
  .extend(PageQuery.shape);
export type ListResultsQuery = z.output<typeof ListResultsQuery>;

export const QcResultView = z.object({
  scanId: z.string(),
  slideBarcode: z.string(),
  scanEventId: z.string().describe('eventId of the scan.completed event that was judged'),
  passed: z.boolean(),
  reasons: z.array(z.string()).describe('why the scan failed, one line per failed check'),
  checks: z.array(QcCheck),
  rulesVersion: z.string(),
  evaluatedAt: z.iso.datetime(),
  traceId: z.string().optional().describe('W3C trace id (32 hex) of the scan event that was judged; absent for verdicts older than tracing'),
});
export type QcResultView = z.infer<typeof QcResultView>;

export const QcResultPage = z.object({
  items: z.array(QcResultView).describe('newest first'),
  nextCursor: z.string().nullable().describe('pass as `cursor` to read the next page; null on the last page'),
});
export type QcResultPage = z.infer<typeof QcResultPage>;

export const SlideQcView = z.object({
  slideBarcode: z.string(),
  verdicts: z.array(QcResultView).describe('every verdict of the slide (one per scan), newest first'),
});
export type SlideQcView = z.infer<typeof SlideQcView>;

export const QcRulesView = z.object({
  source: z.enum(['default', 'file']).describe('"file" when loaded from QC_RULES_FILE, else the built-in defaults'),
  rules: z.object({
    version: z.string(),
    minFocusScore: z.number(),
    minTissueCoverage: z.number(),
    minFileSizeBytes: z.number(),
    maxFileSizeBytes: z.number(),
    requireBarcodeRead: z.boolean(),
    maxStitchingErrors: z.number(),
    missingMetric: z.enum(['pass', 'fail']),
  }),
});
export type QcRulesView = z.infer<typeof QcRulesView>;

export const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
