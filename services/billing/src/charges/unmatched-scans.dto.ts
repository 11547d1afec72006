import { z } from 'zod';
import { IsoDate, IsoDateTime } from '@slidecharge/contracts';
import { actionRequest } from '@slidecharge/service-kit';
import { ScanView } from './charges.dto';
import { decodeScanCursor } from './cursor';

/** Where a scan of the unmatched work list stands: waiting, taken by a case that arrived later, or set aside by a person. */
export const UnmatchedScanState = z.enum(['open', 'matched', 'dismissed']);
export type UnmatchedScanState = z.infer<typeof UnmatchedScanState>;

const instant = z
  .union([IsoDateTime, IsoDate], { error: 'must be an ISO date-time with offset (2026-03-02T10:00:00Z) or a date (2026-03-02)' })
  .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00.000Z` : v));

export const UnmatchedScansQuery = z
  .object({
    /** open (default): no case has the slide and nobody dismissed it; matched: a case that arrived later took it; dismissed. */
    state: UnmatchedScanState.default('open'),
    scannerId: z.string().trim().min(1).max(64).optional(),
    /** Only scans whose slide barcode starts with this text (case-sensitive), e.g. an accession prefix. */
    barcodePrefix: z.string().trim().min(1).max(64).optional(),
    /** Only scans billing received at or after this instant. */
    receivedAfter: instant.optional(),
    /** Only scans billing received before this instant. */
    receivedBefore: instant.optional(),
    /** Only scans waiting at least this many hours (received that long ago or earlier). */
    olderThanHours: z.coerce.number({ error: 'must be a number' }).int('must be a whole number of hours').min(0).max(24 * 3650).optional(),
    limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(1000).default(100),
    /** nextCursor of the previous page. */
    cursor: z
      .string()
      .transform((v, ctx) => {
        const decoded = decodeScanCursor(v);
        if (!decoded) {
          ctx.addIssue({ code: 'custom', message: 'is not a cursor from a previous page (use nextCursor as given)' });
          return z.NEVER;
        }
        return decoded;
      })
      .optional(),
  })
  .superRefine((q, ctx) => {
    if (q.receivedAfter !== undefined && q.receivedBefore !== undefined && q.receivedAfter >= q.receivedBefore) {
      ctx.addIssue({ code: 'custom', path: ['receivedBefore'], message: 'must be later than receivedAfter' });
    }
  });
export type UnmatchedScansQuery = z.output<typeof UnmatchedScansQuery>;

export const ScanIdParam = z.string().trim().min(1, 'must not be empty').max(128, 'is longer than 128 characters');

/** Dismissing an unmatched scan: why no case will take it (the signed-in person is recorded with it). */
export const DismissScanRequest = actionRequest({
  reason: z.string().trim().min(5, 'say why no case will take this scan (at least 5 characters), e.g. "test slide" or "slide discarded"').max(1000),
});
export type DismissScanRequest = z.output<typeof DismissScanRequest>;

export const UnmatchedScanView = ScanView.extend({
  state: UnmatchedScanState,
  /** Whole hours since billing received the scan. */
  waitingHours: z.int(),
  /** The case that took the slide (state matched). */
  matchedAccession: z.string().optional(),
  dismissal: z.object({ by: z.string(), at: IsoDateTime, reason: z.string() }).optional(),
});
export type UnmatchedScanView = z.infer<typeof UnmatchedScanView>;

export const UnmatchedScansPage = z.object({
  items: z.array(UnmatchedScanView).describe('completed scans, newest received first'),
  nextCursor: z.string().optional().describe('pass as cursor for the next page; absent on the last page'),
});
export type UnmatchedScansPage = z.infer<typeof UnmatchedScansPage>;
