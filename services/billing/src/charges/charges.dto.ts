import { z } from 'zod';
import { AccessionNumber, Charge, IsoDate, IsoDateTime, ScanPurpose, SlideBarcode, TraceLine } from '@slidecharge/contracts';
import { decodeCursor } from './cursor';

// ---- requests ----

export const ListChargesQuery = z.object({
  /** Only the charges of this accession. */
  accession: AccessionNumber.optional(),
  /** Only charges posted at or after this instant (ISO date-time with offset, or a YYYY-MM-DD day, UTC). */
  since: z
    .union([IsoDateTime, IsoDate], { error: 'must be an ISO date-time with offset (2026-03-02T10:00:00Z) or a date (2026-03-02)' })
    .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00.000Z` : v))
    .optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(500).default(100),
  /** nextCursor of the previous page. */
  cursor: z
    .string()
    .transform((v, ctx) => {
      const decoded = decodeCursor(v);
      if (!decoded) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor from a previous page (use nextCursor as given)' });
        return z.NEVER;
      }
      return decoded;
    })
    .optional(),
});
export type ListChargesQuery = z.output<typeof ListChargesQuery>;

export const ChargeIdParam = z.uuid('must be a UUID');
export const AccessionNumberParam = AccessionNumber;

export const UnmatchedScansQuery = z.object({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(1000).default(100),
});
export type UnmatchedScansQuery = z.output<typeof UnmatchedScansQuery>;

// ---- responses ----

/** A charge as billing holds it: the posted payload plus its status. */
export const ChargeView = Charge.extend({
  status: z.literal('posted').describe('posted (credits are a later feature)'),
});
export type ChargeView = z.infer<typeof ChargeView>;

/** A charge in a list: without the decision trace (GET /charges/{chargeId} has it). */
export const ChargeSummary = ChargeView.omit({ trace: true });
export type ChargeSummary = z.infer<typeof ChargeSummary>;

export const ChargePage = z.object({
  items: z.array(ChargeSummary),
  nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null on the last page'),
});
export type ChargePage = z.infer<typeof ChargePage>;

export const QcOutcomeView = z.object({
  sourceEventId: z.string(),
  passed: z.boolean(),
  reasons: z.array(z.string()),
  rulesVersion: z.string(),
  recordedAt: IsoDateTime,
});

export const ScanView = z.object({
  scanId: z.string(),
  slideBarcode: SlideBarcode,
  status: z.enum(['started', 'completed', 'failed']),
  purpose: ScanPurpose,
  scannerId: z.string(),
  scannedAt: IsoDateTime,
  sourceEventId: z.string(),
  receivedAt: IsoDateTime,
});
export type ScanView = z.infer<typeof ScanView>;

export const NoChargeExplanationView = z.object({
  accessionNumber: z.string(),
  specimenId: z.string(),
  primaryCode: z.string(),
  reason: z.enum([
    'case-cancelled',
    'invalid-date-of-service',
    'no-add-on-code',
    'invalid-units',
    'already-charged',
    'no-slides',
    'no-completed-scan',
    'purpose-not-billable',
    'qc-failed',
    'qc-pending',
  ]),
  detail: z.string(),
  code: z.string().optional(),
  chargeKey: z.string().optional(),
  trace: z.array(TraceLine),
});

export const CaseBillingView = z.object({
  case: z.object({
    accessionNumber: AccessionNumber,
    version: z.int(),
    status: z.enum(['active', 'cancelled']),
    patientId: z.string(),
    payerId: z.string(),
    collectionDate: IsoDate,
    diagnoses: z.array(z.string()),
    updatedAt: IsoDateTime,
    specimens: z.array(z.object({ specimenId: z.string(), primaryCpt: z.string(), units: z.int() })),
    slides: z.array(z.object({ barcode: SlideBarcode, specimenId: z.string() })),
  }),
  scans: z.array(ScanView.extend({ qc: z.array(QcOutcomeView) })).describe('every scan of the case slides, with its QC verdicts'),
  charges: z.array(ChargeSummary),
  explanations: z
    .array(NoChargeExplanationView)
    .describe('one per specimen that earns no new charge now, with the reason (already-charged, qc-pending, qc-failed...)'),
  policy: z.object({ requireQcPass: z.boolean(), billablePurposes: z.array(ScanPurpose) }),
});
export type CaseBillingView = z.infer<typeof CaseBillingView>;

export const UnmatchedScansView = z.object({
  items: z.array(ScanView),
});
export type UnmatchedScansView = z.infer<typeof UnmatchedScansView>;

export const ErrorBody = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
